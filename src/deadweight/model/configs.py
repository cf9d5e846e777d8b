"""Which constructor settings leave a weight without a gradient: `if self.use_flash_attn: ...
else: x = self.attend(x)` leaves `attend` unused when `use_flash_attn=True`.

A flag is an attribute `__init__` sets from one of its parameters (`self.use_flash_attn =
use_flash_attn`), with that parameter's literal default. A weight that every use on the forward
path reaches only under conditions on flags is unused in the settings that make all of those
conditions false; conditions are evaluated three-valued, so anything not a flag (an input's
shape, a config object) leaves the answer unknown and nothing is said.

The other half is creation: a weight whose parameters exist only under a constructor condition
(`if learnable_pos_embed:`, or `nn.LayerNorm(d) if final_norm and use_fc_norm else
nn.Identity()`) is evaluated against the constructor's parameters (literal defaults, or the
settings given), so a dead weight counts only in the configurations that build it, named by
the single setting that does (`fc_norm=True`).
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass

from deadweight.conventions import CONTAINERS, is_parameter_free
from deadweight.extract import facts as F
from deadweight.model import deps
from deadweight.model.project import ClassInfo, Project, Weight
from deadweight.model.reach import Analysis

_UNKNOWN = object()
_SET = object()  # "given some value other than None"


@dataclass(frozen=True)
class Flag:
    attr: str  # `use_flash_attn` of `self.use_flash_attn`
    param: str  # the `__init__` parameter it comes from (a derived flag: the test it is)
    default: str | None  # its literal default, as source text
    derived: bool = False  # `self.downsample = in_ch != out_ch or stride != 1`: `param` is the test


@dataclass(frozen=True)
class Unused:
    weight: Weight
    param: str
    value: str  # the setting, as source text: "True", "None", "<set>"
    guard: str  # the condition every use sits under
    line: int  # the first use
    default: bool  # the setting is the parameter's default
    derived: bool = False  # `param` is the test a derived flag is (`in_ch != out_ch`), `value` its truth
    params: tuple[tuple[str, str], ...] = ()  # a derived flag: the constructor's literal defaults

    def holds_with(self, settings: dict[str, str]) -> bool | None:
        """A derived flag: whether the given settings make its test `value` (None: unknown)."""
        got = evaluate(self.param, settings_env(dict(self.params), settings))
        return None if got is None else got == (self.value == "True")


def flags_of(info: ClassInfo) -> dict[str, Flag]:
    init = info.facts.method("__init__")
    if init is None:
        return {}
    defaults = dict(init.defaults)
    out: dict[str, Flag] = {}
    for w in info.facts.writes:
        if w.method == "__init__" and not w.conditional and w.source in init.params and w.source != "self":
            out[w.attr] = Flag(w.attr, w.source, defaults.get(w.source))
        elif w.method == "__init__" and not w.conditional and w.derived and _names(w.derived) <= set(init.params):
            out[w.attr] = Flag(w.attr, w.derived, "False", derived=True)  # tried both ways
    return out


def unused_settings(analysis: Analysis, w: Weight) -> list[Unused]:
    """The single-flag settings under which no use of `w` runs (empty when one use always runs,
    or when a condition is not about flags)."""
    if w.kind == F.BUFFER:
        return []  # no gradient in any setting: DDP's unused-parameter check never waits for one
    uses = analysis.liveness(w).value_uses
    if not uses or any(not u.read.guarded_by for u in uses):
        return []
    flags: dict[str, Flag] = {}
    for c in w.cls.mro:
        for attr, flag in flags_of(c).items():
            flags.setdefault(attr, flag)
    # `self.gating = gating` then `self.gating = SelfGating(192)`: forward tests the module,
    # which is always true, so the attribute is no flag
    for c in w.cls.mro:
        for other in analysis.p.weights(c):
            flags.pop(other.name, None)
    made = creation(w, analysis.p)
    built_under = _builder_guards(w)
    guards = [u.read.guarded_by or "" for u in uses]
    named = {a for g in guards for a in _self_attrs(g)}
    if uses:
        deps.position(uses[0].cls.path)  # its line goes into a finding's message
    if not named or not named <= flags.keys():
        return []
    out = []
    # the values a string option is tried with: whatever any guard of the class compares it with
    every_guard = [r.guarded_by for c in w.cls.mro for r in c.facts.reads if r.guarded_by]
    for attr in sorted(named):
        flag = flags[attr]
        for value, text in _candidates(flag.default, _compared([*guards, *every_guard], attr)):
            env = {f"self.{attr}": value}
            if made is not None:  # the condition may name the parameter or the flag attribute
                built = evaluate(made.condition, {**settings_env(made.params, {flag.param: text}), **env})
                if flag.derived and _same_test(made.condition, flag.param):
                    built = bool(value)  # `Linear(..) if dim_in != dim_out else Identity()`: the flag's own test
                if built is not None and built != made.holds_when:
                    continue  # in that setting it holds no parameters: nothing for DDP to miss
            if built_under and all(evaluate(g, {**env, flag.param: value}) is False for g in built_under):
                continue  # the method that creates it runs only in other settings
            if all(evaluate(g, env) is False for g in guards):
                if flag.derived:
                    params = tuple(sorted(init_defaults(w.cls).items()))
                    u = Unused(w, flag.param, text, guards[0], uses[0].read.span.line, False, True, params)
                    out.append(dataclasses.replace(u, default=u.holds_with({}) is True))
                    continue
                default = _same_value(text, flag.default)
                out.append(Unused(w, flag.param, text, guards[0], uses[0].read.span.line, default))
    return out


def _same_test(a: str, b: str) -> bool:
    """Two conditions written the same way (up to spacing and parentheses)."""
    try:
        return ast.dump(ast.parse(a, mode="eval")) == ast.dump(ast.parse(b, mode="eval"))
    except SyntaxError:
        return False


def init_defaults(info: ClassInfo) -> dict[str, str]:
    """The literal defaults of the `__init__` that `info` runs (its own or a base's)."""
    for c in info.mro:
        init = c.facts.method("__init__")
        if init is not None:
            return dict(init.defaults)
    return {}


def _builder_guards(w: Weight) -> list[str]:
    """The conditions under which `__init__` calls the method that creates `w` (`if
    self.affine: self._init_params()`), when every such call has one; else empty (created
    in `__init__` itself, or called without a condition)."""
    if w.write.method == "__init__":
        return []
    calls = [
        r
        for c in w.cls.mro
        for r in c.facts.reads
        if r.chain == (w.write.method,) and r.kind == F.VALUE and r.method == "__init__"
    ]
    if not calls or any(not r.guarded_by for r in calls):
        return []
    return [r.guarded_by or "" for r in calls]


@dataclass(frozen=True)
class Creation:
    """When a weight holds its parameters: `nn.LayerNorm(d) if final_norm and use_fc_norm else
    nn.Identity()` holds them only when the test holds, `if learnable_pos_embed:` likewise."""

    condition: str  # with the constructor's fixed locals written in, where the extractor did so
    holds_when: bool  # the parameters exist when the condition is true (False: when it is false)
    params: dict[str, str]  # the creating constructor's parameters with literal defaults


def creation(w: Weight, project: Project | None = None) -> Creation | None:
    """The constructor condition that decides whether `w` holds parameters, or None when it
    holds them unconditionally (or the condition is not one the code states).

    With the project, a parameter-free placeholder replaced under a condition counts as not
    built: `self.conv1 = nn.Identity()` then `if spatial_downsample: self.conv1 = Conv(...)`
    holds parameters only when `spatial_downsample`."""
    built = [x for x in w.writes if x.kind != F.NONE]  # `else: self.pos_embedding = None` builds nothing
    if len(built) > 1 and project is not None:
        holding = [x for x in built if x.kind != F.MODULE or not project.holds_no_keys(w.cls, x)]
        placeholders = [x for x in built if x not in holding]
        if (
            len(holding) == 1
            and placeholders
            and all(not x.conditional and x.method == holding[0].method for x in placeholders)
            and all(x.span.line < holding[0].span.line for x in placeholders)
        ):
            built = holding
    if len(built) != 1:
        return None
    wr = built[0]
    replaced = len(w.writes) > 1 and wr.conditional  # the placeholder case above
    method = w.cls.facts.method(wr.method)
    params = dict(method.defaults) if method is not None else {}
    if (w.conditional or replaced) and wr.condition and not wr.choice:
        return Creation(wr.resolved_condition or wr.condition, True, params)
    if wr.choice and wr.ctor and wr.elements:
        short = wr.ctor.rsplit(".", 1)[-1]
        if short in CONTAINERS:  # `nn.Sequential(conv, bn) if t else nn.Identity()`: its items, then the other
            items, alternative = wr.elements[:-1], wr.elements[-1]
            first = all(is_parameter_free(i.rsplit(".", 1)[-1], {}) for i in items)
        else:
            alternative = wr.elements[0]
            first = is_parameter_free(short, dict(wr.kwargs))
        other = is_parameter_free(alternative.rsplit(".", 1)[-1], {})
        if first != other:
            return Creation(wr.choice, not first, params)
    return None


UNKNOWN_SETTING = "?"  # a setting whose value is not known (a holder passes an expression): no default either


def settings_env(params: dict[str, str], settings: dict[str, str]) -> dict[str, object]:
    """Constructor parameters as values: literal defaults, replaced by the settings given."""
    env: dict[str, object] = {}
    for name, text in {**params, **settings}.items():
        if text == UNKNOWN_SETTING:
            continue  # passed, but not a value we know: the default does not apply
        try:
            env[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            env[name] = text if name in settings else _UNKNOWN  # `--set global_pool=avg`: a string
    return {k: v for k, v in env.items() if v is not _UNKNOWN}


def holds(c: Creation, settings: dict[str, str], info: ClassInfo | None = None) -> bool | None:
    """Whether the weight holds its parameters in the configuration (None: not decided by it).
    With `info`, the flags its constructor stores from its parameters are read as those
    parameters (`self.context_size is not None` after `self.context_size = context_size`)."""
    env = settings_env(c.params, settings)
    for flag in flags_of(info).values() if info is not None else ():
        if not flag.derived and flag.param in env:
            env[f"self.{flag.attr}"] = env[flag.param]
    got = evaluate(c.condition, env)
    return None if got is None else got == c.holds_when


def creating_settings(c: Creation) -> list[str]:
    """Single settings, off the defaults, under which the weight holds its parameters
    (`fc_norm=True`); empty when the defaults already do, or nothing single does."""
    if holds(c, {}) is not False:
        return []
    out: list[str] = []
    names = _names(c.condition)
    for name in sorted(names & c.params.keys()):
        default = c.params[name]
        tried: list[tuple[str, str | None]]
        if default in ("True", "False", "None"):
            tried = [("False" if default == "True" else "True", None)]
        elif default.isdigit():  # `reg_tokens=0`: some other count
            tried = [("1" if default == "0" else "0", None)]
        elif default[:1] in ("'", '"'):
            tried = [(repr(text), text) for text in dict.fromkeys(_strings(c.condition))]
        else:
            tried = []
        for value, shown in tried:
            if value != default and holds(c, {name: value}):
                out.append(f"{name}={shown or value}")
                break
    return out


def _names(cond: str) -> set[str]:
    try:
        tree = ast.parse(cond, mode="eval")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _strings(cond: str) -> list[str]:
    """String literals of a condition: the values a setting is compared with."""
    try:
        tree = ast.parse(cond, mode="eval")
    except SyntaxError:
        return []
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _candidates(default: str | None, compared: list[str]) -> list[tuple[object, str]]:
    """The values of a flag worth trying: both booleans, None or anything, or for a string
    option (`spatial_prior="learned"`) every string the guards compare it with and its default."""
    if default in ("True", "False"):
        return [(True, "True"), (False, "False")]
    if default == "None":
        return [(None, "None"), (_SET, "<set>")]
    try:
        value = ast.literal_eval(default) if default else None
    except (ValueError, SyntaxError):
        return []
    if isinstance(value, str):
        options = dict.fromkeys([value, *compared])
        return [(option, _quoted(option)) for option in options]
    return []


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _same_value(text: str, default: str | None) -> bool:
    """Whether a candidate's source text is the parameter's default (`"grid"` and `'grid'` are)."""
    if default is None:
        return text == ""
    try:
        return bool(ast.literal_eval(text) == ast.literal_eval(default)) and text != "<set>"
    except (ValueError, SyntaxError):
        return text == default


def _compared(guards: list[str], attr: str) -> list[str]:
    """String literals that `self.<attr>` is compared with (`==`, `!=`, `in`) in the guards."""
    out: list[str] = []
    for g in guards:
        try:
            tree = ast.parse(g, mode="eval")
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
                continue
            left, right = node.left, node.comparators[0]
            if not (isinstance(left, ast.Attribute) and isinstance(left.value, ast.Name) and left.value.id == "self"):
                continue
            if left.attr != attr:
                continue
            items = right.elts if isinstance(right, ast.Tuple | ast.List | ast.Set) else [right]
            out.extend(i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str))
    return out


def _self_attrs(cond: str) -> set[str]:
    try:
        tree = ast.parse(cond, mode="eval")
    except SyntaxError:
        return {"\0unparsable"}
    return {
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self"
    }


@dataclass(frozen=True)
class Obj:
    """An object whose attributes the code reads, most often a config (`config.hidden_size`):
    the attributes its class's code gives it, and what a setting sets. A missing attribute is
    not known."""

    cls: str
    attrs: dict[str, object]


UNKNOWN = _UNKNOWN  # what `value_of` gives for an expression the environment does not decide
SET = _SET  # a value known to be there and not None (a module built on every path), not which


def value_of(expr: str, env: dict[str, object]) -> object:
    """The value of an expression's source under `env`, or `UNKNOWN`."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _UNKNOWN
    try:
        return _eval(tree.body, env)
    except RecursionError:
        return _UNKNOWN


def evaluate(cond: str, env: dict[str, object]) -> bool | None:
    """True, False, or None when the condition depends on anything but `env`."""
    try:
        tree = ast.parse(cond, mode="eval")
    except SyntaxError:
        return None
    value = _eval(tree.body, env)
    if value is _UNKNOWN:
        return None
    if value is _SET:
        return True
    return bool(value)


def _eval(node: ast.expr, env: dict[str, object]) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return env.get(f"self.{node.attr}", _UNKNOWN)
    if isinstance(node, ast.Name):  # a constructor parameter (`creation`'s conditions)
        return env.get(node.id, _UNKNOWN)
    if isinstance(node, ast.Attribute):  # `config.use_bias`, `self.config.use_bias`
        base = _eval(node.value, env)
        return base.attrs.get(node.attr, _UNKNOWN) if isinstance(base, Obj) else _UNKNOWN
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) in (2, 3)
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
        and not node.keywords
    ):  # `getattr(config, "use_bias", False)`
        base = _eval(node.args[0], env)
        if not isinstance(base, Obj):
            return _UNKNOWN
        if node.args[1].value in base.attrs:
            return base.attrs[node.args[1].value]
        return _eval(node.args[2], env) if len(node.args) == 3 else _UNKNOWN
    if isinstance(node, ast.IfExp):
        test = _eval(node.test, env)
        if test is _UNKNOWN:
            return _UNKNOWN
        return _eval(node.body if (test is _SET or bool(test)) else node.orelse, env)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        items = [_eval(e, env) for e in node.elts]
        return _UNKNOWN if any(i is _UNKNOWN or i is _SET for i in items) else tuple(items)
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
        # `**{"device": device}`: which names it passes is known even when a value is not
        return {k.value: _eval(v, env) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[union-attr]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        v = _eval(node.operand, env)
        return _UNKNOWN if v is _UNKNOWN else (False if v is _SET else not v)
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, env) for v in node.values]
        truth = [None if v is _UNKNOWN else (True if v is _SET else bool(v)) for v in values]
        if isinstance(node.op, ast.And):
            return False if False in truth else (_UNKNOWN if None in truth else True)
        return True if True in truth else (_UNKNOWN if None in truth else False)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = _eval(node.left, env), _eval(node.comparators[0], env)
        op = node.ops[0]
        if isinstance(op, ast.Is | ast.IsNot) and right is None and left is not _UNKNOWN:
            same = left is None
            return same if isinstance(op, ast.Is) else not same
        if left is _UNKNOWN or right is _UNKNOWN or left is _SET or right is _SET:
            return _UNKNOWN
        if isinstance(op, ast.Eq):
            return left == right
        if isinstance(op, ast.NotEq):
            return left != right
        if isinstance(op, ast.In | ast.NotIn) and isinstance(right, tuple):
            return (left in right) == isinstance(op, ast.In)
        if isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) and _number(left) and _number(right):
            a, b = float(left), float(right)  # type: ignore[arg-type]
            return {ast.Lt: a < b, ast.LtE: a <= b, ast.Gt: a > b, ast.GtE: a >= b}[type(op)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _eval(node.operand, env)
        return -v if _number(v) else _UNKNOWN  # type: ignore[operator]
    return _UNKNOWN


def _number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)

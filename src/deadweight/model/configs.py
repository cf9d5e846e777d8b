"""Which constructor settings leave a weight without a gradient: `if self.use_flash_attn: ...
else: x = self.attend(x)` leaves `attend` unused when `use_flash_attn=True`.

A flag is an attribute `__init__` sets from one of its parameters (`self.use_flash_attn =
use_flash_attn`), with that parameter's literal default. A weight that every use on the forward
path reaches only under conditions on flags is unused in the settings that make all of those
conditions false; conditions are evaluated three-valued, so anything not a flag (an input's
shape, a config object) leaves the answer unknown and nothing is said.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from deadweight.model.project import ClassInfo, Weight
from deadweight.model.reach import Analysis

_UNKNOWN = object()
_SET = object()  # "given some value other than None"


@dataclass(frozen=True)
class Flag:
    attr: str  # `use_flash_attn` of `self.use_flash_attn`
    param: str  # the `__init__` parameter it comes from
    default: str | None  # its literal default, as source text


@dataclass(frozen=True)
class Unused:
    weight: Weight
    param: str
    value: str  # the setting, as source text: "True", "None", "<set>"
    guard: str  # the condition every use sits under
    line: int  # the first use
    default: bool  # the setting is the parameter's default


def flags_of(info: ClassInfo) -> dict[str, Flag]:
    init = info.facts.method("__init__")
    if init is None:
        return {}
    defaults = dict(init.defaults)
    out: dict[str, Flag] = {}
    for w in info.facts.writes:
        if w.method == "__init__" and not w.conditional and w.source in init.params and w.source != "self":
            out[w.attr] = Flag(w.attr, w.source, defaults.get(w.source))
    return out


def unused_settings(analysis: Analysis, w: Weight) -> list[Unused]:
    """The single-flag settings under which no use of `w` runs (empty when one use always runs,
    or when a condition is not about flags)."""
    uses = analysis.liveness(w).value_uses
    if not uses or any(not u.read.guarded_by for u in uses):
        return []
    flags: dict[str, Flag] = {}
    for c in w.cls.mro:
        for attr, flag in flags_of(c).items():
            flags.setdefault(attr, flag)
    guards = [u.read.guarded_by or "" for u in uses]
    named = {a for g in guards for a in _self_attrs(g)}
    if not named or not named <= flags.keys():
        return []
    out = []
    for attr in sorted(named):
        flag = flags[attr]
        for value, text in _candidates(flag.default):
            env = {f"self.{attr}": value}
            if all(evaluate(g, env) is False for g in guards):
                out.append(Unused(w, flag.param, text, guards[0], uses[0].read.span.line, text == (flag.default or "")))
    return out


def _candidates(default: str | None) -> list[tuple[object, str]]:
    if default in ("True", "False"):
        return [(True, "True"), (False, "False")]
    if default == "None":
        return [(None, "None"), (_SET, "<set>")]
    return []


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
    return _UNKNOWN

"""`deadweight tree PATH::Class`: the module tree a class's construction builds, read, not run.

What `print(model)` shows, without importing anything: each submodule with its class, the
parameters and buffers at the leaves (torch layers' own from the table made by building them,
`_torch_state_table.py`), containers with their element classes under a symbolic index `*`,
conditional weights with the condition that creates them, and the DW1 verdict of each weight.
The dotted names it yields (`blocks.*.attn.qkv.weight`) are the names DDP and `state_dict()`
use, with `*` where the count is not a constant.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
from dataclasses import asdict, dataclass, field

from deadweight.conventions import (
    CONTAINERS,
    MODULE_BASES,
    TIED_WEIGHTS_ATTR,
    torch_buffer_keys,
    torch_key_order,
    torch_layer_keys,
    torch_layer_variants,
)
from deadweight.extract import facts as F
from deadweight.model.configs import value_of
from deadweight.model.configured import (
    Args,
    Env,
    Scopes,
    all_hold,
    call_args,
    decide,
    helper_call,
    scopes,
    settings_args,
    unpack,
)
from deadweight.model.products import passed_through, product
from deadweight.model.project import ClassInfo, Project, Weight
from deadweight.model.reach import Analysis
from deadweight.model.stored import stored_members
from deadweight.model.verdicts import verdict

_DEPTH = 12  # nesting kept before a branch is cut (a recursive model would not end)


@dataclass(slots=True)
class TreeNode:
    name: str  # the attribute (or `*` for a container's items)
    kind: str  # module | parameter | buffer | container | unknown
    ctor: str = ""  # the class as the code spells it (`nn.Linear`, `Block`)
    condition: str | None = None  # created only when this holds
    persistent: bool = True  # a buffer registered with `persistent=False` is not in state_dict
    dead: str | None = None  # `DW101 high`: the weight is never used
    # the verdict is about these items of a container only (`0`; `-1` the last): the rest is used
    dead_elements: tuple[str, ...] = ()
    count: str | None = None  # a container's item count as source text (`depth`, `3`)
    reason: str | None = None  # the dead weight's finding message
    owner: str = ""  # for an attribute a class's code creates: that class (empty for a layer's own keys)
    # every use of a live weight is under this condition: (condition, path, line of the first)
    used_under: tuple[str, str, int] | None = None
    note: str | None = None  # why the children are not known
    # the key this parameter is tied to after construction (`_tied_weights_keys`): torch's
    # `named_parameters()` then lists the one Parameter once, under the other name
    tied_to: str | None = None
    path: str = ""
    line: int = 0
    children: list[TreeNode] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def build_tree(
    project: Project, analysis: Analysis, info: ClassInfo, settings: dict[str, str] | None = None
) -> TreeNode:
    """The tree of `info`, with each weight's verdict where deadweight has one. With `settings`
    (constructor arguments and `config.<field>` values, as `--set` gives them; empty for the
    defaults), the tree of that one configuration: the conditions, branches and torch layers'
    optional keys that its values decide are decided (`model/configured.py`); the rest stay as
    they are without a configuration."""
    root = TreeNode(info.name, "module", info.name, path=info.path, line=info.facts.span.line)
    configured = None
    if settings is not None:
        args, fields = settings_args(settings)
        configured = scopes(project, info, args, fields)
    root.children = _members(project, analysis, info, (info.key,), scopes_=configured)
    _tie(info, root)
    return root


def _tie(info: ClassInfo, node: TreeNode) -> None:
    """Mark the parameters a class's tied-weights map (`{"encoder.embed_tokens.weight":
    "shared.weight"}`) makes one object with another: both stay in `state_dict()`, while
    `named_parameters()` lists the shared Parameter once. A map that is not a literal dict of
    strings (a list names no source) marks nothing."""
    for c in info.mro:
        for attr, code in c.facts.class_attrs:
            if not TIED_WEIGHTS_ATTR.search(attr):
                continue
            try:
                pairs = ast.literal_eval(code)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
            if not isinstance(pairs, dict):
                continue
            for target, source in pairs.items():
                if isinstance(target, str) and isinstance(source, str):
                    found = _find(node, target.split("."))
                    if found is not None and found.kind == "parameter" and found.tied_to is None:
                        found.tied_to = source


def _find(node: TreeNode, parts: list[str]) -> TreeNode | None:
    for part in parts:
        node_ = next((c for c in node.children if c.name == part), None)
        if node_ is None:
            return None
        node = node_
    return node


def _class_default(holder: ClassInfo, ctor: str) -> str | None:
    """The class default of the `__init__` parameter (of the holder or a base) named `ctor`."""
    if not ctor or "." in ctor:
        return None
    for c in holder.mro:
        init = c.facts.method("__init__")
        defaults = dict(init.class_defaults) if init is not None else {}
        if init is not None and (ctor in init.params or ctor in defaults):
            return defaults.get(ctor)
    return None


def dotted_names(node: TreeNode, *, buffers: bool = False) -> list[str]:
    """Parameter names under `node` as `named_parameters()` spells them (`*` for an index that
    is not a constant); persistent buffers too with `buffers=True` (the `state_dict()` keys)."""
    out: list[str] = []

    def walk(n: TreeNode, prefix: str) -> None:
        for c in n.children:
            name = f"{prefix}{c.name}"
            if c.kind == "parameter" or (buffers and c.kind == "buffer" and c.persistent):
                out.append(name)
            walk(c, name + ".")

    walk(node, "")
    return list(dict.fromkeys(out))  # items of several classes under one `*` share names


# `PatchEmbed(norm_layer=norm_layer)`: a parameter of the class built -> the class its caller
# passes there, as spelled there and resolved there
Bound = dict[str, tuple[str, "ClassInfo | str"]]


def _members(
    project: Project,
    analysis: Analysis,
    info: ClassInfo,
    seen: tuple[str, ...],
    bound: Bound | None = None,
    scopes_: Scopes | None = None,
) -> list[TreeNode]:
    """The weights an instance of `info` holds: its own and its bases', later definitions first
    overriding earlier ones by name, in the order the base-most class creates them; `bound`:
    the layer classes its constructor was passed; `scopes_`: the configuration's values in each
    class's constructor (None: no configuration)."""
    by_name: dict[str, Weight] = {}
    for c in reversed(info.mro):
        for w in project.weights(c):
            by_name[w.name] = w
    out = []
    for w in by_name.values():
        env = scopes_.get(w.cls.key, {}) if scopes_ is not None else None
        node = _weight_node(project, analysis, info, w, seen, bound, env)
        if node is not None:
            out.append(node)
    return out


def weight_node(
    project: Project,
    analysis: Analysis,
    holder: ClassInfo,
    w: Weight,
    seen: tuple[str, ...] = (),
    bound: Bound | None = None,
) -> TreeNode:
    """The node of weight `w` of `holder`, in no particular configuration."""
    node = _weight_node(project, analysis, holder, w, seen, bound)
    assert node is not None
    return node


def _weight_node(
    project: Project,
    analysis: Analysis,
    holder: ClassInfo,
    w: Weight,
    seen: tuple[str, ...] = (),
    bound: Bound | None = None,
    env: Env | None = None,
) -> TreeNode | None:
    """The node of weight `w` of `holder`; with `env` (the configuration's values where `w` is
    written), None when that configuration does not build it."""
    condition = w.write.condition if w.conditional else None
    if env is not None:
        configured = _configure(w, env)
        if configured is None:
            return None
        w, decided, why = configured
        condition = None if decided else (condition or why)
    written = w.write.ctor or (w.ctor or "").rsplit(".", 1)[-1]
    node = TreeNode(
        w.name,
        "unknown",
        written,
        condition=condition,
        path=w.path,
        line=w.write.span.line,
        owner=w.owner,
    )
    lv = analysis.liveness(w)
    found = verdict(project, analysis, lv)
    if found is not None:
        node.dead = f"{found.code} {found.confidence}"
        node.reason = found.message
        node.dead_elements = found.elements
        if found.elements:
            shown = ", ".join("last" if e == "-1" else e for e in found.elements)
            node.dead += f" (item{'s' if len(found.elements) > 1 else ''} {shown} only)"
    else:
        guarded = [u for u in lv.value_uses if u.read.guarded_by]
        if guarded and len(guarded) == len(lv.value_uses):
            u = guarded[0]  # every use sits under a condition: the input or a setting decides
            node.used_under = (u.read.guarded_by or "", u.cls.path, u.read.span.line)
    if w.kind == F.PARAMETER:
        node.kind = "parameter"
    elif w.kind == F.BUFFER:
        node.kind = "buffer"
        node.persistent = ("persistent", "False") not in w.write.kwargs
    else:
        _fill_module(project, analysis, holder, w, node, seen, bound, env)
    return node


def _configure(w: Weight, env: Env) -> tuple[Weight, bool, str | None] | None:
    """`w` as the configuration builds it: None when no write that builds it runs; else the
    weight with the writes that may run, whether it is built for sure (then with the one write
    that runs last, a ternary's branch chosen), and, when not, a condition it still depends on."""
    states = [(x, *_runs(w, x, env)) for x in w.writes]
    live = [(x, s, why) for x, s, why in states if s is not False]
    if not any(x.kind != F.NONE for x, _, _ in live):
        return None
    if all(s is True for _, s, _ in live) and len({x.method for x, _, _ in live}) == 1:
        last = live[-1][0]
        if last.kind == F.NONE:
            return None
        chosen = _choose(last, env)
        return dataclasses.replace(w, write=chosen, writes=(chosen,)), True, None
    kept = tuple(x for x, _, _ in live)
    first = next(x for x in kept if x.kind != F.NONE)
    why = next((why for _, s, why in live if s is None and why), None)
    return dataclasses.replace(w, write=first if w.write not in kept else w.write, writes=kept), False, why


def _runs(w: Weight, x: F.Write, env: Env) -> tuple[bool | None, str | None]:
    """Whether write `x` runs in the configuration: every guard of its method holds, and, for a
    builder method `__init__` calls (`if self.vectorized: self._init_vectorized()`), a call of
    it runs (None: not decided, as when a call's test holds but the tests around it are not
    read); with the condition that leaves it undecided."""
    own = all_hold(x.guards, env) if x.guards else True
    why = x.resolved_condition or x.condition
    if own is False or x.method == "__init__":
        return own, why
    calls = [
        guards
        for c in w.cls.mro
        for m in (c.facts.method("__init__"),)
        if m is not None
        for called, guards in m.self_call_guards
        if called == x.method
    ]
    called = [all_hold(guards, env) if guards else True for guards in calls]
    if not called or all(c is False for c in called):
        return (False, why) if called else (None, f"`{x.method}` runs")
    if True in called:
        return own, why
    return None, next((g for guards in calls for g in guards if g and decide(g, env) is None), why)


def _choose(x: F.Write, env: Env) -> F.Write:
    """`A(..) if test else B(..)` with `test` decided: the branch built."""
    if not x.choice or not x.elements:
        return x
    d = decide(x.choice, env)
    if d is None:
        return x
    container = (x.ctor or "").rsplit(".", 1)[-1] in CONTAINERS
    if d:
        return dataclasses.replace(x, choice=None, elements=x.elements[:-1] if container else ())
    other = x.elements[-1] if container else x.elements[0]
    return dataclasses.replace(x, choice=None, ctor=other, elements=(), kwargs=(), call=(), items=(), count=None)


def _fill_module(
    project: Project,
    analysis: Analysis,
    holder: ClassInfo,
    w: Weight,
    node: TreeNode,
    seen: tuple[str, ...],
    bound: Bound | None = None,
    env: Env | None = None,
) -> None:
    # names in the write resolve where the write is: a base's `__init__` in another file
    home = w.cls
    last = (w.write.ctor or w.ctor or "").rsplit(".", 1)[-1]
    if _mixes_containers(w) and len(seen) < _DEPTH:
        # `if deep_stem: self.conv1 = nn.Sequential(..)` / `else: self.conv1 = nn.Conv2d(..)`:
        # each branch's module is an alternative, with its own members
        node.kind = "module"
        node.note = "built as one of these, by configuration: the members of each are listed"
        spelled = []
        for x in _built_writes(w):
            one = TreeNode("", "unknown", x.ctor or "")
            _fill_module(project, analysis, holder, dataclasses.replace(w, write=x, writes=(x,)), one, seen, bound, env)
            spelled.append(x.ctor or "")
            _merge(node, one.children)
        node.ctor = " | ".join(dict.fromkeys(spelled))
        return
    if last in CONTAINERS:
        node.kind = "container"
        # `self.stages = nn.Sequential()` then `self.stages = nn.Sequential(*stages)`: the filled one
        made = [x for x in w.writes if x.kind == F.MODULE and (x.ctor or "").rsplit(".", 1)[-1] in CONTAINERS]
        write = next((x for x in reversed(made) if x.items or x.elements), w.write)
        node.count = write.count if len(made) == 1 and write.count != "0" else None  # `[]`: filled later
        if env is not None and node.count is not None:
            counted = value_of(node.count, env)
            if isinstance(counted, int) and not isinstance(counted, bool):
                node.count = str(counted)
                if counted == 0:
                    return  # this configuration builds it empty
        if write.items and len(made) == 1:  # `nn.Sequential(a(), b())`: items 0, 1
            for index, ctor in enumerate(write.items):
                item = TreeNode(str(index), "unknown", ctor, path=w.path, line=write.span.line)
                _fill_class(project, analysis, home, ctor, item, dict(), seen, bound=bound, env=env)
                node.children.append(item)
            return
        only_when = dict(write.element_conditions)
        # `[Block(dim=d, qk_norm=qk_norm) for _ in range(depth)]`: every item's arguments
        each = call_args(write.call, env) if env is not None and len(write.elements) == 1 and write.call else None
        for ctor in write.elements:
            when = only_when.get(ctor)
            if env is not None and when is not None:
                appended = decide(when, env)
                if appended is False:
                    continue
                when = None if appended else when
            item = TreeNode("*", "unknown", ctor, condition=when, path=w.path, line=write.span.line)
            _fill_class(project, analysis, home, ctor, item, dict(), seen, bound=bound, env=env, call=each)
            node.children.append(item)
        if env is not None:
            _number_items(node)
        for put in stored_members(project, holder, w.name):  # `self.add_mixin("pos_embed", Mixin())`
            item = TreeNode(put.key, "unknown", put.ctor, path=w.path, line=w.write.span.line)
            _fill_class(project, analysis, put.caller, put.ctor, item, dict(put.kwargs), seen)
            node.children.append(item)
        if not write.elements and not write.no_args:
            node.note = "its items are not read from the code"
        return
    # `nn.LayerNorm(d) if qk_norm else nn.Identity()`, or one class per `if` branch
    built = _built_writes(w)
    ctors = list(dict.fromkeys([*(x.ctor for x in built if x.ctor), *w.write.elements]))
    if len(ctors) <= 1:
        ctor = w.write.ctor or w.ctor or ""
        call = call_args(w.write.call, env) if env is not None else None
        _fill_class(
            project,
            analysis,
            home,
            ctor,
            node,
            dict(w.write.kwargs),
            seen,
            w.write.args,
            bound,
            w.write.unpacked,
            env=env,
            call=call,
        )
        return
    kwargs_of = {x.ctor: dict(x.kwargs) for x in reversed(built)}
    node.kind = "module"
    node.note = "built as one of these, by configuration: the members of each are listed"
    spelled = []
    for ctor in ctors:
        one = TreeNode("", "unknown", ctor)
        _fill_class(project, analysis, home, ctor, one, kwargs_of.get(ctor, {}), seen, bound=bound, env=env)
        spelled.append(one.ctor if " = " in one.ctor else ctor)  # `norm_layer = nn.LayerNorm`: the class it is
        _merge(node, one.children)
    node.ctor = " | ".join(spelled)


_NUMBERED = 64  # items a configured container lists one by one (more stay `*`)


def _number_items(node: TreeNode) -> None:
    """A configured container of a known count whose items are one class built on every path:
    the items as torch numbers them (`blocks.0`, `blocks.1`), as `named_parameters()` does."""
    if node.count is None or not node.count.isdigit() or int(node.count) > _NUMBERED or len(node.children) != 1:
        return
    item = node.children[0]
    if item.name != "*" or item.condition is not None or " | " in item.ctor:
        return
    node.children = [dataclasses.replace(copy.deepcopy(item), name=str(i)) for i in range(int(node.count))]


def _built_writes(w: Weight) -> list[F.Write]:
    return [x for x in w.writes if x.kind == F.MODULE and x.ctor]


def _mixes_containers(w: Weight) -> bool:
    """Some writes build a container and others a plain layer (the branches of an `if`)."""
    built = _built_writes(w)
    kinds = {(x.ctor or "").rsplit(".", 1)[-1] in CONTAINERS for x in built}
    return len(built) > 1 and kinds == {True, False}


def _merge(node: TreeNode, children: list[TreeNode]) -> None:
    """Members of one alternative into `node`'s: a name another alternative has too keeps both
    classes (`emb`: `nn.Embedding` in one, `TimestepEmbedding` in the other) and both subtrees."""
    for child in children:
        same = next((c for c in node.children if c.name == child.name), None)
        if same is None:
            node.children.append(child)
            continue
        if child.ctor and child.ctor not in same.ctor.split(" | "):
            same.ctor = f"{same.ctor} | {child.ctor}" if same.ctor else child.ctor
        if same.kind == "unknown":
            same.kind = child.kind
        _merge(same, child.children)


def _fill_class(
    project: Project,
    analysis: Analysis,
    holder: ClassInfo,
    ctor: str,
    node: TreeNode,
    kwargs: dict[str, str] | None,
    seen: tuple[str, ...],
    args: tuple[str, ...] = (),
    bound: Bound | None = None,
    position: int | None = None,
    *,
    env: Env | None = None,
    call: Args | None = None,
) -> None:
    """A module built as `ctor(*args, **kwargs)`: a repo class's own members, or a torch layer's
    keys; `args` names what each positional argument of a helper call holds (`Write.args`);
    `kwargs` None: the layer's arguments are not known (a helper was handed it already built);
    `position`: the item of the tuple the helper returns (`self.pool, self.fc = make(..)`);
    `env`: a configuration's values where the call is written (None: no configuration), and
    `call` the call's arguments evaluated there (None: not known)."""
    node.kind = "module"
    if bound and ctor in bound:  # `norm_layer(dim)` where the caller passed `norm_layer=nn.LayerNorm`
        spelled, passed_class = bound[ctor]
        node.ctor = f"{ctor} = {spelled}"
        node.note = f"`{ctor}` as the caller passes it"
        _fill_target(project, analysis, passed_class, spelled, node, kwargs, seen, holder=holder, env=env, call=call)
        return
    default = _class_default(holder, ctor)
    if default is not None:  # `block_fn(dim)` with `block_fn=Block`: the class built by default
        node.ctor, ctor = f"{ctor} = {default}", default
        node.note = f"`{node.ctor.split(' = ')[0]}` as it defaults; a caller may pass another class"
    target = project.resolve(holder.file, ctor) if ctor else None
    named = default is not None
    if ctor and not isinstance(target, ClassInfo) and not (target or "").startswith("torch."):
        made = product(project, holder, ctor, position=position)  # `get_down_block(...)`: what its returns build
        unsure = made is None or made.ctor in MODULE_BASES
        passed = passed_through(project, holder, ctor, args) if unsure and position is None else None
        if passed is not None and passed != ctor and len(seen) < _DEPTH:
            # `zero_module(nn.Conv2d(..))` returns its argument; `_create_attn(attn_layer, ..)`
            # returns `attn_layer(..)`: the class the caller passes
            node.ctor = passed
            handed = helper_call(project, holder, ctor, call) if env is not None else None
            _fill_class(project, analysis, holder, passed, node, None, (*seen, f"{ctor}()"), env=env, call=handed)
            node.ctor = f"{ctor} -> {node.ctor}"
            return
        if made is not None:
            alternatives = made.alternatives or (made.ctor,)
            if len(alternatives) > 1:
                node.ctor = f"{ctor} -> " + " | ".join(a.rsplit(".", 1)[-1] for a in alternatives)
                node.note = f"`{ctor}` returns one of these, by its arguments: the members of each are listed"
                for a in alternatives:
                    one = TreeNode("", "unknown", a)
                    _fill_target(project, analysis, project.classes.get(a) or a, a, one, {}, seen, env=env)
                    _merge(node, one.children)
                return
            node.ctor = f"{ctor} -> {made.ctor.rsplit('.', 1)[-1]}"
            target = project.classes.get(made.ctor) or made.ctor
            ctor, named = made.ctor, True
            call = None  # the helper's arguments, not the class's
    _fill_target(
        project,
        analysis,
        target,
        ctor,
        node,
        kwargs,
        seen,
        keep_ctor=named,
        holder=holder,
        bound=bound,
        env=env,
        call=call,
    )


def _fill_target(
    project: Project,
    analysis: Analysis,
    target: ClassInfo | str | None,
    ctor: str,
    node: TreeNode,
    kwargs: dict[str, str] | None,
    seen: tuple[str, ...],
    *,
    keep_ctor: bool = True,
    holder: ClassInfo | None = None,
    bound: Bound | None = None,
    env: Env | None = None,
    call: Args | None = None,
) -> None:
    """The members of the resolved class `target` (a repo class, or a qualified name); `holder`
    is where the call is written, whose keyword arguments may pass layer classes on; `env` and
    `call` as `_fill_class` takes them."""
    node.kind = "module"
    if isinstance(target, ClassInfo) and not target.external:
        if target.key in seen or len(seen) >= _DEPTH:
            node.note = "nested too deep, or recursive"
            return
        if not keep_ctor:
            node.ctor = target.name
        passes = _passes(project, holder, kwargs, bound) if holder is not None and kwargs else None
        inner = scopes(project, target, call) if env is not None else None
        node.children = _members(project, analysis, target, (*seen, target.key), passes, inner)
        _tie(target, node)
        base = _torch_base(target, inner)
        if base is not None:  # `class ScaledEmbedding(nn.Embedding)`: the base's own keys too
            own = TreeNode("", "module", base[0])
            _torch_keys(own, base[0], base[1])
            node.children = [*own.children, *(c for c in node.children if all(c.name != k.name for k in own.children))]
        return
    qualified = target if isinstance(target, str) else (target.key if target is not None else ctor)
    last = ctor.rsplit(".", 1)[-1]
    if env is not None and (kwargs is not None or call is not None):
        kwargs = _decided_kwargs(kwargs or {}, call, last)
    if not qualified.startswith("torch.nn.") or not _torch_keys(node, last, kwargs):
        node.note = "its parameters are not known (not a torch layer with literal arguments, nor a class read here)"


def _passes(project: Project, holder: ClassInfo, kwargs: dict[str, str], bound: Bound | None) -> Bound | None:
    """The layer classes a call's keyword arguments pass (`norm_layer=norm_layer` with the
    caller's `norm_layer=nn.LayerNorm`, or one its own caller passed): resolved where written."""
    out: Bound = {}
    for param, text in kwargs.items():
        if bound and text in bound:
            out[param] = bound[text]
            continue
        if not text.replace(".", "").replace("_", "").isalnum():
            continue  # not a plain name: `partial(..)`, a call, an expression
        spelled = _class_default(holder, text) or text
        r = project.resolve(holder.file, spelled)
        repo_layer = isinstance(r, ClassInfo) and r.is_module and not r.external
        torch_layer = isinstance(r, str) and r.startswith("torch.nn.") and torch_layer_variants(r.rsplit(".", 1)[-1])
        if r is not None and (repo_layer or torch_layer):
            out[param] = (spelled, r)
    return out or None


_SIZES = 2  # positional arguments a torch layer call passes before any key-deciding flag may be one


def _decided_kwargs(kwargs: dict[str, str], call: Args | None, layer: str = "") -> dict[str, str]:
    """A torch layer's keyword arguments with those the configuration decides written as
    literals (`bias=qkv_bias` with `qkv_bias=False`: `bias=False`). The table knows no
    positions, so past two positional arguments (`nn.LayerNorm(d, eps, affine)`) or with
    `*args`/`**kwargs` a key-deciding flag not passed by keyword is unknown (`?`)."""
    out = dict(kwargs)
    flat = unpack(call or [])
    for key, value in flat:
        if key not in ("", "*", "**") and (value is None or isinstance(value, bool | int | float | str)):
            out[key] = repr(value)
    keys = [k for k, _ in flat]
    if keys.count("") > _SIZES or "*" in keys or "**" in keys:
        variants = torch_layer_variants(layer) if layer else None
        for flag in variants[2] if variants is not None else ():
            out.setdefault(flag, "?")
    return out


def _torch_base(info: ClassInfo, configured: Scopes | None = None) -> tuple[str, dict[str, str]] | None:
    """The torch layer a repo class derives from (`nn.Embedding`), with the keyword arguments its
    `super().__init__(...)` passes (a non-literal one as `?`, which decides nothing for sure,
    unless the configuration `configured` decides it)."""
    for c in info.mro:
        for b in c.bases:
            qualified = b if isinstance(b, str) else (b.key if b.external else "")
            last = qualified.rsplit(".", 1)[-1]
            if not qualified.startswith("torch.nn.") or torch_layer_variants(last) is None:
                continue
            kwargs: dict[str, str] = {}
            init = c.facts.method("__init__")
            for call in init.init_calls if init is not None else ():
                if call.method == "__init__":
                    kwargs = {**{n: "?" for n in call.named}, **dict(call.kwargs)}
                    if configured is not None:
                        kwargs = _decided_kwargs(kwargs, call_args(call.call, configured.get(c.key, {})))
                    break
            return last, kwargs
    return None


def _torch_keys(node: TreeNode, last: str, kwargs: dict[str, str] | None) -> bool:
    """The parameters and buffers of the torch layer `last(**kwargs)` as `node`'s children;
    False when the table does not know the layer."""
    keys = torch_layer_keys(last, kwargs) if kwargs is not None else None
    buffers = torch_buffer_keys(last)
    if keys is not None:
        for key in torch_key_order(last, keys):  # as `named_parameters()` lists them
            node.children.append(
                TreeNode(key, "buffer" if key in buffers else "parameter", path=node.path, line=node.line)
            )
        return True
    variants = torch_layer_variants(last)
    if variants is None:
        return False
    # `nn.Linear(d, d, bias=config.bias)`: `weight` for sure, `bias` depending on the value
    always, some, deciding = variants
    when = "depends on " + ", ".join(f"`{a}`" for a in deciding)
    for key in torch_key_order(last, always | some):
        kind = "buffer" if key in buffers else "parameter"
        node.children.append(
            TreeNode(key, kind, condition=None if key in always else when, path=node.path, line=node.line)
        )
    return True

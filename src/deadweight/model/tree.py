"""`deadweight tree PATH::Class`: the module tree a class's construction builds, read, not run.

What `print(model)` shows, without importing anything: each submodule with its class, the
parameters and buffers at the leaves (torch layers' own from the table made by building them,
`_torch_state_table.py`), containers with their element classes under a symbolic index `*`,
conditional weights with the condition that creates them, and the DW1 verdict of each weight.
The dotted names it yields (`blocks.*.attn.qkv.weight`) are the names DDP and `state_dict()`
use, with `*` where the count is not a constant.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from deadweight.conventions import CONTAINERS, torch_buffer_keys, torch_layer_keys, torch_layer_variants
from deadweight.extract import facts as F
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
    count: str | None = None  # a container's item count as source text (`depth`, `3`)
    reason: str | None = None  # the dead weight's finding message
    owner: str = ""  # for an attribute a class's code creates: that class (empty for a layer's own keys)
    # every use of a live weight is under this condition: (condition, path, line of the first)
    used_under: tuple[str, str, int] | None = None
    note: str | None = None  # why the children are not known
    path: str = ""
    line: int = 0
    children: list[TreeNode] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def build_tree(project: Project, analysis: Analysis, info: ClassInfo) -> TreeNode:
    """The tree of `info`, with each weight's verdict where deadweight has one."""
    root = TreeNode(info.name, "module", info.name, path=info.path, line=info.facts.span.line)
    root.children = _members(project, analysis, info, (info.key,))
    return root


def _class_default(holder: ClassInfo, ctor: str) -> str | None:
    """The class default of the `__init__` parameter (of the holder or a base) named `ctor`."""
    if not ctor or "." in ctor:
        return None
    for c in holder.mro:
        init = c.facts.method("__init__")
        if init is not None and ctor in init.params:
            return dict(init.class_defaults).get(ctor)
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


def _members(project: Project, analysis: Analysis, info: ClassInfo, seen: tuple[str, ...]) -> list[TreeNode]:
    """The weights an instance of `info` holds: its own and its bases', later definitions first
    overriding earlier ones by name, in the order the base-most class creates them."""
    by_name: dict[str, Weight] = {}
    for c in reversed(info.mro):
        for w in project.weights(c):
            by_name[w.name] = w
    return [weight_node(project, analysis, info, w, seen) for w in by_name.values()]


def weight_node(
    project: Project, analysis: Analysis, holder: ClassInfo, w: Weight, seen: tuple[str, ...] = ()
) -> TreeNode:
    written = w.write.ctor or (w.ctor or "").rsplit(".", 1)[-1]
    node = TreeNode(
        w.name,
        "unknown",
        written,
        condition=w.write.condition if w.conditional else None,
        path=w.path,
        line=w.write.span.line,
        owner=w.owner,
    )
    lv = analysis.liveness(w)
    found = verdict(project, analysis, lv)
    if found is not None:
        node.dead = f"{found.code} {found.confidence}"
        node.reason = found.message
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
        _fill_module(project, analysis, holder, w, node, seen)
    return node


def _fill_module(
    project: Project, analysis: Analysis, holder: ClassInfo, w: Weight, node: TreeNode, seen: tuple[str, ...]
) -> None:
    last = (w.write.ctor or w.ctor or "").rsplit(".", 1)[-1]
    if last in CONTAINERS:
        node.kind = "container"
        node.count = w.write.count if len(w.writes) == 1 and w.write.count != "0" else None  # `[]`: filled later
        if w.write.items and len(w.writes) == 1:  # `nn.Sequential(a(), b())`: items 0, 1
            for index, ctor in enumerate(w.write.items):
                item = TreeNode(str(index), "unknown", ctor, path=w.path, line=w.write.span.line)
                _fill_class(project, analysis, holder, ctor, item, dict(), seen)
                node.children.append(item)
            return
        for ctor in w.write.elements:
            item = TreeNode("*", "unknown", ctor, path=w.path, line=w.write.span.line)
            _fill_class(project, analysis, holder, ctor, item, dict(), seen)
            node.children.append(item)
        for put in stored_members(project, holder, w.name):  # `self.add_mixin("pos_embed", Mixin())`
            item = TreeNode(put.key, "unknown", put.ctor, path=w.path, line=w.write.span.line)
            _fill_class(project, analysis, put.caller, put.ctor, item, dict(put.kwargs), seen)
            node.children.append(item)
        if not w.write.elements and not w.write.no_args:
            node.note = "its items are not read from the code"
        return
    # `nn.LayerNorm(d) if qk_norm else nn.Identity()`, or one class per `if` branch
    built = [x for x in w.writes if x.kind == F.MODULE and x.ctor]
    ctors = list(dict.fromkeys([*(x.ctor for x in built if x.ctor), *w.write.elements]))
    if len(ctors) <= 1:
        _fill_class(project, analysis, holder, w.write.ctor or w.ctor or "", node, dict(w.write.kwargs), seen)
        return
    kwargs_of = {x.ctor: dict(x.kwargs) for x in reversed(built)}
    node.kind = "module"
    node.ctor = " | ".join(ctors)
    node.note = "built as one of these, by configuration: the members of each are listed"
    for ctor in ctors:
        one = TreeNode("", "unknown", ctor)
        _fill_class(project, analysis, holder, ctor, one, kwargs_of.get(ctor, {}), seen)
        for child in one.children:
            if all(child.name != c.name for c in node.children):
                node.children.append(child)


def _fill_class(
    project: Project,
    analysis: Analysis,
    holder: ClassInfo,
    ctor: str,
    node: TreeNode,
    kwargs: dict[str, str],
    seen: tuple[str, ...],
) -> None:
    """A module built as `ctor(**kwargs)`: a repo class's own members, or a torch layer's keys."""
    node.kind = "module"
    default = _class_default(holder, ctor)
    if default is not None:  # `block_fn(dim)` with `block_fn=Block`: the class built by default
        node.ctor, ctor = f"{ctor} = {default}", default
        node.note = f"`{node.ctor.split(' = ')[0]}` as it defaults; a caller may pass another class"
    target = project.resolve(holder.file, ctor) if ctor else None
    if isinstance(target, ClassInfo) and not target.external:
        if target.key in seen or len(seen) >= _DEPTH:
            node.note = "nested too deep, or recursive"
            return
        if default is None:
            node.ctor = target.name
        node.children = _members(project, analysis, target, (*seen, target.key))
        return
    qualified = target if isinstance(target, str) else (target.key if target is not None else ctor)
    last = ctor.rsplit(".", 1)[-1]
    torch_layer = qualified.startswith("torch.nn.")
    keys = torch_layer_keys(last, kwargs) if torch_layer else None
    buffers = torch_buffer_keys(last)
    if keys is not None:
        for key in sorted(keys):
            node.children.append(
                TreeNode(key, "buffer" if key in buffers else "parameter", path=node.path, line=node.line)
            )
        return
    variants = torch_layer_variants(last) if torch_layer else None
    if variants is None:
        node.note = "its parameters are not known (not a torch layer with literal arguments, nor a class read here)"
        return
    # `nn.Linear(d, d, bias=config.bias)`: `weight` for sure, `bias` depending on the value
    always, some, deciding = variants
    when = "depends on " + ", ".join(f"`{a}`" for a in deciding)
    for key in sorted(always | some):
        kind = "buffer" if key in buffers else "parameter"
        node.children.append(
            TreeNode(key, kind, condition=None if key in always else when, path=node.path, line=node.line)
        )

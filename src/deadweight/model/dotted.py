"""The names DDP and `state_dict()` give a weight, under each root model that holds it.

DDP's "parameters that were not used in producing loss" error, with
`TORCH_DISTRIBUTED_DEBUG=DETAIL`, names parameters by dotted path from the wrapped model
(`blocks.3.attn.q_norm.weight`). A finding that names the same paths lets a user match the two.
A root is a module class that no other module class holds; the path down to the weight is read
from the attributes that hold each class (`blocks` a container: `blocks.*`).
"""

from __future__ import annotations

from collections import deque

from deadweight.conventions import CONTAINERS
from deadweight.extract import facts as F
from deadweight.model import deps
from deadweight.model.contributed import Family, Part, concat
from deadweight.model.elements import element_keys
from deadweight.model.project import ClassInfo, Project, Weight
from deadweight.model.stored import Stored, stored_members
from deadweight.model.tree import TreeNode, dotted_names

_LIMIT = 3  # root paths named per finding
_KEYS = 8  # keys named per root
_DEPTH = 10


class Holders:
    """Which classes hold which: built once per run, asked once per finding."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._family: Family | None = None

    def family(self) -> Family:
        """The edges, kept per holder class (`model.contributed`)."""
        if self._family is None:
            order = ["d:" + c.key for c in self.project.module_classes()]
            self._family = Family(order, self._part, {"held_by": concat})
            self.project.register(self._family.indexes["held_by"])
        return self._family

    def edges(self) -> deps.Index[str, list[tuple[ClassInfo, str]]]:
        return self.family().indexes["held_by"]

    def _part(self, cid: str) -> Part:
        holder = self.project.classes[cid[2:]]
        out: Part = []
        for w in self.project.weights(holder):
            if w.kind != F.MODULE:
                continue
            container = (w.write.ctor or "").rsplit(".", 1)[-1] in CONTAINERS
            if container and w.write.items and len(w.writes) == 1:  # `nn.Sequential(a(), b())`
                placed = [(c, f"{w.name}.{i}") for i, c in enumerate(w.write.items)]
            elif container:
                placed = [(c, f"{w.name}.*") for c in w.write.elements]
            else:
                placed = [(c, w.name) for c in dict.fromkeys((w.write.ctor or "", *w.write.elements))]
            for ctor, segment in placed:
                target = self.project.resolve(holder.file, ctor) if ctor else None
                if isinstance(target, ClassInfo) and target.is_module:
                    out.append(("held_by", target.key, (holder, segment)))
        for put, segment in self._stored(holder):
            target = self.project.resolve(put.caller.file, put.ctor)
            if isinstance(target, ClassInfo) and target.is_module:
                out.append(("held_by", target.key, (holder, segment)))
        return out

    def _stored(self, holder: ClassInfo) -> list[tuple[Stored, str]]:
        """`self.add_mixin("pos_embed", Mixin())` filling `self.mixins[name]`, a container of
        the holder or of a base: each stored module with its segment (`mixins.pos_embed`)."""
        out: list[tuple[Stored, str]] = []
        names = {w.name for c in holder.mro for w in self.project.weights(c) if w.kind == F.MODULE}
        if not any(m.self_calls for c in holder.mro for m in c.facts.methods):
            return out
        for name in sorted(names):
            out.extend((put, f"{name}.{put.key}") for put in stored_members(self.project, holder, name))
        return out

    def prefixes(self, cls: ClassInfo) -> list[tuple[str, str]]:
        """(root class name, dotted prefix) for up to a few roots that hold `cls` (or one of
        its subclasses, which inherit its weights); the class itself when nothing holds it."""
        edges = self.edges()
        out: list[tuple[str, str]] = []
        start = [cls, *self.project.descendants(cls)]
        todo: deque[tuple[ClassInfo, str, int]] = deque((c, "", 0) for c in start)
        seen: set[tuple[str, str]] = set()
        while todo and len(out) < _LIMIT:
            c, prefix, depth = todo.popleft()
            holders = edges.get(c.key, [])
            if not holders or depth >= _DEPTH:
                if (c.name, prefix) not in out:
                    out.append((c.name, prefix))
                continue
            for holder, segment in holders:
                key = (holder.key, segment + "." + prefix)
                if key in seen:
                    continue
                seen.add(key)
                todo.append((holder, f"{segment}.{prefix}", depth + 1))
        return out


def weight_names(holders: Holders, w: Weight, leaf: TreeNode | None, elements: tuple[str, ...] = ()) -> tuple[str, ...]:
    """`Root: a.*.b.weight` for each root, the weight's own keys under it (`leaf`, its tree
    node, lists a module's parameters; a parameter or buffer is its own key); `elements`: only
    these items of a container (a finding on `stages[0]` names `stages.0.weight`)."""
    if w.parameter_free:
        return ()  # nothing of it is in a checkpoint, and DDP has nothing of it to wait for
    if leaf is not None and leaf.children:
        keys = dotted_names(leaf, buffers=True)
        own = [f"{w.name}.{n}" for n in (element_keys(keys, elements) if elements else keys)]
    elif w.kind in (F.PARAMETER, F.BUFFER):
        own = [w.name]
    else:
        own = [f"{w.name}.{n}.*" for n in element_keys(["*"], elements)] if elements else [f"{w.name}.*"]
    out: list[str] = []
    for root, prefix in holders.prefixes(w.cls):
        out.extend(f"{root}: {prefix}{name}" for name in own[:_KEYS])
    return tuple(out)

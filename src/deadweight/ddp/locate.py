"""Map the parameter names of a DDP error to the nodes of a class's static tree: the class,
file and line that create each parameter, and deadweight's verdict on it.

Names are matched segment by segment: a container's `*` item matches any index, a literal
`nn.Sequential`'s item its own position. Wrappers add leading segments to every name
(`module.` from DDP or DataParallel, `_orig_mod.` from torch.compile, a LightningModule's
`model.`); a name that matches no path as written is tried without its first segments.
Indices are positions in `named_parameters()` order (a module's own parameters, then its
children's, in creation order), which only a tree with no symbolic count can give.
"""

from __future__ import annotations

from dataclasses import dataclass

from deadweight.model.tree import TreeNode

_WRAPPER_DEPTH = 3  # leading segments a wrapper may add


@dataclass
class Located:
    name: str  # as the error spelled it
    found: bool
    parameter: str = ""  # the key inside the weight that holds it (`weight` of a Linear)
    weight: TreeNode | None = None  # the attribute that creates it
    owner: str = ""  # the class whose construction creates that attribute
    dead: TreeNode | None = None  # the nearest node on the path with a dead-weight verdict
    guarded: TreeNode | None = None  # the nearest node whose every use is under a condition


def locate(root: TreeNode, name: str) -> Located:
    parts = name.split(".")
    for skip in range(min(_WRAPPER_DEPTH, len(parts) - 1) + 1):
        path = _walk(root, parts[skip:])
        if path is not None:
            return _describe(name, path, parts[skip:])
    return Located(name, False)


def indexed_names(root: TreeNode) -> list[str] | None:
    """`named_parameters()` names in torch's order (own parameters, then each child's), or None
    when the tree cannot say which parameters exist: a count that is not a constant, a weight
    under an undecided condition or one of alternatives (the configured tree decides most), or
    a tie whose kept name is not listed before it (torch lists a shared Parameter once, under
    the first name it meets)."""
    out: list[str] = []

    def walk(node: TreeNode, prefix: str) -> bool:
        for c in node.children:
            if c.condition is not None or " | " in c.ctor:
                return False
        for c in node.children:
            if c.kind == "parameter":
                if c.tied_to is not None:
                    if c.tied_to not in out:
                        return False
                    continue
                out.append(prefix + c.name)
        for c in node.children:
            if c.kind in ("parameter", "buffer"):
                continue
            if c.name == "*":
                return False
            if not walk(c, f"{prefix}{c.name}."):
                return False
        return True

    return out if walk(root, "") else None


def _walk(node: TreeNode, parts: list[str]) -> list[TreeNode] | None:
    if not parts:
        return []
    head, rest = parts[0], parts[1:]
    for c in node.children:
        if c.name == head or (c.name == "*" and head.isdigit()):
            tail = _walk(c, rest)
            if tail is not None:
                return [c, *tail]
    return None


def _dead_at(node: TreeNode, parts: list[str], i: int) -> bool:
    """A verdict on some items of a container (`stages[0]`) holds for the key only when the
    key's index is one of them; an item counted from the end needs the count, which the
    error's name alone does not give."""
    if not node.dead_elements:
        return True
    return i + 1 < len(parts) and parts[i + 1] in node.dead_elements


def _describe(name: str, path: list[TreeNode], parts: list[str]) -> Located:
    """The deepest node on the path that a class's code creates is the weight; what lies below
    it is the key inside it (`weight` of an `nn.Linear`)."""
    at = max((i for i, n in enumerate(path) if n.owner), default=len(path) - 1)
    weight = path[at]
    parameter = ".".join(parts[at + 1 :])  # as the error spells it: `0.weight`, not `*.weight`
    dead = next((n for i, n in enumerate(path) if n.dead and _dead_at(n, parts, i)), None)
    guarded = next((n for n in reversed(path) if n.used_under), None)
    return Located(name, True, parameter, weight, weight.owner, dead, guarded)

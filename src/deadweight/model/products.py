"""What a helper returns, when a weight is built by calling it: `self.layer1 = self._make_layer(...)`,
`self.proj = make_proj(dim)`, `self.act = get_activation(name)` annotated `-> nn.Module`.

The code says it: the helper's `return` statements (`return nn.Sequential(*layers)`, a local
assigned a layer, another helper's result) and its return annotation. A helper whose returns
all build modules builds a module for certain; one known only from an annotation naming a
generic base (`nn.Module`) builds some module that may hold no parameters, which the finding
says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from deadweight.conventions import CONTAINERS, MODULE_BASES
from deadweight.extract import facts as F

if TYPE_CHECKING:
    from deadweight.model.project import ClassInfo, Project

_DEPTH = 3  # helpers returning helpers' results


@dataclass(frozen=True)
class Product:
    ctor: str  # the resolved class (qualified name or repo class key) the helper returns
    certain: bool
    doubt: str | None = None  # why not certain, in a maintainer's words
    # every class it may be, when it is one entry of a table of classes (`ACT2CLS[name]()`)
    alternatives: tuple[str, ...] = ()


def product(
    p: Project,
    info: ClassInfo,
    callee: str,
    depth: int = _DEPTH,
    position: int | None = None,
    file: F.FileFacts | None = None,
) -> Product | None:
    """The module a call to a repo function or a method of `info` returns, if the code says;
    `position`: the item at that position of the tuple it returns (`self.pool, self.fc =
    create_classifier(..)`); `file`: where the call is written, when not in `info`'s file (a
    helper calling another helper it imports: `create_conv2d` -> `create_conv2d_pad`)."""
    if depth <= 0:
        return None
    if callee.startswith("self.") and callee.count(".") == 1:
        hit = p.lookup(info, callee[5:])
        if hit is None:
            return None
        home, m = hit
        if position is not None:
            return _from_tuples(p, home, home.file, callee, m.returns, m.tuple_returns, position, depth)
        return _from(p, home, home.file, callee, m.returns, m.return_types, depth)
    found = p.resolve_function_in(file or info.file, callee)
    if found is None:
        return None
    file, fn = found
    if position is not None:
        return _from_tuples(p, info, file, callee, fn.returns, fn.tuple_returns, position, depth)
    return _from(p, info, file, callee, fn.returns, fn.return_types, depth)


def _from_tuples(
    p: Project,
    info: ClassInfo,
    file: F.FileFacts,
    callee: str,
    returns: tuple[str, ...],
    tuples: tuple[tuple[str, ...], ...],
    position: int,
    depth: int,
) -> Product | None:
    """The item at `position` of every tuple the helper returns: known only when each return
    is such a tuple whose item there is built by a call (`return pool, fc`)."""
    if not tuples or any(len(t) <= position or not t[position] for t in tuples):
        return None
    if any(r != "None" for r in returns):
        return None  # some return is not a tuple written out: what it unpacks to is not read
    items = tuple(t[position] for t in tuples)
    return _from(p, info, file, f"{callee}(..)[{position}]", (*items, *(r for r in returns if r == "None")), (), depth)


def _from(
    p: Project,
    info: ClassInfo,
    file: F.FileFacts,
    callee: str,
    returns: tuple[str, ...],
    annotated: tuple[str, ...],
    depth: int,
) -> Product | None:
    values = [r for r in returns if r != "None"]
    made = [_built(p, info, file, r, depth) for r in values]
    if made and all(m is not None for m in made):
        first = made[0]
        assert first is not None
        alternatives = tuple(dict.fromkeys(a for m in made if m is not None for a in (m.alternatives or (m.ctor,))))
        if len(alternatives) == 1:
            alternatives = ()
        if len(values) < len(returns):  # `return None` on some path: the attribute may hold no module
            return Product(first.ctor, False, f"`{callee}` may also return None", alternatives)
        return Product(first.ctor, all(m is not None and m.certain for m in made), first.doubt, alternatives)
    for name in annotated:
        r = p.resolve(file, name)
        if not isinstance(r, str) and r is not None and r.is_module:
            return Product(r.key, r.module_certain)
        if isinstance(r, str) and p.is_module_qualname(r):
            if r in MODULE_BASES:  # `-> nn.Module`: some module, maybe without parameters
                return Product(
                    r, False, f"`{callee}` is only known to return some `{name}`, which may hold no parameters"
                )
            return Product(r, True)
    return None


def _built(p: Project, info: ClassInfo, file: F.FileFacts, callee: str, depth: int) -> Product | None:
    if callee.endswith("[...]"):
        return _from_table(p, info, file, callee[:-5], depth)
    r = p.resolve(file, callee)
    if not isinstance(r, str) and r is not None:
        return Product(r.key, r.module_certain) if r.is_module else None
    if r is not None and p.is_module_qualname(r):
        return Product(r, True)
    if callee.rsplit(".", 1)[-1] in CONTAINERS and (r is None or r.startswith("torch.")):
        return Product(r or callee, True)
    # a repo function (unresolved, or resolved to the qualified name of a function): its returns
    return product(p, info, callee, depth - 1, file=file)


def _from_table(p: Project, info: ClassInfo, file: F.FileFacts, name: str, depth: int) -> Product | None:
    """`ACT2CLS[name]()`: one of the table's classes, a module only if every entry is one."""
    found = p.class_table(file, name)
    if found is None:
        return None
    home, classes = found
    made = [_built(p, info, home, c, depth) for c in classes]
    if not made or any(m is None for m in made):
        return None
    ctors = tuple(m.ctor for m in made if m is not None)
    certain = all(m is not None and m.certain for m in made)
    return Product(ctors[0], certain, None, ctors if len(ctors) > 1 else ())


def passed_through(p: Project, info: ClassInfo, callee: str, args: tuple[str, ...]) -> str | None:
    """What a helper call builds when the helper hands back one of its parameters (`return
    module`: `zero_module(nn.Conv2d(..))`) or builds one (`return attn_layer(dim)`): the name
    the call passes in that position (`Write.args`), to resolve where the call is written."""
    if not args:
        return None
    found = p.resolve_function_in(info.file, callee)
    if found is None:
        return None
    fn = found[1]
    for name in (*fn.returns_params, *fn.returns):
        if name in fn.params:
            at = fn.params.index(name)
            if at < len(args) and args[at] and args[at] != callee:
                return args[at]
    return None

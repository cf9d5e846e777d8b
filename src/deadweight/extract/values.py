"""What an expression assigned to `self.<attr>` creates: a parameter, a buffer, a module, a
plain container of modules, a tensor, None, or something we do not count as a weight."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from deadweight.conventions import ACTIVATION_REGISTRIES, CONTAINERS, TENSOR_FACTORIES
from deadweight.extract import facts as F
from deadweight.extract.cstutil import dotted, is_none
from deadweight.extract.walk import walk

_BUILTIN_CALLS = frozenset(
    {
        "range",
        "len",
        "enumerate",
        "zip",
        "int",
        "float",
        "str",
        "list",
        "tuple",
        "dict",
        "min",
        "max",
        "sum",
        "reversed",
        "sorted",
        "map",
        "getattr",
        "filter",
    }
)
# builtins whose result holds the items of their arguments: `nn.Sequential(*filter(None, [a, b]))`
_ITEM_PASSING = frozenset({"filter", "list", "tuple", "reversed", "sorted"})


def value_kind(
    value: cst.BaseExpression | None,
    locals_: dict[str, cst.BaseExpression],
    code_for: Callable[[cst.CSTNode], str],
    guard: Callable[[cst.BaseExpression], str] | None = None,
    depth: int = 0,
) -> tuple[str, str | None, tuple[str, ...], tuple[tuple[str, str], ...], str | None]:
    """(kind, ctor, element ctors, literal kwargs, condition) of an assigned expression; `guard`
    renders a ternary's test (with the method's fixed locals written in)."""
    if value is None or depth > 4:
        return F.OTHER, None, (), (), None
    if is_none(value):
        return F.NONE, None, (), (), None
    if isinstance(value, cst.IfExp):
        a = value_kind(value.body, locals_, code_for, guard, depth + 1)
        b = value_kind(value.orelse, locals_, code_for, guard, depth + 1)
        cond = (guard or code_for)(value.test)
        if _holds_nothing(value.orelse):  # `clones(layer, n) if layer is not None else [None] * n`
            b = (F.NONE, None, (), (), None)
        if _holds_nothing(value.body):
            a = (F.NONE, None, (), (), None)
        if a[0] == F.NONE and b[0] != F.NONE:
            return b[0], b[1], b[2], b[3], f"not ({cond})"
        if b[0] == F.NONE and a[0] != F.NONE:
            return a[0], a[1], a[2], a[3], cond
        if a[0] == F.MODULE and b[0] == F.MODULE:
            return F.MODULE, a[1], (*a[2], *(x for x in (b[1],) if x)), a[3], None
        return a if a[0] != F.OTHER else b
    if isinstance(value, cst.BooleanOperation):  # `x or nn.Identity()`
        b = value_kind(value.right, locals_, code_for, guard, depth + 1)
        return b if b[0] != F.OTHER else value_kind(value.left, locals_, code_for, guard, depth + 1)
    if isinstance(value, cst.Subscript):
        name = dotted(value.value)
        if name and name.rsplit(".", 1)[-1] in ACTIVATION_REGISTRIES:
            return F.MODULE, name, (), (), None
    if isinstance(value, cst.Name) and value.value in locals_:
        return value_kind(locals_[value.value], locals_, code_for, guard, depth + 1)
    if isinstance(value, cst.Call):
        name = dotted(value.func)
        alts: tuple[str, ...] = ()
        if name is not None and "." not in name and name in locals_:  # `conv = nn.Conv3d` then `conv(...)`
            name, alts = _class_alias(locals_[name], name)
        if name is None and isinstance(value.func, cst.Subscript):  # `Conv[Conv.CONV, 3](...)`
            table = dotted(value.func.value)
            if table and table.rsplit(".", 1)[-1][:1].isupper():
                return F.MODULE, table + "[...]", (), (), None
        if name is None:
            return F.OTHER, None, (), (), None
        last = name.rsplit(".", 1)[-1]
        kwargs = tuple((a.keyword.value, code_for(a.value)[:40]) for a in value.args if a.keyword is not None)
        if last == "Parameter":
            return F.PARAMETER, name, (), kwargs, None
        if last == "Buffer":
            return F.BUFFER, name, (), kwargs, None
        if last in TENSOR_FACTORIES and ("." in name) and name.split(".")[0] in ("torch", "th", "np", "numpy"):
            return F.TENSOR, name, (), kwargs, None
        if last in CONTAINERS:
            return F.MODULE, name, element_ctors(value), kwargs, None
        if last in ("partial",) and value.args:
            inner = dotted(value.args[0].value)
            return (F.MODULE, inner, (), kwargs, None) if inner else (F.OTHER, None, (), (), None)
        return F.MODULE, name, alts, kwargs, None
    if isinstance(
        value, (cst.List, cst.Tuple, cst.Set, cst.Dict, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
    ):
        elements = element_ctors(value)
        if elements:
            return F.PLAIN_CONTAINER, None, elements, (), None
        return F.OTHER, None, (), (), None
    if isinstance(value, cst.BinaryOperation):
        for side in (value.left, value.right):
            k = value_kind(side, locals_, code_for, guard, depth + 1)
            if k[0] == F.TENSOR:
                return k
    return F.OTHER, None, (), (), None


def _holds_nothing(node: cst.BaseExpression) -> bool:
    """A value that can hold no weight: a literal constant, or a list or tuple of them, maybe
    repeated (`[None] * num_layers`)."""
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)) or is_none(node):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False")
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(isinstance(e, cst.Element) and _holds_nothing(e.value) for e in node.elements)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        return isinstance(node.left, (cst.List, cst.Tuple)) and _holds_nothing(node.left)
    return False


def _class_alias(value: cst.BaseExpression, name: str) -> tuple[str, tuple[str, ...]]:
    """What a local called as a constructor names: `conv_type = nn.Conv3d`, or either branch of
    `nn.Conv3d if three_d else nn.Conv2d` (the first is the ctor, the other an alternative)."""
    if isinstance(value, cst.IfExp):
        a, b = class_named(value.body), class_named(value.orelse)
        if a and b:
            return a, (b,)
        return name, ()
    if isinstance(value, cst.BooleanOperation):  # `norm or partial(..)`: a default, the caller may pass another
        return name, ()
    return class_named(value) or name, ()


def class_named(value: cst.BaseExpression) -> str | None:
    """The class an expression names, to be called later: `nn.LayerNorm`, `partial(nn.Conv2d,
    kernel_size=1)` (its first argument), and for `norm_layer or partial(LayerNorm, eps=1e-6)`
    the right side: the class used when the left one is not given."""
    if isinstance(value, cst.Call) and dotted(value.func) in ("partial", "functools.partial") and value.args:
        return dotted(value.args[0].value)
    if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
        return class_named(value.right)
    return dotted(value)


def element_ctors(node: cst.CSTNode) -> tuple[str, ...]:
    """Constructors called inside a container literal / comprehension / container call."""
    found: list[str] = []

    def enter(n: cst.CSTNode) -> bool:
        if isinstance(n, cst.Call):
            name = dotted(n.func)
            if name and name not in _BUILTIN_CALLS:
                found.append(name)
            return name in _ITEM_PASSING  # look inside `filter(None, [...])`, `list(...)`
        return not isinstance(n, cst.Lambda)

    for part in [a.value for a in node.args] if isinstance(node, cst.Call) else [node]:
        walk(part, enter)
    return tuple(dict.fromkeys(found))


def container_layout(
    value: cst.BaseExpression | None, code_for: Callable[[cst.CSTNode], str]
) -> tuple[tuple[str, ...], str | None]:
    """(the class of each item in order, the item count as source text) of a container built
    in one expression, for the names its items get: `nn.Sequential(nn.Linear(..), nn.ReLU())`
    gives (("nn.Linear", "nn.ReLU"), "2"); `nn.ModuleList([Block(d) for _ in range(depth)])`
    gives ((), "depth"). Anything else gives ((), None)."""
    if not isinstance(value, cst.Call) or dotted(value.func) is None:
        return (), None
    args = [a for a in value.args if a.keyword is None]
    if (len(args) == 1 and isinstance(args[0].value, cst.List | cst.Tuple) and args[0].star == "") or (
        len(args) == 1 and args[0].star == "*" and isinstance(args[0].value, cst.List | cst.Tuple)
    ):
        parts = [e.value for e in args[0].value.elements]
    elif len(args) == 1 and isinstance(args[0].value, cst.ListComp | cst.GeneratorExp):
        return (), _range_count(args[0].value, code_for)
    elif args and all(a.star == "" for a in args):
        parts = [a.value for a in args]
    else:
        return (), None
    ctors = [dotted(p.func) if isinstance(p, cst.Call) else None for p in parts]
    if not ctors or any(c is None for c in ctors):
        return (), None
    return tuple(c for c in ctors if c is not None), str(len(ctors))


def _range_count(comp: cst.ListComp | cst.GeneratorExp, code_for: Callable[[cst.CSTNode], str]) -> str | None:
    """`[X for _ in range(n)]`: "n"; nested or filtered comprehensions have no plain count."""
    f = comp.for_in
    if f.inner_for_in is not None or f.ifs:
        return None
    it = f.iter
    if isinstance(it, cst.Call) and dotted(it.func) == "range" and len(it.args) == 1:
        return code_for(it.args[0].value)
    return None

"""The text of a guard with the method's fixed locals written in, so construction can decide it.

`bias = linear.bias if self.use_bias else None` followed by
`register_parameter("bias", nn.Parameter(bias) if bias is not None else None)` creates no
parameter for a subclass that passes `use_bias=False`: the guard `bias is not None` only says
so once `bias` is replaced by what it was assigned. Only locals bound exactly once, outside any
branch or loop of the method, are written in: their value at the guard is that one expression.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from deadweight.extract.walk import walk

_EMPTY = cst.Module(body=[])
_ROUNDS = 3  # a local assigned from another local: `b = a if c else None`, `a = flag and x`


class _Inline(cst.CSTTransformer):
    def __init__(self, fixed: dict[str, cst.BaseExpression]) -> None:
        self.fixed = fixed
        self.changed = False

    def _sub(self, name: cst.Name) -> cst.BaseExpression:
        value = self.fixed.get(name.value)
        if value is None or _mentions(value, name.value):  # `x = not x`: would refer to itself
            return name
        self.changed = True
        return value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])

    # Names inside calls, subscripts, lambdas and comprehensions stay: their values are unknown
    # to construction anyway, and their keywords and parameters are not locals.
    def visit_Call(self, node: cst.Call) -> bool:
        return False

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return False  # `x.attr`: `attr` is no local; `x` is handled on leave

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if isinstance(updated_node.value, cst.Name):
            return updated_node.with_changes(value=self._sub(updated_node.value))
        return updated_node

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self._sub(updated_node)


def _mentions(value: cst.BaseExpression, name: str) -> bool:
    found = False

    def enter(n: cst.CSTNode) -> bool:
        nonlocal found
        if isinstance(n, cst.Name) and n.value == name:
            found = True
        return not found

    walk(value, enter)
    return found


def _names(expr: cst.BaseExpression) -> set[str]:
    out: set[str] = set()

    def enter(n: cst.CSTNode) -> bool:
        if isinstance(n, cst.Name):
            out.add(n.value)
        return True

    walk(expr, enter)
    return out


def guard_text(
    expr: cst.BaseExpression, fixed: dict[str, cst.BaseExpression], code_for: Callable[[cst.CSTNode], str]
) -> str:
    """The guard's source, fixed locals replaced by their parenthesised values."""
    if not fixed or fixed.keys().isdisjoint(_names(expr)):
        return code_for(expr)
    node: cst.BaseExpression = expr
    changed = False
    for _ in range(_ROUNDS):
        t = _Inline(fixed)
        node = node.visit(t)  # type: ignore[assignment]
        if not t.changed:
            break
        changed = True
    return _EMPTY.code_for_node(node) if changed else code_for(expr)

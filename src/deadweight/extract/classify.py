"""What one mention of `self.<chain>` does, decided from its parents on the walk's stack.

This is the heart of "consumption, not mere mention" (design.md): a call, an index or an
argument uses the value; `.shape`, an `is None` test, `nn.init.*` or a product with zero does
not. Every function here reads the parent stack of the current node; none keeps state.
"""

from __future__ import annotations

import libcst as cst

from deadweight.conventions import INIT_CALLS, INIT_FUNCTIONS, META_ATTRS, META_METHODS
from deadweight.extract import facts as F
from deadweight.extract.cstutil import dotted, is_none, is_self, is_zero

_META_BUILTINS = frozenset({"isinstance", "len", "id", "type", "callable", "issubclass"})
_PASS_THROUGH = (
    cst.IfExp,
    cst.BooleanOperation,
    cst.Element,
    cst.Tuple,
    cst.List,
    cst.Dict,
    cst.DictElement,
    cst.StarredElement,
)


def assigned_value(stack: list[cst.CSTNode], top: cst.CSTNode, i: int) -> cst.BaseExpression | None:
    """The expression assigned to `top` (pairs tuple targets with tuple values)."""
    path: list[cst.CSTNode] = [top]
    j = i
    while j >= 0:
        p = stack[j]
        if isinstance(p, (cst.Assign, cst.AnnAssign)):
            value = p.value
            # walk back down through tuple structure
            for k in range(len(path) - 1, -1, -1):
                n = path[k]
                if isinstance(n, cst.Element) and isinstance(value, (cst.Tuple, cst.List)):
                    container = path[k + 1] if k + 1 < len(path) else None
                    if isinstance(container, (cst.Tuple, cst.List)):
                        idx = next((x for x, e in enumerate(container.elements) if e is n), None)
                        if idx is not None and idx < len(value.elements):
                            value = value.elements[idx].value
                        else:
                            return None
            return value
        path.append(p)
        j -= 1
    return None


def unpacked_position(stack: list[cst.CSTNode], top: cst.CSTNode, i: int) -> int | None:
    """`self.pool, self.fc = make(..)`: the position of `top` in a flat tuple target whose value
    is not a tuple written out (then `assigned_value` pairs the items); None otherwise."""
    if i < 3:
        return None
    element, target, assign_target, assign = stack[i], stack[i - 1], stack[i - 2], stack[i - 3]
    if not (
        isinstance(element, cst.Element)
        and isinstance(target, (cst.Tuple, cst.List))
        and isinstance(assign_target, cst.AssignTarget)
        and isinstance(assign, cst.Assign)
    ):
        return None
    if isinstance(assign.value, (cst.Tuple, cst.List)) or any(
        isinstance(e, cst.StarredElement) for e in target.elements
    ):
        return None
    return next((x for x, e in enumerate(target.elements) if e is element), None)


def classify(stack: list[cst.CSTNode], chain: tuple[str, ...], top: cst.CSTNode, i: int) -> str:
    """What this mention of self.<chain> does; see facts.py for the kinds."""
    parent = stack[i] if i >= 0 else None
    last = chain[-1]
    if _under_zero_product(stack, top, i):
        return F.KEEPALIVE
    if isinstance(parent, cst.Call) and parent.func is top:
        if len(chain) >= 2 and last in META_METHODS and not (last == "type" and parent.args):
            return F.META  # (`w.type(torch.float32)` converts: a use)
        if len(chain) >= 2 and last in INIT_CALLS:
            if last == "copy_" and "data" not in chain:
                return F.VALUE  # an in-place state update in forward (EMA, cache) is a use
            return F.INIT
        return F.VALUE
    if isinstance(parent, cst.AssignTarget) and parent.target is top:
        return "write" if len(chain) == 1 else "store"  # `self.ln.requires_grad = False` sets, not inspects
    if isinstance(parent, cst.AnnAssign) and parent.target is top:
        return "write" if len(chain) == 1 else "store"
    if len(chain) >= 2 and last in META_ATTRS:
        return F.META
    if isinstance(parent, cst.Element) and i >= 2:
        # tuple/list unpacking target: (self.a, self.b) = ...
        j = i - 1
        while j >= 0 and isinstance(stack[j], (cst.Tuple, cst.List, cst.Element)):
            j -= 1
        if j >= 0 and isinstance(stack[j], cst.AssignTarget):
            return "write" if len(chain) == 1 else "store"
        if j >= 0 and isinstance(stack[j], cst.Del):
            return F.DELETE
    if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is top:
        targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
        if any(isinstance(t, cst.Attribute) and not (is_self(t.value)) for t in targets):
            return F.PASSED  # `self.decoder.bias = self.bias`: tied into another module
        if any(isinstance(t, cst.Subscript) for t in targets):
            return F.PASSED  # `self.q_in_proj["soft"] = self.q_proj_soft`: kept in a dict, used through it
    if isinstance(parent, cst.AugAssign) and parent.target is top:
        return "store"
    if isinstance(parent, cst.Del):
        return F.DELETE
    if isinstance(parent, cst.Subscript) and parent.value is top and i >= 1:
        gp = stack[i - 1]
        if isinstance(gp, (cst.AssignTarget, cst.AugAssign)) and gp.target is parent:
            return "store"
        if isinstance(gp, cst.Del):
            return F.DELETE
        return F.VALUE
    if isinstance(parent, cst.Comparison):
        others = [parent.left, *(c.comparator for c in parent.comparisons)]
        ops_ok = all(isinstance(c.operator, (cst.Is, cst.IsNot, cst.Equal, cst.NotEqual)) for c in parent.comparisons)
        if ops_ok and any(is_none(o) for o in others if o is not top):
            return F.ASSERTED if _in_assert(stack, i) else F.NONE_TEST
        return F.VALUE
    if _in_test_position(stack, top, i):
        return F.ASSERTED if _in_assert(stack, i) else F.TRUTH
    # Passed to a call, possibly inside `a if c else b`, `a or b` or a list/tuple/dict literal.
    node, j = top, i
    while j >= 1 and isinstance(stack[j], _PASS_THROUGH):
        p = stack[j]
        if isinstance(p, cst.IfExp) and p.test is node:
            break
        node, j = p, j - 1
    if j >= 1 and isinstance(stack[j], cst.Arg):
        call = stack[j - 1]
        if isinstance(call, cst.Call):
            fname = dotted(call.func) or ""
            lastf = fname.rsplit(".", 1)[-1]
            if fname in _META_BUILTINS and node is top:
                return F.META
            if lastf in INIT_FUNCTIONS or ".init." in f".{fname}.":
                return F.INIT
            return F.PASSED
    return F.VALUE


def _in_assert(stack: list[cst.CSTNode], i: int) -> bool:
    """Inside `assert`, or the test of an `if` whose body only asserts: decides nothing that runs."""
    for n in reversed(stack[: i + 1]):
        if isinstance(n, cst.Assert):
            return True
        if isinstance(n, cst.If):
            return (
                n.orelse is None
                and isinstance(n.body, cst.IndentedBlock)
                and all(
                    isinstance(st, cst.SimpleStatementLine) and all(isinstance(x, cst.Assert) for x in st.body)
                    for st in n.body.body
                )
            )
        if isinstance(n, (cst.FunctionDef, cst.SimpleStatementLine)):
            return False
    return False


def _in_test_position(stack: list[cst.CSTNode], top: cst.CSTNode, i: int) -> bool:
    node = top
    j = i
    while j >= 0:
        p = stack[j]
        if isinstance(p, cst.UnaryOperation) and isinstance(p.operator, cst.Not):
            node, j = p, j - 1
            continue
        if isinstance(p, cst.BooleanOperation):
            node, j = p, j - 1
            continue
        return bool(isinstance(p, (cst.If, cst.While, cst.IfExp, cst.Assert)) and p.test is node)
    return False


def _under_zero_product(stack: list[cst.CSTNode], top: cst.CSTNode, i: int) -> bool:
    """`0 * self.w.sum()`: a keep-alive term, not a use (DW403)."""
    child = top
    j = i
    while j >= 0:
        p = stack[j]
        if isinstance(p, (cst.BaseSmallStatement, cst.BaseCompoundStatement, cst.FunctionDef, cst.Lambda)):
            return False
        if isinstance(p, cst.BinaryOperation) and isinstance(p.operator, cst.Multiply):
            other = p.right if p.left is child else p.left
            if is_zero(other):
                return True
        child = p
        j -= 1
    return False

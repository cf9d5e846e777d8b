"""Small syntactic questions about libcst nodes, shared by the extraction modules."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst


def dotted(node: cst.BaseExpression) -> str | None:
    """`nn.Linear` -> "nn.Linear"; None for anything that is not a plain name chain."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def is_self(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Name) and node.value == "self"


def is_none(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def is_zero(node: cst.CSTNode) -> bool:
    if isinstance(node, (cst.Integer, cst.Float)):
        try:
            return float(node.value.replace("_", "")) == 0.0
        except ValueError:
            return False
    return False


def string_name(node: cst.BaseExpression) -> str | None:
    """A literal attribute name, or an f-string turned into a `*` template ("block*")."""
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:
            return None
        return value if isinstance(value, str) else None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left = (
            string_name(node.left)
            if isinstance(node.left, (cst.SimpleString, cst.FormattedString, cst.BinaryOperation))
            else "*"
        )
        right = (
            string_name(node.right)
            if isinstance(node.right, (cst.SimpleString, cst.FormattedString, cst.BinaryOperation))
            else "*"
        )
        if left is None or right is None or (left == "*" and right == "*"):
            return None
        return (left + right).replace("**", "*")  # "dense_h_to_4h" + suffix -> "dense_h_to_4h*"
    if isinstance(node, cst.FormattedString):
        out = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(part.value)
            else:
                out.append("*")
        return "".join(out)
    return None


def decorator_names(decorators: Sequence[cst.Decorator]) -> tuple[str, ...]:
    out = []
    for d in decorators:
        expr = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        out.append(dotted(expr) or "?")
    return tuple(out)


def annotated_types(node: cst.FunctionDef) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each annotated parameter with the dotted class names its annotation allows.

    `vae: AutoencoderKL`, `x: A | None`, `Optional[A]`, `Union[A, B]`, `"A"`: what the code says
    a caller passes, which types reads on that parameter (a pipeline reading `vae.latents_mean`).
    """
    p = node.params
    out = []
    for x in (*p.posonly_params, *p.params, *p.kwonly_params):
        if x.annotation is not None:
            names = _type_names(x.annotation.annotation)
            if names:
                out.append((x.name.value, names))
    return tuple(out)


def return_types(node: cst.FunctionDef) -> tuple[str, ...]:
    """The class names a function's return annotation allows (`-> nn.Module`, `-> A | None`)."""
    return _type_names(node.returns.annotation) if node.returns is not None else ()


def _type_names(node: cst.BaseExpression) -> tuple[str, ...]:
    if isinstance(node, cst.SimpleString):
        try:
            text = node.evaluated_value
        except Exception:
            return ()
        try:
            return _type_names(cst.parse_expression(text)) if isinstance(text, str) else ()
        except cst.ParserSyntaxError:
            return ()
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return _type_names(node.left) + _type_names(node.right)
    if isinstance(node, cst.Subscript):
        head = (dotted(node.value) or "").rsplit(".", 1)[-1]
        if head in ("Optional", "Union"):
            out: tuple[str, ...] = ()
            for el in node.slice:
                if isinstance(el.slice, cst.Index):
                    out += _type_names(el.slice.value)
            return out
        return ()
    name = dotted(node)
    return (name,) if name and name != "None" else ()


def params(node: cst.FunctionDef) -> tuple[str, ...]:
    p = node.params
    return tuple(x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params))


def is_abstract(node: cst.FunctionDef) -> bool:
    """`...`, `pass`, a docstring or `raise NotImplementedError`: nothing a subclass can rely on."""
    body = node.body
    stmts = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for stmt in stmts:
        small = stmt.body if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else None
        if small is None:
            return False
        for s in small:
            if isinstance(s, cst.Pass):
                continue
            if isinstance(s, cst.Expr) and isinstance(
                s.value, (cst.Ellipsis, cst.SimpleString, cst.ConcatenatedString)
            ):
                continue
            if isinstance(s, cst.Raise) and s.exc is not None:
                exc = s.exc.func if isinstance(s.exc, cst.Call) else s.exc
                if dotted(exc) in ("NotImplementedError", "NotImplemented"):
                    continue
            return False
    return True


def literal_int(node: cst.BaseExpression) -> int | None:
    """`3`, `-1`, `0x10`: the integer a literal spells, else None."""
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal_int(node.expression)
        return -inner if inner is not None else None
    return None


def literal_index(node: cst.BaseSlice) -> str | None:
    """A subscript of literal integers as canonical text: `[1:]` is `1::`, `[-1]` is `-1`, `[::2]`
    is `::2`; None when any part is not a literal (`[i]`, `[:depth]`) or the step is 0."""
    if isinstance(node, cst.Index):
        value = literal_int(node.value) if node.star is None else None
        return str(value) if value is not None else None
    if not isinstance(node, cst.Slice):
        return None
    parts: list[str] = []
    for part in (node.lower, node.upper, node.step):
        if part is None:
            parts.append("")
            continue
        value = literal_int(part)
        if value is None:
            return None
        parts.append(str(value))
    return None if parts[2] == "0" else ":".join(parts)

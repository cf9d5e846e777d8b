"""A read-only traversal of libcst trees, several times faster than `CSTNode.visit`.

libcst's visitors rebuild every node on the way back up (`_visit_and_replace_children`,
`__post_init__` validation), even when nothing changes: on model code that is more than half
of the extraction time. We only read, so we walk the dataclass fields directly, skipping pure
whitespace and punctuation, in source order (a few node types declare their fields in another
order; those are listed explicitly, because `positions.py` relies on source order).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import libcst as cst

_SKIP = frozenset(
    {
        "lpar",
        "rpar",
        "leading_lines",
        "lines_after_decorators",
        "comma",
        "semicolon",
        "dot",
        "equal",
        "colon",
        "header",
        "footer",
        "trailing_whitespace",
        "indent",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "star",
        "asynchronous",
        "operator",
        "keyword",
        "attr",
        "conversion",
        "posonly_ind",
        "arrow",
        "first_line",
        "empty_lines",
    }
)
_ORDER: dict[type, tuple[str, ...]] = {
    cst.IfExp: ("body", "test", "orelse"),
    cst.FunctionDef: ("decorators", "name", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "bases", "keywords", "body"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.Parameters: ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
    cst.Param: ("name", "annotation", "default"),
}
_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(t: type) -> tuple[str, ...]:
    fields = _FIELDS.get(t)
    if fields is None:
        fields = _ORDER.get(t) or tuple(
            f.name for f in dataclasses.fields(t) if f.name not in _SKIP and not f.name.startswith("whitespace")
        )
        _FIELDS[t] = fields
    return fields


_IS_NODE: dict[type, bool] = {}


def _is_node(t: type) -> bool:
    """Whether values of type `t` are nodes, asked once per type: `CSTNode` is an ABC, so an
    `isinstance` against it costs a metaclass hook, and a walk asks it a million times."""
    hit = _IS_NODE.get(t)
    if hit is None:
        hit = _IS_NODE[t] = issubclass(t, cst.CSTNode)
    return hit


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    for name in child_fields(type(node)):
        value: Any = getattr(node, name, None)
        t = type(value)
        if t is tuple or t is list:
            out.extend(v for v in value if _is_node(type(v)))
        elif _is_node(t):
            out.append(value)
    return out


def walk(
    root: cst.CSTNode, enter: Callable[[cst.CSTNode], bool], leave: Callable[[cst.CSTNode], None] | None = None
) -> None:
    """Pre-order `enter` (return False to skip the children) and post-order `leave`, iteratively
    so that deeply nested code cannot overflow the interpreter's stack."""
    todo: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    while todo:
        node, done = todo.pop()
        if done:
            if leave is not None:
                leave(node)
            continue
        if enter(node):
            todo.append((node, True))
            kids = children(node)
            todo.extend((k, False) for k in reversed(kids))
        elif leave is not None:
            leave(node)

"""Source positions for the few nodes a finding can point at, without libcst's PositionProvider.

libcst's PositionProvider costs about twice the parse itself (measured: 0.79 s against a 0.40 s
parse on a 4,300-line transformers file), because it re-generates the whole module. The stdlib
`ast` parser gives positions for ten times less. Every node we locate is of a kind that both
trees hold in the same source order (`self.X` attributes, `class` and `def` statements, calls
such as `setattr(self, ...)`), so the k-th one met while walking the libcst tree is the k-th
one of the sorted `ast` nodes. Each mapping is checked against the source text; on any
disagreement the extractor falls back to the PositionProvider for that file.
"""

from __future__ import annotations

import ast
from collections import defaultdict

import libcst as cst
from libcst.metadata import CodeRange

from deadweight.extract.facts import Span

SELF_CALLS = frozenset({"setattr", "getattr", "hasattr", "delattr"})
REGISTER_METHODS = frozenset({"register_buffer", "register_parameter", "add_module", "register_module"})


class PositionMismatch(Exception):
    """The ast and libcst trees disagree; use the exact (slow) provider for this file."""


def _char_col(line: str, byte_col: int) -> int:
    """ast columns are UTF-8 byte offsets; editors and SARIF count characters."""
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))


class AstPositions:
    """Sequential positions from the stdlib parser; see the module docstring."""

    def __init__(self, tree: ast.Module, lines: list[str]) -> None:
        self._lines = lines
        attrs: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
        classes: list[tuple[int, int, str]] = []
        funcs: list[tuple[int, int, str]] = []
        calls: list[tuple[int, int, int, int]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                if isinstance(node.value, ast.Name) and node.value.id == "self":
                    attrs[node.attr].append(
                        (node.lineno, node.col_offset, node.end_lineno or node.lineno, node.end_col_offset or 0)
                    )
            elif isinstance(node, ast.ClassDef):
                classes.append((node.lineno, node.col_offset, node.name))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                funcs.append((node.lineno, node.col_offset, node.name))
            elif isinstance(node, ast.Call):
                f = node.func
                if (
                    isinstance(f, ast.Name)
                    and f.id in SELF_CALLS
                    and node.args
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id == "self"
                ):
                    calls.append(
                        (node.lineno, node.col_offset, node.end_lineno or node.lineno, node.end_col_offset or 0)
                    )
        # One extra walk per function, so only in files that bind such an alias at all.
        aliased = any("= self.register_" in line or "= self.add_module" in line for line in lines)
        self._alias_calls = sorted(_register_alias_calls(tree), reverse=True) if aliased else []
        self._attrs = {k: sorted(v, reverse=True) for k, v in attrs.items()}
        self._classes = sorted(classes, reverse=True)
        self._funcs = sorted(funcs, reverse=True)
        self._calls = sorted(calls, reverse=True)

    def _line(self, n: int) -> str:
        return self._lines[n - 1] if 0 < n <= len(self._lines) else ""

    def self_attr(self, node: cst.Attribute) -> Span:
        """Span of the attribute name in `self.<name>` (what the report highlights)."""
        name = node.attr.value
        stack = self._attrs.get(name)
        if not stack:
            raise PositionMismatch(name)
        _, _, end_line, end_col = stack.pop()
        text = self._line(end_line)
        end = _char_col(text, end_col)
        start = end - len(name)
        if text[start:end] != name:
            raise PositionMismatch(name)
        return Span(end_line, start + 1, end_line, end + 1)

    def _named(self, stack: list[tuple[int, int, str]], name: str) -> Span:
        if not stack:
            raise PositionMismatch(name)
        line, _, got = stack.pop()
        if got != name:
            raise PositionMismatch(name)
        text = self._line(line)
        start = text.find(name)
        if start < 0:
            raise PositionMismatch(name)
        return Span(line, start + 1, line, start + 1 + len(name))

    def class_name(self, node: cst.ClassDef) -> Span:
        return self._named(self._classes, node.name.value)

    def func_name(self, node: cst.FunctionDef) -> Span:
        return self._named(self._funcs, node.name.value)

    def self_call(self, node: cst.Call) -> Span:
        if not self._calls:
            raise PositionMismatch("call")
        line, col, end_line, end_col = self._calls.pop()
        text = self._line(line)
        start = _char_col(text, col)
        end = _char_col(self._line(end_line), end_col)
        return Span(line, start + 1, end_line, end + 1)

    def alias_call(self, node: cst.Call) -> Span:
        """Span of the callee name in `reg("buf", t)` after `reg = self.register_buffer`."""
        name = node.func.value if isinstance(node.func, cst.Name) else ""
        if not self._alias_calls:
            raise PositionMismatch(name)
        line, col, end_col = self._alias_calls.pop()
        text = self._line(line)
        start, end = _char_col(text, col), _char_col(text, end_col)
        if text[start:end] != name:
            raise PositionMismatch(name)
        return Span(line, start + 1, line, end + 1)


def _register_alias_calls(tree: ast.Module) -> set[tuple[int, int, int]]:
    """Calls through a local bound to `self.register_*` (`reg = self.register_buffer`), per
    function: the positions of their callee names."""
    out: set[tuple[int, int, int]] = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        aliases = {
            n.targets[0].id
            for n in ast.walk(fn)
            if isinstance(n, ast.Assign)
            and len(n.targets) == 1
            and isinstance(n.targets[0], ast.Name)
            and isinstance(n.value, ast.Attribute)
            and isinstance(n.value.value, ast.Name)
            and n.value.value.id == "self"
            and n.value.attr in REGISTER_METHODS
        }
        if aliases:
            for n in ast.walk(fn):
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in aliases:
                    out.add((n.func.lineno, n.func.col_offset, n.func.end_col_offset or 0))
    return out


class CstPositions:
    """Exact positions from libcst's provider: the slow path, used when the trees disagree."""

    def __init__(self, ranges: dict[cst.CSTNode, CodeRange]) -> None:
        self._ranges = ranges

    def _span(self, node: cst.CSTNode) -> Span:
        r = self._ranges[node]
        return Span(r.start.line, r.start.column + 1, r.end.line, r.end.column + 1)

    def self_attr(self, node: cst.Attribute) -> Span:
        return self._span(node.attr)

    def class_name(self, node: cst.ClassDef) -> Span:
        return self._span(node.name)

    def func_name(self, node: cst.FunctionDef) -> Span:
        return self._span(node.name)

    def self_call(self, node: cst.Call) -> Span:
        return self._span(node)

    def alias_call(self, node: cst.Call) -> Span:
        return self._span(node.func)

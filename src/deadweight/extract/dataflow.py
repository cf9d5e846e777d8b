"""Statement-level dataflow facts inside one method, for the DW4xx rules.

Three questions only, answered conservatively (a missed defect is cheaper than a false alarm):
is the result of a `self.<module>(...)` call thrown away as a statement, and is a local that
holds such a result never read again (or overwritten before any read), and is such a result
stored over the very submodule that computed it (`self.down = self.down(h)`)? Events are ordered by
evaluation, not by text: in `h = self.norm(h)` the read of `h` happens before the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from deadweight.extract.facts import Span, Statement
from deadweight.extract.walk import walk


@dataclass
class _Store:
    name: str
    order: int
    block: int  # id of the statement list that holds the assignment
    loops: tuple[int, ...]  # ids of the enclosing loops
    chain: tuple[str, ...]
    span: Span


def _self_chain(node: cst.BaseExpression) -> tuple[tuple[str, ...], cst.Attribute] | None:
    """`self.a.b` -> (("a", "b"), <node of self.a>)."""
    parts: list[str] = []
    inner: cst.Attribute | None = None
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        inner = node
        node = node.value
    if isinstance(node, cst.Name) and node.value == "self" and inner is not None:
        return tuple(reversed(parts)), inner
    return None


class _Loads:
    """Names read by an expression, and the first `self.<x>(...)` call in it."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.first_self_call: tuple[tuple[str, ...], cst.Attribute] | None = None

    def visit(self, node: cst.CSTNode) -> None:
        walk(node, self._enter)

    def _enter(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Name):
            self.names.append(node.value)
            return False
        if isinstance(node, cst.Call) and self.first_self_call is None:
            self.first_self_call = _self_chain(node.func)
        return True


class _Walker:
    def __init__(self, spans: dict[int, Span]) -> None:
        self.spans = spans
        self.order = 0
        self.loads: dict[str, list[tuple[int, tuple[int, ...]]]] = {}
        self.stores: list[_Store] = []
        self.store_events: dict[str, list[tuple[int, int]]] = {}  # name -> (order, block)
        self.closure_names: set[str] = set()
        self.discarded: list[tuple[tuple[str, ...], Span]] = []
        self.clobbered: list[tuple[tuple[str, ...], Span]] = []
        self.loops: list[int] = []
        self.bail = False

    def _load_expr(self, expr: cst.CSTNode | None) -> _Loads:
        v = _Loads()
        if expr is not None:
            v.visit(expr)
        for n in v.names:
            self.order += 1
            self.loads.setdefault(n, []).append((self.order, tuple(self.loops)))
        return v

    def block(self, stmts: Sequence[cst.BaseStatement], block_id: int) -> None:
        for stmt in stmts:
            self.statement(stmt, block_id)

    def statement(self, stmt: cst.BaseStatement, block_id: int) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.small(small, block_id)
            return
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            v = _Loads()
            v.visit(stmt)
            self.closure_names.update(v.names)
            return
        if isinstance(stmt, (cst.For, cst.While)):
            self._load_expr(stmt.iter if isinstance(stmt, cst.For) else stmt.test)
            self.loops.append(id(stmt))
            if isinstance(stmt, cst.For):
                self._load_expr(stmt.target)  # targets count as reads: conservative
            self._suite(stmt.body)
            self.loops.pop()
            if stmt.orelse is not None:
                self._suite(stmt.orelse.body)
            return
        if isinstance(stmt, cst.If):
            self._load_expr(stmt.test)
            self._suite(stmt.body)
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                self.statement(orelse, id(orelse))
            elif orelse is not None:
                self._suite(orelse.body)
            return
        # try / with / match and anything else: read everything, then walk the suites
        for child in stmt.children:
            if isinstance(child, cst.BaseSuite):
                self._suite(child)
            elif isinstance(child, (cst.ExceptHandler, cst.Finally, cst.Else)):
                self._suite(child.body)
            elif isinstance(child, cst.CSTNode) and not isinstance(child, (cst.EmptyLine, cst.TrailingWhitespace)):
                self._load_expr(child)

    def _suite(self, suite: cst.BaseSuite) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self.block(suite.body, id(suite))
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self.small(small, id(suite))

    def small(self, small: cst.BaseSmallStatement, block_id: int) -> None:
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            found = _self_chain(small.value.func)
            if found is not None and id(found[1]) in self.spans:
                self.discarded.append((found[0], self.spans[id(found[1])]))
            self._load_expr(small.value)
            return
        if isinstance(small, cst.Assign):
            self._clobber(small)
            loads = self._load_expr(small.value)
            for t in small.targets:
                if isinstance(t.target, cst.Name):
                    self._store(t.target.value, block_id, loads)
                else:
                    self._load_expr(t.target)
            return
        if isinstance(small, (cst.Global, cst.Nonlocal, cst.Del)):
            self.bail = True
            return
        if isinstance(small, cst.AugAssign):
            self._load_expr(small.value)
            self._load_expr(small.target)
            return
        self._load_expr(small)

    def _clobber(self, small: cst.Assign) -> None:
        """`self.down = self.down(h)`: a submodule's output stored over the submodule."""
        if not isinstance(small.value, cst.Call):
            return
        called = _self_chain(small.value.func)
        if called is None or len(called[0]) != 1 or id(called[1]) not in self.spans:
            return
        for t in small.targets:
            stored = _self_chain(t.target) if isinstance(t.target, cst.Attribute) else None
            if stored is not None and stored[0] == called[0]:
                self.clobbered.append((called[0], self.spans[id(called[1])]))

    def _store(self, name: str, block_id: int, loads: _Loads) -> None:
        self.order += 1
        self.store_events.setdefault(name, []).append((self.order, block_id))
        call = loads.first_self_call
        if call is None or name.startswith("_") or id(call[1]) not in self.spans:
            return
        self.stores.append(_Store(name, self.order, block_id, tuple(self.loops), call[0], self.spans[id(call[1])]))

    def dead_stores(self) -> list[_Store]:
        if self.bail:
            return []
        dead = []
        for s in self.stores:
            if s.name in self.closure_names:
                continue
            loads = self.loads.get(s.name, [])
            if any(set(s.loops) & set(loops) for _, loops in loads):
                continue  # read somewhere in the same loop: maybe on the next iteration
            later_loads = [o for o, _ in loads if o > s.order]
            if not later_loads:
                dead.append(s)
                continue
            first_load = min(later_loads)
            overwritten = any(
                s.order < o < first_load and block == s.block for o, block in self.store_events.get(s.name, [])
            )
            if overwritten:
                dead.append(s)
        return dead


def method_statements(node: cst.FunctionDef, method: str, spans: dict[int, Span]) -> tuple[Statement, ...]:
    """Discarded `self.<x>(...)` calls and dead stores of `self.<x>(...)` results in a method."""
    w = _Walker(spans)
    if isinstance(node.body, cst.IndentedBlock):
        w.block(node.body.body, id(node.body))
    else:
        w._suite(node.body)
    out = [Statement("discarded_call", chain, None, span, method) for chain, span in w.discarded]
    out += [Statement("dead_store", s.chain, s.name, s.span, method) for s in w.dead_stores()]
    out += [Statement("clobber", chain, None, span, method) for chain, span in w.clobbered]
    return tuple(out)

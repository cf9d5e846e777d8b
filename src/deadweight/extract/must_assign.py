"""Which `self.<attr>` a compound statement assigns on every path through it.

DW204 reports a weight replaced before anything reads it. When the replacement sits in an
`if`/`else` whose every arm assigns the attribute (`self.emb = None` in one, `self.emb =
Other()` in the other), the first weight is as dead as after a plain second assignment; when
one arm leaves it alone, it is not. Only the statement structure matters here, so this walks
statements, never expressions: cheap enough to run on every compound statement of a method.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

# Stands for "every attribute": a path that raises never reaches a later read.
_ALL = frozenset({"*"})


def statement_assigns(stmt: cst.BaseStatement) -> frozenset[str]:
    """Attributes of self that `stmt` assigns on every path that continues after it.

    A path that raises assigns everything (nothing after it runs); a `return` ends the
    method with the earlier value still in place, so it assigns only what came before it.
    Loops may run zero times and assign nothing for sure.
    """
    found, _ = _statement(stmt)
    return frozenset() if found == _ALL else found


def _suite(body: Sequence[cst.BaseStatement]) -> tuple[frozenset[str], bool]:
    """(attributes assigned on every path, whether every path stops: return or raise)."""
    out: set[str] = set()
    for stmt in body:
        found, stops = _statement(stmt)
        if found == _ALL:
            return _ALL, True
        out |= found
        if stops:
            return frozenset(out), True
    return frozenset(out), False


def _block(node: cst.BaseSuite) -> tuple[frozenset[str], bool]:
    if isinstance(node, cst.IndentedBlock):
        return _suite(node.body)
    return _statement(node) if isinstance(node, cst.SimpleStatementSuite) else (frozenset(), False)


def _statement(stmt: cst.BaseStatement | cst.SimpleStatementSuite) -> tuple[frozenset[str], bool]:
    if isinstance(stmt, cst.SimpleStatementLine | cst.SimpleStatementSuite):
        out: set[str] = set()
        for small in stmt.body:
            if isinstance(small, cst.Raise):
                return _ALL, True
            if isinstance(small, cst.Return):
                return frozenset(out), True
            out |= _targets(small)
        return frozenset(out), False
    if isinstance(stmt, cst.If):
        return _branches([_block(stmt.body), _orelse(stmt.orelse)])
    if isinstance(stmt, cst.With):
        return _block(stmt.body)
    if isinstance(stmt, cst.Try):
        body = _block(stmt.body)
        if stmt.orelse is not None:
            body = _then(body, _block(stmt.orelse.body))
        arms = _branches([body, *(_block(h.body) for h in stmt.handlers)])
        return _then(arms, _block(stmt.finalbody.body)) if stmt.finalbody is not None else arms
    return frozenset(), False


def _orelse(node: cst.If | cst.Else | None) -> tuple[frozenset[str], bool]:
    if node is None:
        return frozenset(), False
    if isinstance(node, cst.If):
        return _statement(node)
    return _block(node.body)


def _then(first: tuple[frozenset[str], bool], second: tuple[frozenset[str], bool]) -> tuple[frozenset[str], bool]:
    """`first` followed by `second`, unless every path of `first` stopped."""
    if first[1]:
        return first
    if second[0] == _ALL:
        return _ALL, True
    return first[0] | second[0], second[1]


def _branches(arms: list[tuple[frozenset[str], bool]]) -> tuple[frozenset[str], bool]:
    """Arms of which exactly one runs: what all of them assign (a raising arm assigns all)."""
    live = [found for found, _ in arms if found != _ALL]
    if not live:
        return _ALL, True
    common = frozenset.intersection(*live)
    return common, all(stops for _, stops in arms)


def _targets(small: cst.BaseSmallStatement) -> set[str]:
    if isinstance(small, cst.Assign):
        targets = [t.target for t in small.targets]
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        targets = [small.target]
    else:
        return set()
    return {
        t.attr.value
        for t in targets
        if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self"
    }

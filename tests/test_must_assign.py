"""`statement_assigns`: what a compound statement assigns on every path (DW204's branch case)."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from deadweight.extract.must_assign import statement_assigns


def assigns(code: str) -> set[str]:
    stmt = cst.parse_module(textwrap.dedent(code)).body[0]
    assert isinstance(stmt, cst.BaseCompoundStatement)
    return set(statement_assigns(stmt))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("if c:\n    self.a = 1\nelse:\n    self.a = None\n", {"a"}),
        ("if c:\n    self.a = 1\n    self.b = 2\nelse:\n    self.a = 3\n", {"a"}),
        ("if c:\n    self.a = 1\n", set()),  # no else: the first value survives when not c
        ("if c:\n    self.a = 1\nelif d:\n    self.a = 2\n", set()),
        ("if c:\n    self.a = 1\nelif d:\n    self.a = 2\nelse:\n    self.a = 3\n", {"a"}),
        ("if c:\n    self.a = 1\nelse:\n    raise ValueError\n", {"a"}),  # raising ends that path
        ("if c:\n    self.a = 1\nelse:\n    return\n", set()),  # returning keeps the old value
        ("if c:\n    self.a = 1\n    return\nelse:\n    self.a = 2\n", {"a"}),
        ("if c:\n    return\n    self.a = 1\nelse:\n    self.a = 2\n", set()),
        ("if c:\n    for _ in x:\n        self.a = 1\nelse:\n    self.a = 2\n", set()),  # a loop may not run
        ("if c:\n    self.a: int = 1\nelse:\n    self.a = 2\n", {"a"}),
        ("if c:\n    self.a: int\nelse:\n    self.a = 2\n", set()),  # an annotation assigns nothing
        ("if c:\n    x.a = 1\nelse:\n    x.a = 2\n", set()),  # not self
        ("try:\n    self.a = 1\nexcept E:\n    raise\n", {"a"}),
        ("try:\n    self.a = 1\nexcept E:\n    pass\n", set()),
        ("try:\n    pass\nexcept E:\n    pass\nfinally:\n    self.a = 1\n", {"a"}),
        ("with ctx:\n    self.a = 1\n", {"a"}),
        ("if c:\n    raise A\nelse:\n    raise B\n", set()),  # no path continues: nothing to say
    ],
)
def test_statement_assigns(code: str, expected: set[str]) -> None:
    assert assigns(code) == expected


def test_one_line_arms() -> None:
    assert assigns("if c: self.a = 1\nelse: self.a = 2\n") == {"a"}

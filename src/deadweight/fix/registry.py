"""Which rule's findings have a fixer. A fixer takes one file and all its findings of the codes
it serves, so fixes that interact (two deletions in one block) are planned together."""

from __future__ import annotations

from collections.abc import Callable

from deadweight.findings import Finding
from deadweight.fix.comments import fix_stale_suppressions
from deadweight.fix.edits import Fix
from deadweight.fix.source import Source
from deadweight.fix.statements import fix_statements

Fixer = Callable[[Source, list[Finding]], list[Fix]]

FIXERS: dict[str, Fixer] = {
    "DW001": fix_stale_suppressions,
    "DW105": fix_statements,
    "DW201": fix_statements,
    "DW204": fix_statements,
}

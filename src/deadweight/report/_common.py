"""Small helpers every emitter shares: one ordering, one way to pluralise, terminal-safe text.

They live here rather than in the package `__init__` so that each emitter module can import
them without importing its siblings (and without an import cycle through `FORMATS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from deadweight.extract.facts import FileError
from deadweight.findings import Finding
from deadweight.rules.base import Rule

# C0 controls, DEL and C1 controls. ESC in particular must never reach a terminal verbatim:
# the scanned repository is untrusted input, and its file names and source lines are printed.
_WHITESPACE_CONTROL = re.compile(r"[\t\n\r\x0b\x0c]")
_OTHER_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Every format orders findings the same way, so outputs diff cleanly between runs."""
    return sorted(findings, key=Finding.sort_key)


def sorted_errors(errors: Iterable[FileError]) -> list[FileError]:
    """Errors arrive in worker-completion order; sort them for reproducible output."""
    return sorted(errors, key=lambda error: (error.path, error.reason))


def rules_by_code(rules: Sequence[type[Rule]]) -> dict[str, type[Rule]]:
    """First rule wins on a duplicate code, so a list given twice does not reorder anything."""
    table: dict[str, type[Rule]] = {}
    for rule in rules:
        table.setdefault(rule.code, rule)
    return table


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 file`, `2 files`: summaries are read by people, so get the grammar right."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"


def printable(text: str) -> str:
    """Make text safe and one-line for a terminal, keeping one character per character.

    Whitespace controls become spaces; other controls become U+FFFD. The replacement is
    one-for-one so that column numbers computed on the original text still line up.
    """
    return _OTHER_CONTROL.sub("\ufffd", _WHITESPACE_CONTROL.sub(" ", text))

"""Text edits and fixes as plain data, and applying them to a file's text.

Positions are (line, column) with 1-based lines and 0-based character columns, as libcst
reports them; a file's own line endings are kept, whatever they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deadweight.findings import Finding

SAFE, UNSAFE = "safe", "unsafe"
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text from `start` up to (not including) `end` with `content`."""

    start: tuple[int, int]
    end: tuple[int, int]
    content: str = ""


@dataclass(frozen=True, slots=True)
class Fix:
    """The edits that fix one or more findings, applied all together or not at all."""

    code: str
    applicability: str  # SAFE or UNSAFE
    edits: tuple[Edit, ...]
    resolves: tuple[Finding, ...]  # the findings it fixes (one comment fix can cover several)

    @property
    def fixes(self) -> int:
        return len(self.resolves)


def line_starts(text: str) -> list[int]:
    """Offset of the start of each line (index 0 is line 1), and of the end of the text."""
    starts = [0]
    starts.extend(m.end() for m in _LINE_END.finditer(text))
    if starts[-1] != len(text):
        starts.append(len(text))
    return starts


def offset(starts: list[int], position: tuple[int, int]) -> int:
    line, column = position
    return starts[min(line, len(starts)) - 1] + column


def select(fixes: list[Fix], text: str) -> tuple[list[Fix], list[Fix]]:
    """(fixes whose edits overlap no earlier accepted edit, the others), in file order.

    The others are tried again on the next pass of `--fix`, against the text the accepted ones
    produced, as ruff does."""
    starts = line_starts(text)
    taken: list[tuple[int, int]] = []
    accepted: list[Fix] = []
    rejected: list[Fix] = []
    ordered = sorted(fixes, key=lambda f: min(offset(starts, e.start) for e in f.edits))
    for fix in ordered:
        spans = [(offset(starts, e.start), offset(starts, e.end)) for e in fix.edits]
        if any((a < y and x < b) or a == x for a, b in spans for x, y in taken):
            rejected.append(fix)
            continue
        taken.extend(spans)
        accepted.append(fix)
    return accepted, rejected


def apply(text: str, fixes: list[Fix]) -> str:
    """The text with every edit of `fixes` applied (they must not overlap: see `select`)."""
    starts = line_starts(text)
    spans = sorted(
        ((offset(starts, e.start), offset(starts, e.end), e.content) for f in fixes for e in f.edits), reverse=True
    )
    for start, end, content in spans:
        text = text[:start] + content + text[end:]
    return text

"""Inline suppression comments: `# deadweight: ignore[DW101]`, `# deadweight: ignore`, `# noqa: DW101`.

A bare `# noqa` does not silence deadweight: in model code it is everywhere, placed for other
linters, and honouring it would hide dead weights nobody meant to accept.
"""

from __future__ import annotations

import re

_OWN = re.compile(r"#\s*deadweight\s*:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
_CODE = re.compile(r"DW\d+", re.IGNORECASE)


def parse_suppressions(lines: list[str]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """(line, codes) for each suppressing comment; empty codes means every rule."""
    out: list[tuple[int, tuple[str, ...]]] = []
    for number, line in enumerate(lines, start=1):
        if "#" not in line:
            continue
        own = _OWN.search(line)
        if own is not None:
            codes = own.group("codes")
            out.append((number, tuple(c.upper() for c in _CODE.findall(codes)) if codes else ()))
            continue
        noqa = _NOQA.search(line)
        if noqa is not None:
            codes = tuple(c.upper() for c in _CODE.findall(noqa.group("codes")))
            if codes:
                out.append((number, codes))
    return tuple(out)


def is_suppressed(codes: tuple[str, ...] | None, code: str) -> bool:
    """Whether a comment's codes cover `code` (prefixes such as DW1 count)."""
    if codes is None:
        return False
    return not codes or any(code.startswith(c) for c in codes)

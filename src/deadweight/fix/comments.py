"""Fixes that edit suppression comments: DW001 (drop stale or unknown codes) and
`--add-suppressions` (add `# deadweight: ignore[CODE]` to a reported line).

Both rewrite one physical line. A directive whose codes all go is removed with the reason
text after it; a comment left empty goes, and a line left empty (the comment stood alone)
is deleted with its line ending.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import defaultdict

from deadweight.extract.comments import parse_suppressions
from deadweight.findings import Finding
from deadweight.fix.edits import SAFE, Edit, Fix
from deadweight.fix.source import Source

_OWN = re.compile(
    r"(?P<lead>\s*)#\s*deadweight\s*:\s*(?P<name>ignore-file|ignore)\b(?:\[(?P<codes>[^\]]*)\])?(?P<reason>[^#]*)",
    re.IGNORECASE,
)
_NOQA = re.compile(r"(?P<lead>\s*)#\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
_SPLIT = re.compile(r"[\s,]+")


def fix_stale_suppressions(source: Source, findings: list[Finding]) -> list[Fix]:
    """One fix per line: every stale or unknown code of the line's DW001 findings removed."""
    by_line: dict[tuple[int, int], set[str]] = defaultdict(set)
    resolved: dict[tuple[int, int], list[Finding]] = defaultdict(list)
    for f in findings:
        by_line[(f.line, f.column)].update(f.codes)
        resolved[(f.line, f.column)].append(f)
    out = []
    for (line, column), codes in sorted(by_line.items()):
        text = source.line(line)
        new = _without_codes(text, column - 1, codes)
        if new is None or new == text:
            continue
        out.append(Fix("DW001", SAFE, (_replace_line(source, line, new),), tuple(resolved[(line, column)])))
    return out


def _without_codes(text: str, column: int, codes: set[str]) -> str | None:
    """The line with `codes` taken out of the directive that starts at `column`."""
    head = text[:column]
    # After code, the whitespace before the directive goes with it; alone, the indentation stays.
    start = len(head.rstrip()) if head.strip() else column
    own = _OWN.match(text, start)
    if own is not None:
        written = [c for c in _SPLIT.split(own.group("codes") or "") if c]
        kept = [] if "*" in codes else [c for c in written if c.upper() not in codes]
        if kept and own.group("codes") is not None:
            replaced = f"{own.group('lead')}# deadweight: {own.group('name')}[{', '.join(kept)}]{own.group('reason')}"
            return text[:start] + replaced + text[own.end() :]
        return _cut(text, start, own.end())
    noqa = _NOQA.match(text, start)
    if noqa is not None:
        written = [c for c in _SPLIT.split(noqa.group("codes")) if c]
        kept = [c for c in written if c.upper() not in codes]
        if kept:
            return text[:start] + f"{noqa.group('lead')}# noqa: {', '.join(kept)}" + text[noqa.end() :]
        return _cut(text, start, noqa.end())
    return None


def _cut(text: str, start: int, end: int) -> str:
    """Remove text[start:end] and the reason after it, up to the next comment if any."""
    prefix, rest = text[:start], text[end:]
    hash_at = rest.find("#")
    if hash_at < 0:
        return prefix.rstrip()
    return prefix + ("  " if prefix.strip() else "") + rest[hash_at:]


def _replace_line(source: Source, line: int, new: str) -> Edit:
    """Replace line `line`'s text (its line ending kept), or delete the line if `new` is blank."""
    old = source.line(line)
    if new.strip():
        return Edit((line, 0), (line, len(old)), new)
    return Edit((line, 0), (line + 1, 0), "")


# --------------------------------------------------------------------------- --add-suppressions


def add_suppressions(source: Source, findings: list[Finding]) -> tuple[list[Fix], list[tuple[Finding, str]]]:
    """One fix per line that adds its findings' codes to a `# deadweight: ignore[...]` comment
    there (merged into an existing one), and the findings that cannot take a comment, with why."""
    by_line: dict[int, list[Finding]] = defaultdict(list)
    for f in findings:
        by_line[f.line].append(f)
    unsafe_lines = _lines_without_room(source.text)
    fixes: list[Fix] = []
    refused: list[tuple[Finding, str]] = []
    for line, found in sorted(by_line.items()):
        if line in unsafe_lines:
            refused.extend((f, unsafe_lines[line]) for f in found)
            continue
        codes = sorted({f.code for f in found})
        new = _with_codes(source.line(line), codes)
        fixes.append(Fix("add", SAFE, (_replace_line(source, line, new),), tuple(found)))
    return fixes, refused


def _with_codes(text: str, codes: list[str]) -> str:
    """Merge `codes` into the line's `# deadweight: ignore[...]`, or append a new one.

    Only a directive that reads as valid with codes is merged into: a bare one means something
    else (it cannot silence DW001), and a malformed one is DW002's to report."""
    good, _ = parse_suppressions(text + "\n")
    for suppression in good:
        if suppression.whole_file or not suppression.codes:
            continue
        own = _OWN.match(text, suppression.column - 1)
        if own is None or own.group("codes") is None:
            continue  # a `# noqa:` list belongs to other linters too
        written = [c for c in _SPLIT.split(own.group("codes")) if c]
        merged = written + [c for c in codes if c not in {w.upper() for w in written}]
        replaced = f"{own.group('lead')}# deadweight: ignore[{', '.join(merged)}]{own.group('reason')}"
        return text[: own.start()] + replaced + text[own.end() :]
    return f"{text.rstrip()}  # deadweight: ignore[{', '.join(codes)}]"


def _lines_without_room(text: str) -> dict[int, str]:
    """Lines a comment cannot be appended to: inside a multi-line string, or continued with `\\`."""
    out: dict[int, str] = {}
    fstring_start = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+: f-strings are token runs
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    opened: list[int] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            first, last = tok.start[0], tok.end[0]
            if tok.type == fstring_start:
                opened.append(first)
                continue
            if tok.type == fstring_end and opened:
                first = opened.pop()
            elif tok.type != tokenize.STRING:
                continue
            for line in range(first, last):
                out.setdefault(line, "the line ends inside a multi-line string")
    except (tokenize.TokenError, SyntaxError):
        pass
    for number, physical in enumerate(text.splitlines(), start=1):
        if physical.rstrip().endswith("\\"):
            out.setdefault(number, "the line is continued with a backslash")
    return out

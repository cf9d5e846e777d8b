"""Inline suppressions and DW001: which findings a comment silences, which comments are stale.

Suppressions are matched across the whole project before the reported file set narrows the
report, so a comment's verdict never depends on which files a run reports.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

import pathspec

from deadweight.extract.comments import is_suppressed
from deadweight.extract.facts import FileFacts
from deadweight.findings import Confidence, Finding, fingerprint
from deadweight.rules.base import Rule
from deadweight.settings import Settings

UNUSED_SUPPRESSION = "DW001"  # produced here, not by a rule's check(): it needs every rule's verdict
_COMMENT = re.compile(r"#\s*(?:deadweight\s*:\s*ignore|noqa\s*:)", re.IGNORECASE)


def apply_suppressions(
    findings: list[Finding],
    facts: list[FileFacts],
    settings: Settings,
    rules: Sequence[type[Rule]],
    *,
    root: Path | None = None,
) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (visible, suppressed); visible gains DW001 for comments that matched nothing.

    Shared by `check` and `deadweight.testing.run_files`, so DW001's documented examples run
    through the same code as a real scan. A comment is judged per code it names: in
    `# noqa: DW101, DW105` the DW105 part is stale if no DW105 finding was suppressed by it.
    Only codes of rules active in this run can be stale (a `--select DW101` run says nothing
    about DW105 comments), and a bare `# deadweight: ignore` only when no default rule is off.
    The line comment is tried before the class-line comment, as the narrower, more deliberate
    one; a class-level comment made redundant by line comments is reported as stale.
    """
    by_path = {f.path: f for f in facts}
    class_lines = {(f.path, c.qualname): c.span.line for f in facts for c in f.classes}
    comments = {f.path: dict(f.suppressions) for f in facts}
    used: set[tuple[str, int, str]] = set()  # (path, line, code as written or "" for bare)
    visible: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        if _ignored_for_file(finding, settings):
            continue
        file = by_path.get(finding.path)
        hit = _matching_comment(finding, comments.get(finding.path, {}), class_lines) if file else None
        if hit is None:
            visible.append(finding)
            continue
        line, codes = hit
        used.update((finding.path, line, c) for c in codes)
        suppressed.append(finding)
    if any(r.code == UNUSED_SUPPRESSION for r in rules):
        for stale in _unused_suppressions(facts, used, rules, class_lines, root):
            if _ignored_for_file(stale, settings):
                continue
            if is_suppressed(_explicit_only(comments[stale.path].get(stale.line)), stale.code):
                suppressed.append(stale)
            else:
                visible.append(stale)
    return sorted(visible, key=Finding.sort_key), suppressed


def _matching_comment(
    finding: Finding, comments: dict[int, tuple[str, ...]], class_lines: dict[tuple[str, str], int]
) -> tuple[int, tuple[str, ...]] | None:
    """(comment line, the codes of that comment that cover the finding; "" for a bare one)."""
    for line in (finding.line, class_lines.get((finding.path, finding.class_name))):
        if line is None or line not in comments:
            continue
        codes = comments[line]
        if not codes:
            return line, ("",)
        covering = tuple(c for c in codes if finding.code.startswith(c))
        if covering:
            return line, covering
    return None


def _explicit_only(codes: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """A bare comment cannot silence its own staleness report; only a named DW001 can."""
    return codes if codes else None


def _unused_suppressions(
    facts: list[FileFacts],
    used: set[tuple[str, int, str]],
    rules: Sequence[type[Rule]],
    class_lines: dict[tuple[str, str], int],
    root: Path | None,
) -> list[Finding]:
    from deadweight.rules.registry import all_rules

    active = {r.code for r in rules}
    defaults = {r.code for r in all_rules() if not r.preview}
    complete = defaults <= active
    class_line_set = {(path, line) for (path, _), line in class_lines.items()}
    rule = next(r for r in rules if r.code == UNUSED_SUPPRESSION)
    out = []
    for file in facts:
        for line, codes in file.suppressions:
            if not codes:
                stale: tuple[str, ...] = ("",) if complete and (file.path, line, "") not in used else ()
            else:
                stale = tuple(
                    c
                    for c in codes
                    if (file.path, line, c) not in used
                    and not UNUSED_SUPPRESSION.startswith(c)
                    and any(code.startswith(c) for code in active)
                )
            if not stale:
                continue
            where = "on this line or in this class" if (file.path, line) in class_line_set else "on this line"
            what = "`# deadweight: ignore`" if stale == ("",) else ", ".join(stale)
            message = f"unused suppression: {what} matches no finding {where}"
            column, end_column = _comment_columns(root, file.path, line)
            out.append(
                Finding(
                    code=UNUSED_SUPPRESSION,
                    rule=rule.name,
                    severity=rule.severity,
                    confidence=Confidence.HIGH,
                    message=message,
                    path=file.path,
                    line=line,
                    column=column,
                    end_line=line,
                    end_column=end_column,
                    class_name="",
                    attribute="",
                    defined_in="",
                    # Two stale comments in one file must not share a baseline entry: the
                    # fingerprint names the stale codes in place of an attribute (still no line).
                    fingerprint=fingerprint(UNUSED_SUPPRESSION, file.path, "", ",".join(stale) or "*"),
                )
            )
    return out


def _comment_columns(root: Path | None, path: str, line: int) -> tuple[int, int]:
    """1-based start and exclusive end column of the suppression comment, or (1, 1) if unknown.

    Facts record only the comment's line (they are cached and kept small); the column is
    looked up again only for the rare stale comment.
    """
    if root is None:
        return 1, 1
    try:
        with open(root / path, encoding="utf-8", errors="replace") as f:
            for number, text in enumerate(f, start=1):
                if number == line:
                    match = _COMMENT.search(text)
                    if match is None:
                        return 1, 1
                    return match.start() + 1, len(text.rstrip("\r\n")) + 1
    except OSError:
        pass
    return 1, 1


def _ignored_for_file(finding: Finding, settings: Settings) -> bool:
    for pattern, codes in settings.per_file_ignores:
        if any(finding.code.startswith(c) for c in codes) and _file_pattern(pattern).match_file(finding.path):
            return True
    return False


@functools.lru_cache(maxsize=256)
def _file_pattern(pattern: str) -> pathspec.GitIgnoreSpec:
    """The same gitignore-style syntax as `exclude` (and as validation checks): `tests/`
    covers everything below it, a bare `conftest.py` any file of that name."""
    return pathspec.GitIgnoreSpec.from_lines([pattern])

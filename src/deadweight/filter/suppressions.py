"""Inline suppressions and DW001: which findings a comment silences, which comments are stale.

Suppressions are matched across the whole project before the reported file set narrows the
report, so a comment's verdict never depends on which files a run reports.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import pathspec

from deadweight.extract.comments import is_suppressed
from deadweight.extract.facts import BadSuppression, FileFacts, Suppression
from deadweight.findings import Confidence, Finding, distinct_fingerprints, fingerprint
from deadweight.rules.base import Rule
from deadweight.settings import Settings

UNUSED_SUPPRESSION = "DW001"  # produced here, not by a rule's check(): it needs every rule's verdict
INVALID_SUPPRESSION = "DW002"  # produced here too: it is about comments, not about the model


def apply_suppressions(
    findings: list[Finding],
    facts: list[FileFacts],
    settings: Settings,
    rules: Sequence[type[Rule]],
) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (visible, suppressed); visible gains DW001 and DW002 for comments.

    Shared by `check` and `deadweight.testing.run_files`, so DW001's documented examples run
    through the same code as a real scan. A comment is judged per code it names: in
    `# noqa: DW101, DW105` the DW105 part is stale if no DW105 finding was suppressed by it.
    Only codes of rules active in this run can be stale (a `--select DW101` run says nothing
    about DW105 comments), and a bare `# deadweight: ignore` only when no default rule is off.
    The line comment is tried before the class-line comment, and both before a file-level
    `ignore-file`, as the narrower, more deliberate ones; a wider comment made redundant by
    narrower ones is reported as stale.
    """
    by_line, by_file = _index(facts)
    class_lines = {(f.path, c.qualname): c.span.line for f in facts for c in f.classes}
    classes_named: dict[str, list[tuple[str, int]]] = {}
    for (path, qualname), line in class_lines.items():
        classes_named.setdefault(qualname, []).append((path, line))
    used: set[tuple[str, int, str]] = set()  # (path, line, code as written or "" for bare)
    visible: list[Finding] = []
    suppressed: list[Finding] = []
    invalid = _invalid_suppressions(facts, rules)
    for finding in [*findings, *invalid]:
        if _ignored_for_file(finding, settings):
            continue
        class_lines_of = [
            _class_line(finding, classes_named, name) for name in (finding.class_name, *finding.also_classes)
        ]
        candidates = [
            *((finding.path, c) for c in by_line.get((finding.path, finding.line), ())),
            *((place[0], c) for place in class_lines_of for c in by_line.get(place, ())),
            *((finding.path, c) for c in by_file.get(finding.path, ())),
        ]
        hit = _matching_comment(finding, candidates)
        if hit is None:
            visible.append(finding)
            continue
        where, comment, codes = hit
        used.update((where, comment.line, c) for c in codes)
        suppressed.append(finding)
    if any(r.code == UNUSED_SUPPRESSION for r in rules):
        for stale in _unused_suppressions(facts, used, rules, class_lines, settings):
            if _ignored_for_file(stale, settings):
                continue
            silencing = [*by_line.get((stale.path, stale.line), ()), *by_file.get(stale.path, ())]
            if any(s.codes and is_suppressed(s.codes, stale.code) for s in silencing):
                # Only a comment naming DW001 silences a staleness report; a bare one cannot.
                suppressed.append(stale)
            else:
                visible.append(stale)
    return distinct_fingerprints(visible), suppressed


def _class_line(finding: Finding, classes_named: dict[str, list[tuple[str, int]]], name: str) -> tuple[str, int]:
    """Where the class the finding is about starts: an inherited weight dead in a subclass is
    reported at the base's line, in the base's file, and the subclass's `class` line (in its
    own file) is where a maintainer silences it. Same-named classes: the finding's own file
    first, then a file among its related locations (the subclass's override), then a unique one."""
    places = classes_named.get(name, [])
    for place in places:
        if place[0] == finding.path:
            return place
    related = {r.path for r in finding.related}
    near = [p for p in places if p[0] in related]
    if len(near) == 1:
        return near[0]
    return places[0] if len(places) == 1 else ("", 0)


def _index(
    facts: list[FileFacts],
) -> tuple[dict[tuple[str, int], list[Suppression]], dict[str, list[Suppression]]]:
    """Line comments by (path, line), and file-level comments by path."""
    by_line: dict[tuple[str, int], list[Suppression]] = {}
    by_file: dict[str, list[Suppression]] = {}
    for file in facts:
        for s in file.suppressions:
            if s.whole_file:
                by_file.setdefault(file.path, []).append(s)
            else:
                by_line.setdefault((file.path, s.line), []).append(s)
    return by_line, by_file


def _matching_comment(
    finding: Finding, comments: list[tuple[str, Suppression]]
) -> tuple[str, Suppression, tuple[str, ...]] | None:
    """(the file and the first comment that covers the finding, its codes that cover it; "" for
    a bare one)."""
    for path, comment in comments:
        if not comment.codes:
            return path, comment, ("",)
        covering = tuple(c for c in comment.codes if finding.code.startswith(c))
        if covering:
            return path, comment, covering
    return None


def _invalid_suppressions(facts: list[FileFacts], rules: Sequence[type[Rule]]) -> list[Finding]:
    """DW002 for each `# deadweight:` directive that could not be read (and so suppresses nothing)."""
    rule = next((r for r in rules if r.code == INVALID_SUPPRESSION), None)
    if rule is None:
        return []
    return [
        _comment_finding(rule, file.path, bad, bad.reason, bad.reason)
        for file in facts
        for bad in file.bad_suppressions
    ]


def _unused_suppressions(
    facts: list[FileFacts],
    used: set[tuple[str, int, str]],
    rules: Sequence[type[Rule]],
    class_lines: dict[tuple[str, str], int],
    settings: Settings,
) -> list[Finding]:
    from deadweight.rules.registry import all_rules

    active = {r.code for r in rules}
    known = {r.code for r in all_rules(settings.loaded_plugins)}
    defaults = {r.code for r in all_rules() if not r.preview}
    complete = defaults <= active
    class_line_set = {(path, line) for (path, _), line in class_lines.items()}
    rule = next(r for r in rules if r.code == UNUSED_SUPPRESSION)
    out = []
    for file in facts:
        for comment in file.suppressions:
            key = (file.path, comment.line)
            unknown = tuple(c for c in comment.codes if not any(k.startswith(c) for k in known))
            if unknown and not settings.blocked_plugins:  # a plugin that did not load may own them
                what = ", ".join(unknown)
                verb = "is not a deadweight rule code" if len(unknown) == 1 else "are not deadweight rule codes"
                message = f"unused suppression: {what} {verb} (see `deadweight rules`)"
                out.append(_comment_finding(rule, file.path, comment, message, f"unknown:{what}", unknown))
            if not comment.codes:
                stale: tuple[str, ...] = ("",) if complete and (*key, "") not in used else ()
            else:
                stale = tuple(
                    c
                    for c in comment.codes
                    if (*key, c) not in used
                    and not UNUSED_SUPPRESSION.startswith(c)
                    and any(code.startswith(c) for code in active)
                )
            if not stale:
                continue
            if comment.whole_file:
                where = "in this file"
            elif key in class_line_set:
                where = "on this line or in this class"
            else:
                where = "on this line"
            directive = "ignore-file" if comment.whole_file else "ignore"
            what = f"`# deadweight: {directive}`" if stale == ("",) else ", ".join(stale)
            message = f"unused suppression: {what} matches no finding {where}"
            # Two stale comments in one file must not share a baseline entry: the fingerprint
            # names the stale codes in place of an attribute (still no line).
            scope = "file:" if comment.whole_file else ""
            codes = ("*",) if stale == ("",) else stale
            out.append(_comment_finding(rule, file.path, comment, message, scope + (",".join(stale) or "*"), codes))
    return out


def _comment_finding(
    rule: type[Rule],
    path: str,
    comment: Suppression | BadSuppression,
    message: str,
    identity: str,
    codes: tuple[str, ...] = (),
) -> Finding:
    """A finding about a comment: high confidence, since the comment's text is the whole evidence."""
    return Finding(
        code=rule.code,
        rule=rule.name,
        severity=rule.severity,
        confidence=Confidence.HIGH,
        message=message,
        path=path,
        line=comment.line,
        column=comment.column,
        end_line=comment.line,
        end_column=comment.end_column,
        class_name="",
        attribute="",
        defined_in="",
        fingerprint=fingerprint(rule.code, path, "", identity),
        codes=codes,
    )


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

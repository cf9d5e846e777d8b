"""The filter stage: from every finding the rules produced to the findings a run reports.

In order: per-file ignores and inline suppressions (DW001 for stale ones), the reported file
set (`only_files`), the confidence floor, and the baseline. Each step counts what it hid in
the summary, so a report always says how much it is not showing. The first three steps are
part of the cached result; the baseline is applied afterwards, because the baseline file can
change while the project does not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from pathlib import Path

from deadweight.extract.facts import FileFacts
from deadweight.filter import baseline
from deadweight.filter.suppressions import apply_suppressions
from deadweight.findings import Finding, Result, Summary, confidence_rank
from deadweight.rules.base import Rule
from deadweight.settings import Settings


def select_reported(
    findings: list[Finding],
    facts: list[FileFacts],
    settings: Settings,
    rules: Sequence[type[Rule]],
    summary: Summary,
    only_files: set[str] | None,
) -> list[Finding]:
    """Suppressions (with stale ones reported), then the reported file set and the confidence floor."""
    visible, suppressed = apply_suppressions(findings, facts, settings, rules)
    if only_files is not None:
        visible = [_marked(f, only_files) for f in visible if _involves(f, only_files)]
        suppressed = [f for f in suppressed if _involves(f, only_files)]
        summary.reported_files = len(only_files)
        summary.reported_through_related = sum(1 for f in visible if f.path not in only_files)
    summary.suppressed += len(suppressed)
    min_rank = confidence_rank(settings.min_confidence)
    kept = []
    for finding in visible:
        if confidence_rank(finding.confidence) < min_rank:
            summary.hidden_low_confidence += 1
            continue
        kept.append(finding)
    summary.recount(kept)
    return kept


def _involves(finding: Finding, files: Collection[str]) -> bool:
    """Any of the finding's locations lies in `files`.

    `class FastBlock(Block)` added in fast.py, whose forward drops the base's `self.norm`: the
    DW103 sits at the base's line in the unchanged block.py, and its override location is in
    fast.py. Limited to changed files by location alone, pre-commit would pass the commit that
    introduced it."""
    return finding.path in files or any(r.path in files for r in finding.related)


def _marked(finding: Finding, files: Collection[str]) -> Finding:
    """Reported at its own location; a related location in a given file says so."""
    if finding.path in files:
        return finding
    related = tuple(
        dataclasses.replace(r, message=f"{r.message} (in a given or changed file)") if r.path in files else r
        for r in finding.related
    )
    return dataclasses.replace(finding, related=related)


def apply_baseline(
    result: Result, path: Path, *, only_files: Collection[str] | None, inactive_codes: Collection[str]
) -> None:
    """Hide the findings the baseline records; stale entries go to `result.stale_baseline`."""
    stale = baseline.apply(path, result, only_files=only_files, inactive_codes=inactive_codes)
    result.stale_baseline = [e.describe() for e in stale]

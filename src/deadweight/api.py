"""The pipeline in one place: discover -> extract -> link -> rules -> filter -> Result."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from deadweight import __version__
from deadweight.discover import discover
from deadweight.facts import ExtractResult, FileFacts
from deadweight.findings import Finding, Result, Summary, confidence_rank
from deadweight.project import Project
from deadweight.registry import all_rules, select_rules
from deadweight.rule import Rule
from deadweight.settings import Settings
from deadweight.suppress import is_suppressed

Progress = Callable[[int, int], None]  # (files done, files total)


def active_rules(settings: Settings) -> list[type[Rule]]:
    return select_rules(all_rules(settings.plugins), settings.select, settings.extend_select, settings.ignore)


def extract_all(paths: Sequence[str | Path], settings: Settings, progress: Progress | None = None) -> tuple[Path, list[ExtractResult]]:
    """Discovery and (parallel, cached) extraction: everything that touches the files."""
    from deadweight.workers import Job, run_jobs

    found = discover(paths, settings)
    jobs = [Job(f.path, str(f.abspath), f.module) for f in found.files]
    cache = None
    if settings.use_cache:
        from deadweight.cache import Cache

        cache_dir = Path(settings.cache_dir) if settings.cache_dir else found.root / ".deadweight_cache"
        cache = Cache(cache_dir, salt=f"deadweight {__version__}")
    total = len(jobs)
    results = run_jobs(
        jobs,
        workers=settings.jobs,
        max_file_size=settings.max_file_size,
        cache=cache,
        on_progress=(lambda n: progress(n, total)) if progress else None,
    )
    if cache is not None:
        cache.flush()
    from deadweight.facts import FileError

    results.extend(ExtractResult(e.path, error=e) for e in found.errors if isinstance(e, FileError))
    return found.root, results


def run_rules(facts: list[FileFacts], settings: Settings, rules: list[type[Rule]]) -> list[Finding]:
    project = Project(facts, settings)
    out: list[Finding] = []
    for rule in rules:
        out.extend(rule().check(project))
    return sorted(set(out), key=Finding.sort_key)


def check(
    paths: Sequence[str | Path],
    settings: Settings,
    *,
    only_files: set[str] | None = None,
    progress: Progress | None = None,
) -> Result:
    """Analyze the project; `only_files` (root-relative) limits reporting, never analysis."""
    start = time.perf_counter()
    rules = active_rules(settings)
    root, results = extract_all(paths, settings, progress)
    facts = [r.facts for r in results if r.facts is not None]
    errors = sorted((r.error for r in results if r.error is not None), key=lambda e: e.path)
    findings = run_rules(facts, settings, rules)
    summary = Summary(files=len(facts), errors=len(errors))
    kept = _filter(findings, facts, settings, summary, only_files)
    summary.findings = len(kept)
    for f in kept:
        summary.by_code[f.code] = summary.by_code.get(f.code, 0) + 1
        summary.by_confidence[f.confidence] = summary.by_confidence.get(f.confidence, 0) + 1
    summary.seconds = time.perf_counter() - start
    return Result(str(root), kept, errors, summary)


def _filter(
    findings: list[Finding], facts: list[FileFacts], settings: Settings, summary: Summary, only_files: set[str] | None
) -> list[Finding]:
    by_path = {f.path: f for f in facts}
    class_lines = {(f.path, c.qualname): c.span.line for f in facts for c in f.classes}
    min_rank = confidence_rank(settings.min_confidence)
    kept = []
    for finding in findings:
        if only_files is not None and finding.path not in only_files:
            continue
        if _ignored_for_file(finding, settings):
            continue
        file = by_path.get(finding.path)
        if file is not None and _suppressed(finding, file, class_lines):
            summary.suppressed += 1
            continue
        if confidence_rank(finding.confidence) < min_rank:
            summary.hidden_low_confidence += 1
            continue
        kept.append(finding)
    return kept


def _ignored_for_file(finding: Finding, settings: Settings) -> bool:
    for pattern, codes in settings.per_file_ignores:
        if fnmatch.fnmatch(finding.path, pattern) and any(finding.code.startswith(c) for c in codes):
            return True
    return False


def _suppressed(finding: Finding, file: FileFacts, class_lines: dict[tuple[str, str], int]) -> bool:
    comments = dict(file.suppressions)
    if is_suppressed(comments.get(finding.line), finding.code):
        return True
    class_line = class_lines.get((finding.path, finding.class_name))
    return class_line is not None and is_suppressed(comments.get(class_line), finding.code)

"""The pipeline in one place: discover -> extract -> link -> rules -> filter -> Result."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from deadweight import __version__
from deadweight.cache import gc_paused
from deadweight import runcache
from deadweight.discover import Discovery, discover
from deadweight.facts import ExtractResult, FileFacts
from deadweight.frameworks import GENERATED_FROM
from deadweight.findings import Finding, Result, Summary, confidence_rank, fingerprint
from deadweight.project import Project
from deadweight.registry import all_rules, select_rules
from deadweight.rule import Rule
from deadweight.settings import Settings
from deadweight.suppress import is_suppressed

Progress = Callable[[int, int], None]  # (files done, files total)


def active_rules(settings: Settings) -> list[type[Rule]]:
    return select_rules(all_rules(settings.plugins), settings.select, settings.extend_select, settings.ignore)


_EXTRACTION_MODULES = ("facts", "extract", "visitor", "classify", "values", "cstutil", "dataflow", "positions", "walk", "suppress", "frameworks")


def extraction_salt() -> str:
    """Cache key part: the version plus the source of every module that shapes the facts, so a
    development build whose extractor changed never trusts facts an older one wrote."""
    digest = hashlib.sha256(__version__.encode())
    for name in _EXTRACTION_MODULES:
        digest.update((Path(__file__).parent / f"{name}.py").read_bytes())
    return f"deadweight {__version__} {digest.hexdigest()[:16]}"


SMALL_PROJECT = 32  # files; below this a pool's start-up costs more than it saves


def worker_count(jobs_setting: int, files: int) -> int:
    """`jobs = 0` means one worker per available core, except for small projects."""
    if jobs_setting > 0:
        return jobs_setting
    if files < SMALL_PROJECT:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores)


def cache_dir(settings: Settings, root: Path) -> Path:
    return Path(settings.cache_dir) if settings.cache_dir else root / ".deadweight_cache"


def extract_all(paths: Sequence[str | Path], settings: Settings, progress: Progress | None = None) -> tuple[Path, list[ExtractResult]]:
    """Discovery and (parallel, cached) extraction: everything that touches the files."""
    return extract_found(discover(paths, settings), settings, progress)


def extract_found(found: Discovery, settings: Settings, progress: Progress | None = None) -> tuple[Path, list[ExtractResult]]:
    from deadweight.workers import Job, run_jobs

    jobs = [Job(f.path, str(f.abspath), f.module) for f in found.files]
    cache = None
    if settings.use_cache:
        from deadweight.cache import Cache

        cache = Cache(cache_dir(settings, found.root), salt=extraction_salt())
    total = len(jobs)
    results = run_jobs(
        jobs,
        workers=worker_count(settings.jobs, len(jobs)),
        max_file_size=settings.max_file_size,
        cache=cache,
        on_progress=(lambda n: progress(n, total)) if progress else None,
    )
    if cache is not None:
        cache.flush()
    from deadweight.facts import FileError

    results.extend(ExtractResult(e.path, error=e) for e in found.errors if isinstance(e, FileError))
    return found.root, results


def drop_generated_sources(facts: list[FileFacts]) -> list[FileFacts]:
    """Leave out `modular_*.py` files whose generated `modeling_*.py` sibling is present.

    transformers writes each model twice: a `modular_x.py` that inherits from other models and
    deletes what it does not need, and the `modeling_x.py` generated from it, which is what
    runs. Analyzing both would report each defect twice, the modular copy against another
    model's base class; the generated file is the truth, so only it is judged.
    """
    paths = {f.path for f in facts}
    out = []
    for f in facts:
        head, _, name = f.path.rpartition("/")
        if name.startswith(GENERATED_FROM[0]):
            sibling = f"{head}/{GENERATED_FROM[1]}{name[len(GENERATED_FROM[0]):]}" if head else GENERATED_FROM[1] + name[len(GENERATED_FROM[0]):]
            if sibling in paths:
                continue
        out.append(f)
    return out


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
    found = discover(paths, settings)
    run_slot = None
    if settings.use_cache:  # nothing changed since the last identical run: its result stands
        run_dir = cache_dir(settings, found.root)
        run_slot, run_key = runcache.key(found, settings, rules, only_files)
        cached = runcache.load(run_dir, run_slot, run_key)
        if cached is not None:
            cached.summary.seconds = time.perf_counter() - start
            return cached
    # Facts are acyclic and live until the end of the run: pausing the cyclic GC while they
    # are built and linked saves it from rescanning a growing heap (measured: 4x on linking).
    with gc_paused():
        root, results = extract_found(found, settings, progress)
        facts = drop_generated_sources([r.facts for r in results if r.facts is not None])
        errors = sorted((r.error for r in results if r.error is not None), key=lambda e: e.path)
        findings = run_rules(facts, settings, rules)
    summary = Summary(files=len(facts), errors=len(errors))
    kept = _filter(findings, facts, settings, rules, summary, only_files, root)
    summary.findings = len(kept)
    for f in kept:
        summary.by_code[f.code] = summary.by_code.get(f.code, 0) + 1
        summary.by_confidence[f.confidence] = summary.by_confidence.get(f.confidence, 0) + 1
    summary.seconds = time.perf_counter() - start
    result = Result(str(root), kept, errors, summary)
    if run_slot is not None:
        runcache.store(run_dir, run_slot, run_key, result)
    return result


def _filter(
    findings: list[Finding],
    facts: list[FileFacts],
    settings: Settings,
    rules: Sequence[type[Rule]],
    summary: Summary,
    only_files: set[str] | None,
    root: Path | None,
) -> list[Finding]:
    """Per-file ignores and inline suppressions (with stale ones reported), then the reported
    file set and the confidence floor. Suppressions are matched across the whole project
    before `only_files` narrows the report, so a comment's verdict never depends on which
    files a run reports."""
    visible, suppressed = apply_suppressions(findings, facts, settings, rules, root=root)
    if only_files is not None:
        visible = [f for f in visible if f.path in only_files]
        suppressed = [f for f in suppressed if f.path in only_files]
    summary.suppressed += len(suppressed)
    min_rank = confidence_rank(settings.min_confidence)
    kept = []
    for finding in visible:
        if confidence_rank(finding.confidence) < min_rank:
            summary.hidden_low_confidence += 1
            continue
        kept.append(finding)
    return kept


# --------------------------------------------------------------------------- suppressions

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
    from deadweight.registry import all_rules

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
                    confidence="high",
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
        if fnmatch.fnmatch(finding.path, pattern) and any(finding.code.startswith(c) for c in codes):
            return True
    return False

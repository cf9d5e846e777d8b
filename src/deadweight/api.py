"""The pipeline in one place: discover -> extract -> link -> rules -> filter -> Result.

Each stage lives in its own package (`discover`, `engine` + `extract`, `model`, `rules`,
`filter`, `report`); this module only wires them together, and is the library entry point.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from deadweight import filter as filtering
from deadweight.activity import Activity
from deadweight.discover import Discovery, discover
from deadweight.engine import runcache
from deadweight.engine.cache import gc_paused
from deadweight.engine.contenthash import ContentHashes
from deadweight.engine.environment import read_environment
from deadweight.engine.external import load_external
from deadweight.engine.extraction import Progress, Tick, cache_dir, cached_extraction, extract_found
from deadweight.extract.facts import FileError, FileFacts, is_external
from deadweight.findings import Finding, Result, Summary
from deadweight.model.coverage import coverage
from deadweight.model.generated import generated_sources
from deadweight.rules import incremental
from deadweight.rules.base import Rule
from deadweight.rules.context import Context, run_rules_on
from deadweight.rules.registry import all_rules, select_rules
from deadweight.settings import Settings

__all__ = ["Activity", "FixOutcome", "Progress", "Tick", "active_rules", "add_suppressions", "check", "fix"]


def active_rules(settings: Settings) -> list[type[Rule]]:
    return select_rules(all_rules(settings.loaded_plugins), settings.select, settings.extend_select, settings.ignore)


def check(
    paths: Sequence[str | Path],
    settings: Settings,
    *,
    only_files: set[str] | None = None,
    progress: Progress | None = None,
    activity: Activity | None = None,
) -> Result:
    """Analyze the project; `only_files` (root-relative) limits reporting, never analysis.

    `activity`, when given, is filled in with what the run did with each file (for `-v`)."""
    start = time.perf_counter()
    rules = active_rules(settings)
    found = discover(paths, settings)
    if activity is not None:
        activity.excluded = list(found.excluded)
    nothing: list[str] = []
    if not found.files and not found.errors:
        # A typo'd path or an empty folder: say so (as ruff does), and leave no cache behind
        # in a place where nothing was analyzed.
        where = ", ".join(str(p) for p in paths) or "."
        nothing.append(f"no Python files found under {where} (check the path and `exclude`)")
        settings = dataclasses.replace(settings, use_cache=False)
    run_dir = cache_dir(settings, found.root)
    result = None
    hashes = ContentHashes(run_dir) if settings.use_cache else None
    if settings.use_cache:  # nothing changed since the last identical run: its result stands
        run_slot, run_key = runcache.key(found, settings, rules, only_files, hashes)
        result = runcache.load(run_dir, run_slot, run_key)
        if activity is not None:
            activity.run_cache = result is not None
    if result is None:
        # Facts are acyclic and live until the end of the run: pausing the cyclic GC while they
        # are built, linked, judged and filtered saves it from rescanning a growing heap
        # (measured: 4x on linking; a full collection after the rules cost 0.7 s on transformers).
        with gc_paused():
            result = _judge(found, settings, rules, only_files, progress, activity, hashes)
        if settings.use_cache:
            runcache.store(run_dir, run_slot, run_key, result)
    if hashes is not None:
        hashes.save()
    if settings.baseline:
        inactive = {r.code for r in all_rules(settings.loaded_plugins)} - {r.code for r in rules}
        filtering.apply_baseline(result, Path(settings.baseline), only_files=only_files, inactive_codes=inactive)
    result.warnings[:0] = nothing
    result.summary.seconds = time.perf_counter() - start
    return result


def _judge(
    found: Discovery,
    settings: Settings,
    rules: list[type[Rule]],
    only_files: set[str] | None,
    progress: Progress | None,
    activity: Activity | None,
    hashes: ContentHashes | None,
) -> Result:
    """Extract, link, run the rules and filter: the run the run cache did not answer."""
    linked = _link(found, settings, progress, activity, hashes)
    ctx = linked.context
    if hashes is not None:  # judge again only what changed since the last run (rules.incremental)
        slot, context = runcache.judging_context(found, settings, rules)
        now = incremental.inputs(ctx.project.files, linked.digests, context)
        outcome = incremental.Outcome()
        judged_all = incremental.judge(ctx, rules, now, cache_dir(settings, found.root), slot, outcome)
        if activity is not None:
            activity.judged, activity.reused = outcome.judged, outcome.reused
            activity.judged_all_because = outcome.whole
    else:
        judged_all = run_rules_on(ctx, rules)
    findings = [f for f in judged_all if not is_external(f.path)]
    judged = coverage(ctx.project)
    summary = Summary(files=len(linked.facts), errors=len(linked.errors))
    summary.classes, summary.modules = judged.classes, judged.modules
    summary.modules_from_evidence = judged.modules_from_evidence
    summary.not_judged = [s.to_dict() for s in judged.skipped]
    summary.environment_files = linked.environment_files
    summary.generated_sources = linked.generated_sources
    reported = filtering.select_reported(findings, linked.facts, settings, rules, summary, only_files)
    return Result(str(found.root), reported, linked.errors, summary, warnings=linked.warnings)


@dataclass
class _Linked:
    """Extraction and linking of one discovered project (shared by `check` and `link`)."""

    context: Context
    facts: list[FileFacts]  # the project's own (environment files excluded)
    errors: list[FileError]
    warnings: list[str]
    environment_files: int
    generated_sources: int = 0  # source files left out because the file generated from them is judged
    digests: dict[str, bytes | None] = dataclasses.field(default_factory=dict)  # path -> content digest


def _link(
    found: Discovery,
    settings: Settings,
    progress: Progress | None = None,
    activity: Activity | None = None,
    hashes: ContentHashes | None = None,
) -> _Linked:
    _, extracted = extract_found(found, settings, progress, activity, hashes)
    extracted_facts = [r.facts for r in extracted if r.facts is not None]
    sources = generated_sources(extracted_facts)
    facts = [f for f in extracted_facts if f.path not in sources]
    errors = sorted((r.error for r in extracted if r.error is not None), key=lambda e: e.path)
    digests: dict[str, bytes | None] = {}
    external, warnings = read_environment_bases(facts, settings, found.root, digests)
    if hashes is not None:
        for f in found.files:
            digests[f.path] = hashes.digest(str(f.abspath))
    if activity is not None:
        activity.generated_sources = sorted(sources.items())
        activity.environment = [f.path for f in external]
    if progress is not None:
        progress(Tick("linking"))
    return _Linked(
        Context.build(facts + external, settings),
        facts,
        errors,
        warnings,
        len(external),
        len(extracted_facts) - len(facts),
        digests,
    )


def read_environment_bases(
    facts: list[FileFacts], settings: Settings, root: Path, digests: dict[str, bytes | None] | None = None
) -> tuple[list[FileFacts], list[str]]:
    """Facts of the installed packages the project's base classes come from (see engine.external)."""
    if not settings.python or settings.python == "none":
        return [], []
    env = read_environment(Path(settings.python), "python")
    read: dict[str, bytes] = {}
    with cached_extraction(settings, root) as extractor:
        external, warnings = load_external(facts, env, extractor, read)
    if digests is not None:
        digests.update(read)
    return external, [*env.warnings, *warnings]


def link(paths: Sequence[str | Path], settings: Settings) -> tuple[Context, list[str]]:
    """The linked project and reachability, without running rules (for `inspect`)."""
    linked = _link(discover(paths, settings), settings)
    return linked.context, linked.warnings


def without_baseline(settings: Settings) -> Settings:
    """The settings of a run that records a new baseline (the old one must not hide findings)."""
    return dataclasses.replace(settings, baseline=None)


@dataclass
class FixOutcome:
    """What `check --fix`, `--diff` and `--add-suppressions` did."""

    result: Result  # the run after the last write (for a dry run: the only run)
    fixed: int = 0  # findings fixed (or suppressed), over every pass
    resolved: list[Finding] = dataclasses.field(default_factory=list)  # those findings, as reported when fixed
    files: list[str] = dataclasses.field(default_factory=list)  # files changed (or that would change)
    passes: int = 0
    unsafe_available: int = 0  # fixes not applied because --unsafe-fixes was not given
    refused: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (path, why not changed)
    unsuppressible: list[tuple[Finding, str]] = dataclasses.field(default_factory=list)
    diff: str = ""  # dry run: the unified diff of the first pass


MAX_FIX_PASSES = 10


def fix(
    paths: Sequence[str | Path],
    settings: Settings,
    *,
    unsafe: bool = False,
    only_files: set[str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> FixOutcome:
    """Apply the fixes of reported findings until none is left (at most MAX_FIX_PASSES passes).

    Each pass re-analyzes the project (the caches make that cheap: only fixed files change), so
    a fix that overlapped another, or a finding that a fix uncovered, is handled on the next
    pass, and the final result is what a fresh run reports. A dry run plans one pass and
    writes nothing. Files named by `only_files` bound what is changed, as they bound the report.
    """
    from deadweight.fix.plan import plan_fixes, unified_diff  # libcst: only a fixing run pays for it
    from deadweight.fix.plan import write as write_plan

    outcome = FixOutcome(check(paths, settings, only_files=only_files, progress=progress))
    files: set[str] = set()
    while True:
        plan = plan_fixes(_scoped(outcome.result, only_files), unsafe=unsafe)
        outcome.unsafe_available = plan.unsafe_available
        if dry_run:
            outcome.fixed, outcome.files, outcome.refused = plan.fixed, [f.path for f in plan.files], plan.refused
            outcome.diff = unified_diff(plan)
            return outcome
        if not plan.files or outcome.passes >= MAX_FIX_PASSES:
            outcome.refused.extend(plan.refused)
            break
        written, failed = write_plan(plan)
        outcome.refused.extend([*plan.refused, *failed])
        if not written:
            break
        outcome.fixed += sum(f.fixed for f in written)
        outcome.resolved.extend(r for f in written for fix in f.fixes for r in fix.resolves)
        files.update(f.path for f in written)
        outcome.passes += 1
        outcome.result = check(paths, settings, only_files=only_files)
    outcome.files = sorted(files)
    return outcome


def add_suppressions(
    paths: Sequence[str | Path],
    settings: Settings,
    *,
    only_files: set[str] | None = None,
    progress: Progress | None = None,
) -> FixOutcome:
    """`# deadweight: ignore[CODE]` on the line of every reported finding, then a fresh run."""
    from deadweight.fix.plan import plan_suppressions  # libcst: only a fixing run pays for it
    from deadweight.fix.plan import write as write_plan

    outcome = FixOutcome(check(paths, settings, only_files=only_files, progress=progress))
    plan = plan_suppressions(_scoped(outcome.result, only_files))
    written, failed = write_plan(plan)
    outcome.refused = [*plan.refused, *failed]
    outcome.unsuppressible = plan.unsuppressible
    outcome.fixed = sum(f.fixed for f in written)
    outcome.files = [f.path for f in written]
    if written:
        outcome.passes = 1
        outcome.result = check(paths, settings, only_files=only_files)
    return outcome


def _scoped(result: Result, only_files: set[str] | None) -> Result:
    """Only findings located in the given files are changed, as ruff changes only given files."""
    if only_files is None:
        return result
    return dataclasses.replace(result, findings=[f for f in result.findings if f.path in only_files])

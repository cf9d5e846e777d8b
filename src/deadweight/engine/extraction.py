"""Extraction of a discovered project: worker count, the facts cache, the process pool.

Everything that touches the files' bytes happens here; what comes out is one `ExtractResult`
per file (facts or the reason the file could not be analyzed).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deadweight.activity import Activity
from deadweight.discover import Discovery, discover
from deadweight.engine.salt import extraction_salt
from deadweight.extract.facts import ExtractResult, FileError
from deadweight.settings import Settings

if TYPE_CHECKING:
    from deadweight.engine.contenthash import ContentHashes
    from deadweight.engine.workers import Job, Origin


@dataclass(frozen=True, slots=True)
class Tick:
    """Where a run stands, for a progress bar. Bytes weigh the estimate: one 300 KB modeling
    file takes as long as a hundred small `__init__.py` files, so a count of files would lie."""

    stage: str  # "extracting", then "linking"
    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0


Progress = Callable[[Tick], None]

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


def extract_all(
    paths: Sequence[str | Path], settings: Settings, progress: Progress | None = None
) -> tuple[Path, list[ExtractResult]]:
    """Discovery and (parallel, cached) extraction: everything that touches the files."""
    return extract_found(discover(paths, settings), settings, progress)


def extract_found(
    found: Discovery,
    settings: Settings,
    progress: Progress | None = None,
    activity: Activity | None = None,
    hashes: ContentHashes | None = None,
) -> tuple[Path, list[ExtractResult]]:
    from deadweight.engine.workers import Job, run_jobs

    jobs = [Job(f.path, str(f.abspath), f.module) for f in found.files]
    cache = None
    if settings.use_cache:
        from deadweight.engine.cache import Cache

        cache = Cache(cache_dir(settings, found.root), salt=extraction_salt())
    on_finished = _Tracker(jobs, progress, activity) if progress or activity else None
    results = run_jobs(
        jobs,
        workers=worker_count(settings.jobs, len(jobs)),
        max_file_size=settings.max_file_size,
        cache=cache,
        on_progress=on_finished,
        hashes=hashes,
    )
    if cache is not None:
        cache.flush()
    results.extend(ExtractResult(e.path, error=e) for e in found.errors if isinstance(e, FileError))
    return found.root, results


class _Tracker:
    """Turns the workers' per-file reports into ticks (weighted by size) and an activity log."""

    def __init__(self, jobs: Sequence[Job], progress: Progress | None, activity: Activity | None) -> None:
        self.jobs = jobs
        self.progress = progress
        # Sizes only weigh the estimate: a file that cannot be stat'ed counts as 4 KB.
        self.sizes = [_size(job.abspath) for job in jobs] if progress else []
        self.total = sum(self.sizes)
        self.files = self.done = 0
        # where each origin is logged; an unread file is reported under errors instead
        self.lists: dict[str, list[str]] = (
            {"parsed": activity.parsed, "cache": activity.cached, "duplicate": activity.duplicates} if activity else {}
        )
        if progress:
            progress(Tick("extracting", 0, len(jobs), 0, self.total))

    def __call__(self, finished: list[tuple[int, Origin]]) -> None:
        for index, origin in finished if self.lists else ():
            target = self.lists.get(origin)
            if target is not None:
                target.append(self.jobs[index].path)
        if self.progress:
            self.files += len(finished)
            self.done += sum(self.sizes[index] for index, _ in finished)
            self.progress(Tick("extracting", self.files, len(self.jobs), self.done, self.total))


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 4096


@contextmanager
def cached_extraction(settings: Settings, root: Path) -> Iterator[Callable[[str, bytes, str], ExtractResult]]:
    """In-process extraction through the facts cache, for the few files read outside the pool
    (base classes from the environment); the cache is flushed once, on exit."""
    from deadweight.engine.cache import Cache
    from deadweight.extract.file import extract

    if not settings.use_cache:
        yield extract
        return
    cache = Cache(cache_dir(settings, root), salt=extraction_salt())

    def run(path: str, data: bytes, module: str) -> ExtractResult:
        hit = cache.get(data, path, module)
        if hit is not None:
            return hit
        result = extract(path, data, module)
        if result.facts is not None:
            cache.put(data, result)
        return result

    try:
        yield run
    finally:
        cache.flush()

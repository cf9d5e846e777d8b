"""What one run did with each file, for `check -v`: plain data the pipeline fills in on request.

A user who wonders why a file produced nothing needs to know whether it was analyzed at all:
excluded by a pattern or by git, left out as the source of a generated file, read from the
cache, or not looked at because nothing changed since the last identical run.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Activity:
    run_cache: bool = False  # the whole result came from the run cache; no file was read
    parsed: list[str] = field(default_factory=list)  # extracted in this run
    cached: list[str] = field(default_factory=list)  # facts from the facts cache
    duplicates: list[str] = field(default_factory=list)  # same bytes as another file: its facts
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (path, why); directories end in "/"
    generated_sources: list[tuple[str, str]] = field(default_factory=list)  # (source, generated file judged)
    environment: list[str] = field(default_factory=list)  # files of installed packages read for base classes
    # Incremental judging (rules.incremental): files whose classes were judged again, files
    # whose findings were reused, and why every file was judged when it was.
    judged: int = 0
    reused: int = 0
    judged_all_because: str | None = None

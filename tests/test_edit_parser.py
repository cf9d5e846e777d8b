"""engine.edit_parser: an edit's few files parsed in a child while the cache is decoded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deadweight.engine import edit_parser
from deadweight.engine import workers as workers_module
from deadweight.engine.cache import Cache
from deadweight.engine.workers import Job, run_jobs
from deadweight.extract.file import extract

SOURCES = {
    "pkg/a.py": "import torch.nn as nn\n\n\nclass A(nn.Module):\n    def __init__(self):\n"
    "        super().__init__()\n        self.fc = nn.Linear(2, 2)\n",
    "pkg/b.py": "class B:\n    pass\n",
    "pkg/c.py": "def f(x):\n    return x\n",
}


def _jobs(root: Path) -> list[Job]:
    out = []
    for rel, text in SOURCES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(text, encoding="utf-8")
        out.append(Job(path=rel, abspath=str(path), module=rel.removesuffix(".py").replace("/", ".")))
    return out


def _classes(results: list) -> list[list[str]]:  # type: ignore[type-arg]
    return [[c.name for c in r.facts.classes] if r.facts is not None else [r.error.reason] for r in results]


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many files each child answered (its replies, not this process's fallback)."""
    counts: list[int] = []
    real = edit_parser.EditParser.replies

    def spy(self, timeout):  # type: ignore[no-untyped-def]
        replies = real(self, timeout)
        counts.append(len(replies))
        return replies

    monkeypatch.setattr(edit_parser.EditParser, "replies", spy)
    return counts


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, answered: list[int]) -> list[int]:
    """How many files each child was started on."""
    calls: list[int] = []
    real = edit_parser.start

    def spy(items, max_file_size):  # type: ignore[no-untyped-def]
        calls.append(len(items))
        return real(items, max_file_size)

    monkeypatch.setattr(edit_parser, "start", spy)
    return calls


def test_an_edited_file_is_parsed_by_the_child_and_the_rest_comes_from_the_cache(
    tmp_path: Path, started: list[int], answered: list[int]
) -> None:
    jobs = _jobs(tmp_path / "src")
    cache = Cache(tmp_path / "cache", salt="t")
    run_jobs(jobs, workers=2, cache=cache)  # three files to parse: the pool, not the child
    assert started == []
    (tmp_path / "src" / "pkg" / "b.py").write_text("class B2:\n    pass\n", encoding="utf-8")
    cache = Cache(tmp_path / "cache", salt="t")
    results = run_jobs(jobs, workers=2, cache=cache)
    assert started == [1] and answered == [1]
    assert (cache.hits, cache.misses, cache.writes) == (2, 1, 1)
    assert _classes(results) == [["A"], ["B2"], []]
    direct = extract("pkg/a.py", SOURCES["pkg/a.py"].encode(), "pkg.a")
    assert results[0].facts == direct.facts
    # what the child stored reads back as what it returned
    again = run_jobs(jobs, workers=2, cache=Cache(tmp_path / "cache", salt="t"))
    assert _classes(again) == _classes(results) and started == [1]


def test_one_job_and_in_process_runs_start_no_child(tmp_path: Path, started: list[int]) -> None:
    jobs = _jobs(tmp_path / "src")
    assert _classes(run_jobs(jobs[:2], workers=1)) == [["A"], ["B"]]  # --jobs 1: this process only
    assert started == []
    assert _classes(run_jobs(jobs[:2], workers=2)) == [["A"], ["B"]]
    assert started == [2]


def test_a_module_of_the_scanned_project_cannot_stand_in_for_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[int], answered: list[int]
) -> None:
    """The working directory is often the scanned project: a `deadweight` package there is
    never imported by the child (which runs isolated, with our own package on its path)."""
    marker = tmp_path / "ran"
    fake = tmp_path / "deadweight"
    fake.mkdir()
    (fake / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    results = run_jobs(_jobs(tmp_path / "src")[:2], workers=2)
    assert started == [2] and answered == [2]
    assert _classes(results) == [["A"], ["B"]]
    assert not marker.exists()


def test_a_child_that_fails_leaves_its_files_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[int], answered: list[int]
) -> None:
    monkeypatch.setattr(edit_parser, "_CHILD", "deadweight.engine.no_such_module")
    results = run_jobs(_jobs(tmp_path / "src")[:2], workers=2)
    assert started == [2] and sum(answered) == 0  # it answered nothing, or died before reading them
    assert _classes(results) == [["A"], ["B"]]


def test_a_child_out_of_time_is_killed_and_its_files_time_out() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
    )
    replies = edit_parser.EditParser(process, [4, 7]).replies(timeout=0.2)
    assert replies == [(4, "failed", "timed out after 0.2 s"), (7, "failed", "timed out after 0.2 s")]
    assert process.poll() is not None


def test_a_damaged_entry_found_before_decoding_is_parsed_again(tmp_path: Path, started: list[int]) -> None:
    jobs = _jobs(tmp_path / "src")
    run_jobs(jobs, workers=1, cache=Cache(tmp_path / "cache", salt="t"))
    for entry in (tmp_path / "cache").rglob("*"):
        if entry.is_file() and len(entry.name) > 20:  # entries, not the tag files
            entry.write_bytes(b"garbage")
    cache = Cache(tmp_path / "cache", salt="t")
    results = run_jobs(jobs, workers=2, cache=cache)
    assert _classes(results) == [["A"], ["B"], []]
    assert (cache.hits, cache.writes) == (0, 3)


def test_a_large_edited_file_goes_to_the_child_and_to_the_pool_if_the_child_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[int], answered: list[int]
) -> None:
    """Over the in-process size (256 KB) the child still takes it (it enforces the time
    limit); when the child fails, the pool parses it, not this process (a crash of the parser
    on a large file must not end the run)."""
    big = tmp_path / "src" / "big.py"
    big.parent.mkdir(parents=True)
    big.write_text("class Big:\n    pass\n\n\nTEXT = '" + "x" * 300_000 + "'\n", encoding="utf-8")
    jobs = [Job(path="big.py", abspath=str(big), module="big")]
    first = run_jobs(jobs, workers=2, cache=Cache(tmp_path / "cache", salt="t"))
    assert [r.facts.classes[0].name for r in first if r.facts] == ["Big"]
    assert started == [1] and answered == [1]
    monkeypatch.setattr(edit_parser, "_CHILD", "deadweight.engine.no_such_module")
    pooled: list[int] = []
    real_pool = workers_module._Pool

    def spy_pool(run, todo, **kwargs):  # type: ignore[no-untyped-def]
        pooled.append(len(todo))
        return real_pool(run, todo, **kwargs)

    monkeypatch.setattr(workers_module, "_Pool", spy_pool)
    again = run_jobs(jobs, workers=2, cache=Cache(tmp_path / "other-cache", salt="t"))
    assert [r.facts.classes[0].name for r in again if r.facts] == ["Big"]
    # the failing child answers nothing (or dies before it reads its files: not started)
    assert started == [1, 1] and answered[0] == 1 and sum(answered[1:]) == 0 and pooled == [1]

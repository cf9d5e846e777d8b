"""Cache: hits skip extraction; anything stale, foreign, corrupt or hostile reads as a miss."""

from __future__ import annotations

import errno
import multiprocessing
import os
import pickle
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
import _extractors  # noqa: E402
from _extractors import lines_extractor, nonce_extractor, run_with_cache  # noqa: E402
from deadweight.engine.cache import Cache, decode_result, encode_result  # noqa: E402
from deadweight.engine.workers import Job, run_jobs  # noqa: E402
from deadweight.extract.facts import (  # noqa: E402
    BadSuppression,
    ClassFacts,
    ExtractResult,
    FileError,
    FileFacts,
    Span,
    Suppression,
    Write,
)

SALT = "deadweight-test 1"


def make_jobs(root: Path, sources: dict[str, str]) -> list[Job]:
    jobs = []
    for rel, text in sources.items():
        target = root / "src" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        jobs.append(Job(path=rel, abspath=str(target), module=rel.removesuffix(".py").replace("/", ".")))
    return jobs


def sources(n: int) -> dict[str, str]:
    return {f"pkg/m{i:03}.py": f"x = {i}\n" * (1 + i % 7) for i in range(n)}


def nonces(results: list[ExtractResult]) -> dict[str, str]:
    out = {}
    for result in results:
        assert result.facts is not None, result.error
        out[result.path] = dict(result.facts.assignments)["nonce"]
    return out


def entry_files(directory: Path) -> list[Path]:
    return sorted(p for p in (directory / "facts").rglob("*") if p.is_file() and not p.name.startswith("."))


def extract_inline(jobs: list[Job], cache: Cache) -> tuple[list[ExtractResult], list[str]]:
    """An in-process run, with the paths the extractor was actually called for."""
    _extractors.CALLS.clear()
    results = run_jobs(jobs, workers=1, extractor=lines_extractor, cache=cache)
    return results, sorted(_extractors.CALLS)


SAMPLE = ExtractResult(
    "a/b.py",
    FileFacts(
        path="a/b.py",
        module="a.b",
        external_reads=frozenset({"weight", "bias"}),
        suppressions=(Suppression(3, 7, 30, ("DW101",)), Suppression(7, 1, 20, (), whole_file=True)),
        bad_suppressions=(BadSuppression(9, 5, 12, "names no code"),),
        lines=12,
    ),
)


def test_round_trip_and_relabel(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache", salt=SALT)
    cache.put(b"x = 1\n", SAMPLE)
    assert cache.get(b"x = 1\n", "a/b.py", "a.b") == SAMPLE
    moved = cache.get(b"x = 1\n", "c/d.py", "c.d")
    assert moved is not None and moved.facts is not None
    assert (moved.path, moved.facts.path, moved.facts.module) == ("c/d.py", "c/d.py", "c.d")
    assert moved.facts.suppressions == SAMPLE.facts.suppressions  # type: ignore[union-attr]
    assert moved.facts.bad_suppressions == SAMPLE.facts.bad_suppressions  # type: ignore[union-attr]
    assert cache.get(b"x = 2\n", "a/b.py") is None


def test_codec_round_trips_nested_facts() -> None:
    span = Span(1, 4, 1, 20)
    write = Write("proj", "__init__", span, "module", ctor="nn.Linear", kwargs=(("bias", "False"),))
    block = ClassFacts("A", "A", span, ("nn.Module",), writes=(write,))
    facts = FileFacts("m.py", "m", classes=(block,), external_reads=frozenset({"proj"}))
    result = ExtractResult("m.py", facts)
    assert decode_result(encode_result(result)) == result
    error = ExtractResult("m.py", error=FileError("m.py", "syntax error"))
    assert decode_result(encode_result(error)) == error


@settings(max_examples=40, deadline=None)
@given(st.from_type(FileFacts), st.text(min_size=1, max_size=20))
def test_codec_round_trips_any_facts(facts: FileFacts, reason: str) -> None:
    result = ExtractResult(facts.path, facts)
    assert decode_result(encode_result(result)) == result
    error = ExtractResult(facts.path, error=FileError(facts.path, reason))
    assert decode_result(encode_result(error)) == error


def test_cache_dir_is_tagged_and_ignored(tmp_path: Path) -> None:
    Cache(tmp_path / "cache", salt=SALT)
    assert (tmp_path / "cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    tag = (tmp_path / "cache" / "CACHEDIR.TAG").read_text()
    assert tag.startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_hits_skip_extraction_and_only_changed_files_are_re_extracted(tmp_path: Path) -> None:
    jobs = make_jobs(tmp_path, sources(20))
    cache = Cache(tmp_path / "cache", salt=SALT)
    cold, calls = extract_inline(jobs, cache)
    assert len(calls) == 20 and len(entry_files(tmp_path / "cache")) == 20

    warm, calls = extract_inline(jobs, Cache(tmp_path / "cache", salt=SALT))
    assert calls == [] and warm == cold

    Path(jobs[3].abspath).write_text("x = 'changed'\n")
    _, calls = extract_inline(jobs, Cache(tmp_path / "cache", salt=SALT))
    assert calls == [jobs[3].path]


def test_hits_in_pool_mode(tmp_path: Path) -> None:
    jobs = make_jobs(tmp_path, sources(30))
    cache = Cache(tmp_path / "cache", salt=SALT)
    first = nonces(run_jobs(jobs, workers=2, extractor=nonce_extractor, cache=cache))
    Path(jobs[5].abspath).write_text("x = 'changed'\n")
    cache = Cache(tmp_path / "cache", salt=SALT)
    second = nonces(run_jobs(jobs, workers=2, extractor=nonce_extractor, cache=cache))
    changed = {path for path in first if first[path] != second[path]}
    assert changed == {jobs[5].path}


def test_same_content_is_extracted_once_and_labelled_per_file(tmp_path: Path) -> None:
    jobs = make_jobs(tmp_path, {"a/__init__.py": "", "b/__init__.py": "", "c.py": "y = 1\n"})
    results, calls = extract_inline(jobs, Cache(tmp_path / "cache", salt=SALT))
    assert calls == ["a/__init__.py", "c.py"]
    assert [(r.path, r.facts.path, r.facts.module) for r in results] == [  # type: ignore[union-attr]
        ("a/__init__.py", "a/__init__.py", "a.__init__"),
        ("b/__init__.py", "b/__init__.py", "b.__init__"),
        ("c.py", "c.py", "c"),
    ]


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_a_damaged_entry_is_a_miss_and_is_rewritten(tmp_path: Path, damage: str) -> None:
    jobs = make_jobs(tmp_path, sources(5))
    extract_inline(jobs, Cache(tmp_path / "cache", salt=SALT))
    entry = entry_files(tmp_path / "cache")[0]
    blob = entry.read_bytes()
    entry.write_bytes(
        {
            "truncate": blob[: len(blob) // 2],
            "flip": blob[:-1] + bytes([blob[-1] ^ 1]),
            "empty": b"",
            "garbage": os.urandom(len(blob)),
        }[damage]
    )
    _, calls = extract_inline(jobs, Cache(tmp_path / "cache", salt=SALT))
    assert len(calls) == 1
    assert entry.read_bytes() == blob  # rewritten
    _, calls = extract_inline(jobs, Cache(tmp_path / "cache", salt=SALT))
    assert calls == []


def test_an_entry_from_another_salt_is_ignored(tmp_path: Path) -> None:
    data = b"x = 1\n"
    old = Cache(tmp_path / "cache", salt="deadweight 0.0.1")
    new = Cache(tmp_path / "cache", salt="deadweight 0.0.2")
    old.put(data, SAMPLE)
    assert new.get(data, "a/b.py") is None  # a different key...
    # ...and even planted under the new key, the header's salt digest does not match.
    (old_entry,) = entry_files(tmp_path / "cache")
    planted = tmp_path / "cache" / "facts" / new.key(data)[:2] / new.key(data)[2:]
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_bytes(old_entry.read_bytes())
    assert new.get(data, "a/b.py") is None
    assert old.get(data, "a/b.py") == SAMPLE


class Planted:
    """A pickle that would create a file if it were ever unpickled by plain `pickle`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize(
    "payload_kind", ["os.system", "nested os.system", "wrong type", "facts not a result", "both set"]
)
def test_a_planted_entry_cannot_run_code_and_is_a_miss(tmp_path: Path, payload_kind: str) -> None:
    marker = tmp_path / "pwned"
    payload = {
        "os.system": lambda: pickle.dumps(Planted(marker)),
        "nested os.system": lambda: pickle.dumps(
            ExtractResult("a.py", error=FileError("a.py", Planted(marker)))  # type: ignore[arg-type]
        ),
        "wrong type": lambda: pickle.dumps({"facts": 1}),
        "facts not a result": lambda: encode_result(SAMPLE.facts),  # type: ignore[arg-type]
        "both set": lambda: encode_result(ExtractResult("a.py", SAMPLE.facts, FileError("a.py", "x"))),
    }[payload_kind]()
    cache = Cache(tmp_path / "cache", salt=SALT)
    data = b"x = 1\n"
    cache.store(cache.key(data), payload)  # a valid header around a hostile payload
    assert cache.get(data, "a.py") is None
    assert not marker.exists()


def test_only_deterministic_errors_are_cached(tmp_path: Path) -> None:
    jobs = make_jobs(
        tmp_path,
        {
            "syntax.py": "# syntax error\n",  # a fact about the content: cached
            "memory.py": "# memory error\n",  # about the machine: not cached
            "crash.py": "# crash: exit\n",  # not cached
            "slow.py": "# sleep: 30\n",  # not cached
            "fine.py": "x = 1\n",
        },
    )
    jobs.append(Job(path="gone.py", abspath=str(tmp_path / "gone.py"), module="gone"))  # unreadable
    cache = Cache(tmp_path / "cache", salt=SALT)
    results = run_jobs(jobs, workers=2, extractor=lines_extractor, cache=cache, timeout=1.0)
    assert [r.error.reason if r.error else None for r in results] == [
        "syntax error: line 1",
        "internal error: MemoryError: ",
        "parser crashed (worker process exited with code 1)",
        "timed out after 1 s",
        None,
        "cannot read file: No such file or directory",
    ]
    assert cache.writes == 2
    fresh = Cache(tmp_path / "cache", salt=SALT)
    readable = [job for job in jobs if Path(job.abspath).exists()]
    hits = {job.path for job in readable if fresh.get(Path(job.abspath).read_bytes(), job.path)}
    assert hits == {"syntax.py", "fine.py"}


def test_two_concurrent_runs_share_a_cache(tmp_path: Path) -> None:
    jobs = make_jobs(tmp_path, sources(400))
    files = [(job.path, job.abspath) for job in jobs]
    directory = str(tmp_path / "cache")
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    start_at = time.time() + 1.0  # both runs start together, whatever their startup costs
    with context.Pool(2) as pool:
        runs = [pool.apply_async(run_with_cache, (directory, SALT, files, 1, start_at)) for _ in range(2)]
        first, second = (run.get(timeout=60) for run in runs)
    expected = run_jobs(jobs, workers=1, extractor=lines_extractor)
    assert first == second == expected
    assert len(entry_files(tmp_path / "cache")) == len(jobs)
    assert not [p for p in (tmp_path / "cache").rglob(".tmp*")]  # no temp files left behind
    warm, calls = extract_inline(jobs, Cache(Path(directory), salt=SALT))
    assert calls == [] and warm == expected


def test_an_unusable_cache_directory_means_no_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    cache = Cache(blocker, salt=SALT)
    assert cache.disabled_reason is not None
    jobs = make_jobs(tmp_path, sources(3))
    results, calls = extract_inline(jobs, cache)
    assert len(calls) == 3 and all(r.facts for r in results)
    cache.flush()


def test_a_read_only_or_full_disk_degrades_to_no_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "cache"
    jobs = make_jobs(tmp_path, sources(3))
    extract_inline(jobs, Cache(directory, salt=SALT))  # warm it first: reads keep working
    jobs += make_jobs(tmp_path, {"new.py": "z = 3\n"})
    if hasattr(os, "getuid") and os.getuid() != 0:  # root writes anywhere: simulate instead
        for path in [directory, *directory.rglob("*")]:
            if path.is_dir():
                path.chmod(0o555)
    else:

        def refuse(*args: object, **kwargs: object) -> None:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))

        monkeypatch.setattr("deadweight.engine.cache.os.replace", refuse)
    try:
        cache = Cache(directory, salt=SALT)
        results, calls = extract_inline(jobs, cache)
        cache.flush()
    finally:
        for path in [directory, *directory.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
    assert calls == ["new.py"] and all(r.facts for r in results)
    assert cache.read_only_reason is not None and cache.writes == 0


def test_each_file_is_reported_with_where_its_result_came_from(tmp_path: Path) -> None:
    """What `check -v` lists: parsed now, from the cache, or the facts of an identical file."""
    jobs = make_jobs(tmp_path, {"a.py": "x = 1\n", "b.py": "x = 1\n", "c.py": "y = 2\n"})
    cache = Cache(tmp_path / "cache", salt=SALT)
    first: list[tuple[int, str]] = []
    run_jobs(jobs, workers=1, extractor=lines_extractor, cache=cache, on_progress=first.extend)
    cache.flush()
    assert sorted(first) == [(0, "parsed"), (1, "duplicate"), (2, "parsed")]
    (tmp_path / "src" / "c.py").write_text("y = 3\n")
    second: list[tuple[int, str]] = []
    run_jobs(
        jobs,
        workers=1,
        extractor=lines_extractor,
        cache=Cache(tmp_path / "cache", salt=SALT),
        on_progress=second.extend,
    )
    assert sorted(second) == [(0, "cache"), (1, "duplicate"), (2, "parsed")]

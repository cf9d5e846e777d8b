"""run_jobs: complete, ordered results whatever the extractor does to its process."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Worker processes import the stand-in extractors by module name; see tests/_extractors.py.
_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from _extractors import libcst_extractor, lines_extractor  # noqa: E402
from deadweight.engine.workers import (  # noqa: E402
    Job,
    _batches,
    _Item,
    read_source,
    run_jobs,
    too_large_reason,
)
from deadweight.extract.facts import ExtractResult  # noqa: E402


def make_jobs(root: Path, sources: dict[str, str | bytes]) -> list[Job]:
    jobs = []
    for rel, text in sources.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode() if isinstance(text, str) else text)
        jobs.append(Job(path=rel, abspath=str(target), module=rel.removesuffix(".py").replace("/", ".")))
    return jobs


def plain_sources(n: int) -> dict[str, str]:
    # Varied sizes, so batching by size reorders them: the results must not be reordered.
    return {f"pkg/m{i:03}.py": "x = 1\n" * (1 + (i * 37) % 50) for i in range(n)}


def reasons(results: list[ExtractResult]) -> dict[str, str | None]:
    return {r.path: (r.error.reason if r.error else None) for r in results}


def assert_ok(result: ExtractResult, job: Job) -> None:
    assert result.error is None, result.error
    assert result.facts is not None
    assert (result.path, result.facts.path, result.facts.module) == (job.path, job.path, job.module)
    assert result.facts.lines == Path(job.abspath).read_bytes().count(b"\n")


def no_child_processes() -> bool:
    """No worker is left running or unreaped (the fork server is multiprocessing's own)."""
    if multiprocessing.active_children():
        return False
    if not os.path.isdir("/proc"):
        return True
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[1] == me and fields[0] == "Z":  # a zombie child of ours
            return False
    return True


@pytest.mark.parametrize("workers", [1, 2])
def test_results_are_ordered_and_complete(tmp_path: Path, workers: int) -> None:
    jobs = make_jobs(tmp_path, plain_sources(150))
    reported: list[tuple[int, str]] = []
    results = run_jobs(jobs, workers=workers, extractor=lines_extractor, on_progress=reported.extend)
    assert len(results) == len(jobs)
    for job, result in zip(jobs, results, strict=False):
        assert_ok(result, job)
    # every file is reported exactly once, as parsed (no cache here)
    assert sorted(reported) == [(i, "parsed") for i in range(len(jobs))]
    assert no_child_processes()


def test_empty_job_list() -> None:
    assert run_jobs([], workers=2, extractor=lines_extractor) == []


@pytest.mark.parametrize(
    ("directive", "reason"),
    [
        ("# crash: segfault", "parser crashed (worker process died with signal SIGSEGV)"),
        ("# crash: exit", "parser crashed (worker process exited with code 1)"),
    ],
)
def test_a_crashing_file_is_isolated_from_its_batch(tmp_path: Path, directive: str, reason: str) -> None:
    # 200 files of one size: batches of ~13 in path order, the bad one in the middle of one.
    filler = "#".ljust(len(directive)) + "\n"
    sources = {f"pkg/m{i:03}.py": filler for i in range(200)}
    sources["pkg/m100.py"] = directive + "\n"
    jobs = make_jobs(tmp_path, sources)
    items = [_Item(i, j.path, j.module, j.abspath, None) for i, j in enumerate(jobs)]
    (batch,) = [b for b in _batches(items, 2) if any(item.path == "pkg/m100.py" for item in b)]
    assert batch[0].path < "pkg/m100.py" < batch[-1].path  # finished, crashing and unstarted files

    results = run_jobs(jobs, workers=2, extractor=lines_extractor)
    for job, result in zip(jobs, results, strict=False):
        if job.path == "pkg/m100.py":
            assert result.facts is None and result.error is not None
            assert result.error.reason == reason
            assert result.error.path == job.path
        else:
            assert_ok(result, job)
    assert no_child_processes()


def test_a_file_that_crashes_only_once_is_analyzed(tmp_path: Path) -> None:
    sources: dict[str, str] = plain_sources(10)
    sources["pkg/flaky.py"] = f"# crash-once: {tmp_path / 'crashed-once'}\n"
    jobs = make_jobs(tmp_path, sources)
    results = run_jobs(jobs, workers=2, extractor=lines_extractor)
    assert (tmp_path / "crashed-once").exists()  # it did crash the first time
    for job, result in zip(jobs, results, strict=False):
        assert_ok(result, job)


def test_a_slow_file_times_out_and_the_rest_goes_on(tmp_path: Path) -> None:
    sources: dict[str, str] = plain_sources(20)
    sources["pkg/slow.py"] = "# sleep: 60\n"
    jobs = make_jobs(tmp_path, sources)
    results = run_jobs(jobs, workers=2, extractor=lines_extractor, timeout=1.0)
    for job, result in zip(jobs, results, strict=False):
        if job.path == "pkg/slow.py":
            assert result.error is not None and result.error.reason == "timed out after 1 s"
        else:
            assert_ok(result, job)
    assert no_child_processes()


@pytest.mark.parametrize("workers", [1, 2])
def test_guarded_errors(tmp_path: Path, workers: int) -> None:
    jobs = make_jobs(
        tmp_path,
        {
            "a.py": "# recurse\n",
            "b.py": "# raise\n",
            "c.py": "# deep: 5000\n",  # legal, deeper than the default limit of 1,000
            "d.py": "# syntax error\n",
            "e.py": "x = 1\n",
        },
    )
    results = run_jobs(jobs, workers=workers, extractor=lines_extractor)
    assert reasons(results) == {
        "a.py": "too deeply nested",
        "b.py": "internal error: ValueError: boom",
        "c.py": None,
        "d.py": "syntax error: line 1",
        "e.py": None,
    }


def test_in_process_mode_restores_the_recursion_limit(tmp_path: Path) -> None:
    before = sys.getrecursionlimit()
    run_jobs(make_jobs(tmp_path, {"a.py": "# deep: 3000\n"}), workers=1, extractor=lines_extractor)
    assert sys.getrecursionlimit() == before


def test_deep_nesting_that_segfaults_libcst_on_the_main_thread_is_parsed(tmp_path: Path) -> None:
    pytest.importorskip("libcst")
    # 2,000 nested parentheses overflow the native parser on an 8 MB stack (see style.md).
    jobs = make_jobs(tmp_path, {"deep.py": "x = " + "(" * 2000 + ")" * 2000 + "\n", "ok.py": "y = 1\n"})
    results = run_jobs(jobs, workers=2, extractor=libcst_extractor)
    assert reasons(results) == {"deep.py": None, "ok.py": None}


def test_the_default_extractor_is_deadweight_extract(tmp_path: Path) -> None:
    pytest.importorskip("deadweight.extract.file")
    source = "import torch.nn as nn\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    jobs = make_jobs(tmp_path, {"m.py": source, "bad.py": "def (:\n"})
    results = run_jobs(jobs, workers=2)
    assert results[0].facts is not None and [c.name for c in results[0].facts.classes] == ["M"]
    assert results[1].error is not None


def test_unreadable_and_too_large_files(tmp_path: Path) -> None:
    jobs = make_jobs(tmp_path, {"big.py": "x = 1\n" * 100, "ok.py": "y = 1\n"})
    (tmp_path / "adir.py").mkdir()
    jobs.append(Job(path="adir.py", abspath=str(tmp_path / "adir.py"), module="adir"))
    jobs.append(Job(path="gone.py", abspath=str(tmp_path / "gone.py"), module="gone"))
    jobs.append(Job(path="given.py", abspath="/nonexistent", module="given", data=b"z = 2\n" * 100))
    expected = {
        "big.py": "file too large (600 bytes > 500 bytes limit; see max-file-size)",
        "ok.py": None,
        "adir.py": "cannot read file: Is a directory",
        "gone.py": "cannot read file: No such file or directory",
        "given.py": "file too large (600 bytes > 500 bytes limit; see max-file-size)",
    }
    for workers in (1, 2):
        results = run_jobs(jobs, workers=workers, extractor=lines_extractor, max_file_size=500)
        assert reasons(results) == expected


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() == 0, reason="root reads any file")
def test_permission_denied(tmp_path: Path) -> None:
    jobs = make_jobs(tmp_path, {"secret.py": "x = 1\n"})
    Path(jobs[0].abspath).chmod(0)
    try:
        results = run_jobs(jobs, workers=2, extractor=lines_extractor)
    finally:
        Path(jobs[0].abspath).chmod(0o644)
    assert reasons(results) == {"secret.py": "cannot read file: Permission denied"}


def test_size_messages() -> None:
    assert too_large_reason(int(5.2 * 1024 * 1024), 4 * 1024 * 1024) == (
        "file too large (5.2 MB > 4.0 MB limit; see max-file-size)"
    )
    assert read_source("/nonexistent/x.py", 10) == "cannot read file: No such file or directory"


def test_ctrl_c_stops_the_workers(tmp_path: Path) -> None:
    jobs = make_jobs(tmp_path, {**plain_sources(4), "pkg/slow.py": "# sleep: 60\n"})

    def interrupt(finished: list[tuple[int, str]]) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_jobs(jobs, workers=2, extractor=lines_extractor, on_progress=interrupt)
    assert no_child_processes()


_MASK_PROBE = """
import multiprocessing
import signal
import sys


def report(conn):
    conn.send(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))


if __name__ == "__main__":
    from deadweight.engine.workers import _context, _start_deaf_to_sigint

    context = _context()
    parent, child = context.Pipe()
    process = context.Process(target=report, args=(child,))
    _start_deaf_to_sigint(process)
    blocked = parent.recv()
    process.join()
    here = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    print(blocked, here)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="process groups and signal masks are POSIX")
def test_a_worker_and_its_fork_server_are_born_with_sigint_blocked(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole group: a fork server still importing libcst, or a worker not
    yet in `_worker_main`, would print a KeyboardInterrupt traceback. The multiprocessing
    resource tracker unblocks SIGINT when it starts, so this fails if it starts inside the
    block. A fresh interpreter, so that no fork server is running yet."""
    script = tmp_path / "probe.py"
    script.write_text(_MASK_PROBE)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]  # the child is deaf; the parent hears again

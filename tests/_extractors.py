"""Stand-in extractors for the worker and cache tests.

They live in a plain module (not in a test file, not in the package) because worker processes
import an extractor by its module and name: the test files put this directory on `sys.path`,
and multiprocessing hands the parent's `sys.path` to every child it starts. What a stand-in
does is chosen by the file's first line, so one batch can mix well-behaved and hostile files
without any state shared between processes:

    # crash: segfault       read address 0 (SIGSEGV)
    # crash: exit           os._exit(1)
    # crash-once: <path>    os._exit(3) unless <path> exists (it is created first)
    # sleep: <seconds>
    # recurse               unbounded recursion (RecursionError)
    # deep: <n>             a legal recursion n frames deep
    # raise                 ValueError("boom")
    # syntax error          the extractor's own, deterministic, error result
    # memory error          an extractor error report that mentions MemoryError
"""

from __future__ import annotations

import ctypes
import os
import time
import uuid
from pathlib import Path

from deadweight.extract.facts import ExtractResult, FileError, FileFacts

CALLS: list[str] = []  # paths extracted in this process (in-process runs count with it)


def _directive(data: bytes) -> tuple[str, str]:
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    if not first.startswith("# "):
        return "", ""
    head, _, arg = first[2:].partition(":")
    return head.strip(), arg.strip()


def _recurse(n: int) -> int:
    return 0 if n == 0 else 1 + _recurse(n - 1)


def _behave(path: str, data: bytes, module: str) -> ExtractResult | None:
    """Do what the first line says; None means "extract normally"."""
    CALLS.append(path)
    kind, arg = _directive(data)
    if kind == "crash" and arg == "segfault":
        ctypes.string_at(0)
    elif kind == "crash" and arg == "exit":
        os._exit(1)
    elif kind == "crash-once":
        marker = Path(arg)
        if not marker.exists():
            marker.touch()
            os._exit(3)
    elif kind == "sleep":
        time.sleep(float(arg))
    elif kind == "recurse":
        _recurse(10**9)
    elif kind == "deep":
        _recurse(int(arg))
    elif kind == "raise":
        raise ValueError("boom")
    elif kind == "syntax error":
        return ExtractResult(path, error=FileError(path, "syntax error: line 1"))
    elif kind == "memory error":
        return ExtractResult(path, error=FileError(path, "internal error: MemoryError: "))
    return None


def lines_extractor(path: str, data: bytes, module: str) -> ExtractResult:
    """Deterministic: the facts depend on the content only (line count)."""
    special = _behave(path, data, module)
    if special is not None:
        return special
    return ExtractResult(path, FileFacts(path=path, module=module, lines=data.count(b"\n")))


def nonce_extractor(path: str, data: bytes, module: str) -> ExtractResult:
    """Like lines_extractor, plus a fresh random token: a result that carries an old token
    came from the cache, across processes, without any shared counter."""
    special = _behave(path, data, module)
    if special is not None:
        return special
    facts = FileFacts(
        path=path,
        module=module,
        lines=data.count(b"\n"),
        assignments=(("nonce", uuid.uuid4().hex),),
    )
    return ExtractResult(path, facts)


def libcst_extractor(path: str, data: bytes, module: str) -> ExtractResult:
    """Parses for real, to exercise libcst's native parser on deep nesting."""
    import libcst

    module_node = libcst.parse_module(data)
    module_node.visit(libcst.CSTVisitor())
    return ExtractResult(path, FileFacts(path=path, module=module, lines=data.count(b"\n")))


def run_with_cache(
    directory: str, salt: str, files: list[tuple[str, str]], workers: int, start_at: float
) -> list[ExtractResult]:
    """One whole cached run, as a separate process of the concurrency test runs it."""
    from deadweight.engine.cache import Cache
    from deadweight.engine.workers import Job, run_jobs

    time.sleep(max(0.0, start_at - time.time()))
    cache = Cache(Path(directory), salt=salt)
    jobs = [Job(path=rel, abspath=abspath, module=rel.removesuffix(".py").replace("/", ".")) for rel, abspath in files]
    results = run_jobs(jobs, workers=workers, extractor=lines_extractor, cache=cache)
    cache.flush()
    return results

"""One file's extraction, guarded: its bytes read within limits, the extractor called so that
nothing a file does escapes as an exception, on a thread whose stack takes deep nesting.

Shared by the pool's workers, the in-process path and the edit parser (`engine.edit_parser`),
which must all turn the same file into the same result or the same error.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from deadweight.extract.facts import ExtractResult, FileError

Extractor = Callable[[str, bytes, str], ExtractResult]

RECURSION_LIMIT = 10_000
# Tried in order; a machine with a tight `ulimit -v` may refuse the first.
_STACK_SIZES = (256 * 1024 * 1024, 64 * 1024 * 1024)


class _Item(NamedTuple):
    """A job as it travels to a worker (plain tuple on the wire)."""

    slot: int  # position in the run's job list (`index` would shadow tuple.index)
    path: str
    module: str
    abspath: str
    data: bytes | None


def _error(path: str, reason: str) -> ExtractResult:
    return ExtractResult(path=path, error=FileError(path=path, reason=reason))


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


def too_large_reason(size: int, limit: int) -> str:
    """The message for a file over `max-file-size`, naming the setting that raises the limit."""
    return f"file too large ({_size_text(size)} > {_size_text(limit)} limit; see max-file-size)"


def read_source(abspath: str, max_file_size: int) -> bytes | str:
    """The file's bytes, or the reason they cannot be had (a string).

    Opened non-blocking so a FIFO that discovery let through cannot hang the run, and read at
    most one byte past the limit so a huge (or growing) file is never loaded whole.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(abspath, flags)
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return f"cannot read file: {os.strerror(errno.EISDIR)}"
        if not stat.S_ISREG(info.st_mode):
            return "cannot read file: not a regular file"
        if info.st_size > max_file_size:
            return too_large_reason(info.st_size, max_file_size)
        chunks = []
        remaining = max_file_size + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    finally:
        os.close(fd)
    if len(data) > max_file_size:
        return too_large_reason(len(data), max_file_size)
    return data


def _deterministic(result: ExtractResult) -> bool:
    """Whether this extractor result is a fact about the content, and so worth caching.

    Facts always are, and so are the extractor's own error reports (syntax errors), except
    that one about memory depends on the machine, not the file.
    """
    if result.error is None:
        return True
    reason = result.error.reason
    return "MemoryError" not in reason and "out of memory" not in reason


def _guarded_extract(extractor: Extractor, item: _Item, max_file_size: int) -> ExtractResult | str:
    """Run the extractor on one file; a string return is the guard's error reason.

    BaseException is caught on purpose: an extractor that calls sys.exit() must not end the
    thread that serves the other files. (KeyboardInterrupt is only ever raised in the main
    thread, which never runs this.)
    """
    data = item.data
    if data is None:
        read = read_source(item.abspath, max_file_size)
        if isinstance(read, str):
            return read
        data = read
    elif len(data) > max_file_size:
        return too_large_reason(len(data), max_file_size)
    try:
        result = extractor(item.path, data, item.module)
    except RecursionError:
        return "too deeply nested"
    except MemoryError:
        return "out of memory"
    except BaseException as exc:
        return f"internal error: {type(exc).__name__}: {exc}"
    if not isinstance(result, ExtractResult):
        return f"internal error: extractor returned {type(result).__name__}, not ExtractResult"
    return result


def _default_extractor() -> Extractor:
    """deadweight.extract.file.extract, imported late so this module works without it (and the
    parent of a pool never has to import libcst)."""
    from deadweight.extract.file import extract

    return extract


def _start_deep_thread(target: Callable[..., None], *args: Any) -> threading.Thread:
    """Start `target` in a daemon thread with the largest stack the machine grants.

    Only a thread that got a large stack raises the recursion limit (before running
    `target`): on a default 8 MB stack a deep Python recursion would overflow the stack
    instead of raising RecursionError.
    """

    def body(deep: bool) -> None:
        if deep:
            sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
        target(*args)

    previous = threading.stack_size()
    try:
        for size in (*_STACK_SIZES, 0):
            try:
                threading.stack_size(size)
                thread = threading.Thread(target=body, args=(size != 0,), daemon=True, name="deadweight-extract")
                thread.start()
            except (ValueError, RuntimeError, MemoryError):
                if size == 0:
                    raise
                continue
            return thread
    finally:
        threading.stack_size(previous)
    raise AssertionError("unreachable")

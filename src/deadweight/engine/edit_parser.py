"""One parser process for the few files an edit left to parse, beside the cache's decoding.

After a one-file edit, a run decodes every other file's cached facts (0.43 s on transformers)
and parses the edited file (0.2 s in-process, most of it importing libcst). Starting the pool
for one file costs more than parsing it (`workers._small_edit`), but a plain interpreter
started first, while this process decodes, does the parse on the other core: the run waits for
the longer of the two, not their sum.

The child runs isolated (`-I`, our own package put first on its path: the working directory
is often the scanned project, whose modules must never run), reads its files from stdin before
it imports anything heavy (so the parent's write never waits on the child's start-up),
extracts them exactly as a pool worker does, and writes one marshalled reply. Anything that
goes wrong (no interpreter, a crash, a reply that does not read back) leaves the files
unanswered; the caller parses them as it would have without the child (in-process, or by the
pool when large), so the child can only make a run faster, never change what it finds.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

_MAGIC = b"deadweight-edit-parser\n"
_CHILD = "deadweight.engine.edit_parser"

# (slot, "done", payload, cacheable) or (slot, "failed", reason)
Reply = tuple[Any, ...]


class EditParser:
    """A started child: `replies()` waits for its answers (at most `timeout` seconds)."""

    def __init__(self, process: subprocess.Popen[bytes], slots: list[int]) -> None:
        self.process = process
        self.slots = slots

    def replies(self, timeout: float) -> list[Reply]:
        """The child's answers; [] when it failed (the caller parses the files itself), and
        each file timed out when it ran out of time, as in the pool (it is killed)."""
        try:
            out, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _reap(self.process)
            return [(slot, "failed", f"timed out after {timeout:g} s") for slot in self.slots]
        except (OSError, ValueError):
            _reap(self.process)
            return []
        if self.process.returncode != 0 or not out.startswith(_MAGIC):
            return []
        try:
            replies = marshal.loads(out[len(_MAGIC) :])
        except (EOFError, ValueError, TypeError):
            return []
        return replies if isinstance(replies, list) else []


def _reap(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def start(items: Sequence[tuple[Any, ...]], max_file_size: int) -> EditParser | None:
    """Start a child on `items` (`workers._Item` tuples); None if it cannot be started."""
    if not sys.executable:
        return None
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # Isolated (`-I`): neither the working directory, which is often the scanned project, nor
    # PYTHONPATH goes on the child's path, so no module of the project can stand in for ours;
    # the same deadweight as this process is imported from where this one was.
    boot = f"import sys; sys.path.insert(0, {package_root!r}); from {_CHILD} import _main; _main()"
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", "-c", boot],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None
    assert process.stdin is not None
    try:
        process.stdin.write(marshal.dumps((max_file_size, [tuple(item) for item in items])))
        process.stdin.close()
    except OSError:  # it died before reading them
        _reap(process)
        return None
    process.stdin = None  # closed: `communicate` must not write to it again
    return EditParser(process, [item[0] for item in items])


def _main() -> None:
    """The child: read the files, extract each in a big-stack thread, reply once."""
    max_file_size, raw = marshal.loads(sys.stdin.buffer.read())
    from deadweight.engine.cache import encode_result
    from deadweight.engine.guard import _default_extractor, _deterministic, _guarded_extract, _Item, _start_deep_thread

    function = _default_extractor()
    replies: list[Reply] = []

    def work() -> None:
        for fields in raw:
            item = _Item(*fields)
            outcome = _guarded_extract(function, item, max_file_size)
            if isinstance(outcome, str):
                replies.append((item.slot, "failed", outcome))
                continue
            try:
                replies.append((item.slot, "done", encode_result(outcome), _deterministic(outcome)))
            except Exception as exc:
                replies.append((item.slot, "failed", f"internal error: {type(exc).__name__}: {exc}"))

    _start_deep_thread(work).join()
    sys.stdout.buffer.write(_MAGIC + marshal.dumps(replies))
    sys.stdout.buffer.flush()

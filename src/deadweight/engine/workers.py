"""Parallel extraction with crash isolation: one bad file never stops a run.

libcst's native parser can take the whole process down (a segfault or stack overflow on
deeply nested input), hang, or raise RecursionError/MemoryError. So extraction runs in worker
processes that the parent watches; whatever happens to one file becomes a `FileError` for that
file, and every other file is analyzed normally.

How it works:

* Start method: "forkserver" where available, else "spawn". Measured on Linux with workers that
  import libcst: first two workers fork 0.24 s / forkserver 0.21 s / spawn 0.35 s; ten
  replacement workers (after crashes or timeouts) fork 1.16 s / forkserver 0.05 s / spawn
  1.57 s, because the fork server has libcst preloaded. Plain fork is also unsafe once the
  parent has threads (rich's progress bar has one; Python 3.12+ warns about it).
* Files go out in batches (~8 per worker, at most 64 files each, largest files first so the
  tail balances), and come back one message per file as compact bytes (`cache.encode_result`),
  which the cache then stores verbatim. Per-file replies are what make attribution exact: when
  a worker dies, the parent knows which file it was parsing. That file alone is retried in a
  fresh worker; if it kills that one too, it gets "parser crashed (...)". The files of the
  batch that it had not reached yet never ran and go back to the queue as usual.
* Each file has a time limit: the parent kills a worker whose current file has run longer,
  records "timed out after N s", and starts a replacement.
* In every worker (and for in-process runs), extraction runs in a thread with a 256 MB stack
  and a recursion limit of 10,000: the 3,000-nested-parentheses input that segfaults libcst on
  the main thread's 8 MB stack parses fine there (measured: 1.8 s), so deep-but-legal code is
  analyzed instead of reported.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.resource_tracker
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from deadweight.engine import edit_parser
from deadweight.engine.cache import (
    Cache,
    decode_result,
    encode_result,
    gc_paused,
    relabel,
)
from deadweight.engine.guard import (
    Extractor,
    _default_extractor,
    _deterministic,
    _error,
    _guarded_extract,
    _Item,
    _start_deep_thread,
    read_source,
    too_large_reason,
)
from deadweight.extract.facts import ExtractResult

if TYPE_CHECKING:
    from deadweight.engine.contenthash import ContentHashes

# Where a finished file's result came from: extracted now, the facts cache, the result of an
# earlier file with the same bytes, or nowhere (unreadable, too large).
Origin = Literal["parsed", "cache", "duplicate", "unread"]
ProgressCallback = Callable[[list[tuple[int, Origin]]], None]  # (job index, origin) of newly finished files

DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024
_MAX_BATCH_FILES = 64
_BATCHES_PER_WORKER = 8
# A worker that has not acknowledged its batch within this (or the file timeout, if longer)
# is considered unable to start.
_STARTUP_GRACE = 30.0
# Workers dying before they start work this many times in a row means the environment, not a
# file, is broken: stop instead of looping.
_MAX_STARTUP_FAILURES = 3
_SHUTDOWN_GRACE = 2.0

# Worker -> parent messages.
_ACK = "ack"  # ("ack",): the batch arrived; its first file starts now
_DONE = "done"  # ("done", index, payload, cacheable): the extractor's result, encoded
_FAILED = "failed"  # ("failed", index, reason): the guard's verdict (never cached)
_FATAL = "fatal"  # ("fatal", message): the worker cannot run at all


@dataclass(frozen=True)
class Job:
    """One file to extract. `data` is given when the caller already holds the bytes."""

    path: str  # relative to the scan root, "/"-separated: the label of the results
    abspath: str  # where to read it
    module: str
    data: bytes | None = None


class _Outcome(NamedTuple):
    """One file's end: the result, and its encoded form if it may be cached."""

    result: ExtractResult
    payload: bytes | None


# -- the worker process ---------------------------------------------------------------------


def _worker_main(conn: Connection, extractor: Extractor | None, max_file_size: int) -> None:
    """Entry point of a worker process: serve batches until told to stop or orphaned."""
    # Ctrl-C reaches the whole process group; the parent decides what happens (it kills us).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        function = extractor if extractor is not None else _default_extractor()
    except BaseException as exc:
        conn.send((_FATAL, f"{type(exc).__name__}: {exc}"))
        return
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent.sentinel,), daemon=True).start()
    _start_deep_thread(_serve, conn, function, max_file_size).join()


def _exit_with_parent(sentinel: int) -> None:
    """Die when the parent does, even mid-file: nobody is left to want the answer."""
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _serve(conn: Connection, extractor: Extractor, max_file_size: int) -> None:
    """The worker's loop: receive a batch, acknowledge it, reply once per file."""
    try:
        while True:
            batch = conn.recv()
            if batch is None:
                return
            conn.send((_ACK,))
            for raw in batch:
                item = _Item(*raw)
                outcome = _guarded_extract(extractor, item, max_file_size)
                if isinstance(outcome, str):
                    conn.send((_FAILED, item.slot, outcome))
                    continue
                try:
                    payload = encode_result(outcome)
                except Exception as exc:
                    conn.send((_FAILED, item.slot, f"internal error: {type(exc).__name__}: {exc}"))
                    continue
                conn.send((_DONE, item.slot, payload, _deterministic(outcome)))
    except (EOFError, OSError):
        return  # the parent closed the pipe or is gone


# -- the parent's bookkeeping -----------------------------------------------------------------


class _Run:
    """Results in job order, cache lookups and stores, duplicate content, progress."""

    def __init__(
        self,
        jobs: Sequence[Job],
        cache: Cache | None,
        on_progress: ProgressCallback | None,
        hashes: ContentHashes | None = None,
    ) -> None:
        self.jobs = jobs
        self.cache = cache
        self.hashes = hashes
        self.on_progress = on_progress
        self.results: list[ExtractResult | None] = [None] * len(jobs)
        self.keys: dict[int, str] = {}
        # Cache entries found by `prepare` and decoded by `load_deferred`, so that the few files
        # an edit left to parse can be parsed meanwhile (`engine.edit_parser`).
        self.deferred: list[tuple[int, str]] = []
        # Files with the same content as an earlier file (many empty __init__.py) wait for
        # its result instead of being extracted again. Only known when hashing for the cache.
        self.followers: dict[int, list[int]] = {}

    def prepare(self, max_file_size: int) -> list[_Item]:
        """Fill in what needs no extraction (cache hits, unreadable files); return the rest."""
        todo: list[_Item] = []
        cache = self.cache
        leaders: dict[str, int] = {}
        finished: list[tuple[int, Origin]] = []
        for index, job in enumerate(self.jobs):
            data = job.data
            if cache is None:
                todo.append(_Item(index, job.path, job.module, job.abspath, data))
                continue
            key = None
            if data is None and self.hashes is not None:
                # unchanged since the last run by its `stat`: a hit needs no read at all
                known = self.hashes.remembered(job.abspath)
                if known is not None:
                    key = cache.key_of(known)
                    if self._settled(index, key, leaders):
                        continue
            if data is None:
                data = self._read(index, max_file_size, finished)
                if data is None:
                    continue
            elif len(data) > max_file_size:
                self.results[index] = _error(job.path, too_large_reason(len(data), max_file_size))
                finished.append((index, "unread"))
                continue
            if key is None:
                digest = self.hashes.record(job.abspath, data) if self.hashes is not None and job.data is None else None
                key = cache.key(data) if digest is None else cache.key_of(digest)
                if self._settled(index, key, leaders):
                    continue
            leaders[key] = index
            self.keys[index] = key
            todo.append(_Item(index, job.path, job.module, job.abspath, data))
        self._follow_hits(finished)
        if finished:
            self._progress(finished)
        return todo

    def load_deferred(self, max_file_size: int) -> list[_Item]:
        """Decode the entries `prepare` found; returns the files whose entry turned out
        unusable, to extract after all."""
        assert self.cache is not None or not self.deferred
        finished: list[tuple[int, Origin]] = []
        todo: list[_Item] = []
        for index, key in self.deferred:
            job = self.jobs[index]
            hit = self.cache.load(key, job.path, job.module) if self.cache is not None else None
            if hit is not None:
                self.results[index] = hit
                finished.append((index, "cache"))
                continue
            data = job.data if job.data is not None else self._read(index, max_file_size, finished)
            if data is None:
                continue
            self.keys[index] = key
            todo.append(_Item(index, job.path, job.module, job.abspath, data))
        self.deferred = []
        self._follow_hits(finished)
        if finished:
            self._progress(finished)
        return todo

    def _read(self, index: int, max_file_size: int, finished: list[tuple[int, Origin]]) -> bytes | None:
        """The job's bytes from its file, or None with its error recorded as its result."""
        job = self.jobs[index]
        read = read_source(job.abspath, max_file_size)
        if isinstance(read, str):
            self.results[index] = _error(job.path, read)
            finished.append((index, "unread"))
            return None
        return read

    def _follow_hits(self, finished: list[tuple[int, Origin]]) -> None:
        """Followers of a hit are hits too."""
        for leader, followers in list(self.followers.items()):
            result = self.results[leader]
            if result is not None:
                for index in followers:
                    self.results[index] = relabel(result, self.jobs[index].path, self.jobs[index].module)
                    finished.append((index, "duplicate"))
                del self.followers[leader]

    def _settled(self, index: int, key: str, leaders: dict[str, int]) -> bool:
        """Whether the job at `index` needs no extraction: its content is an earlier job's
        (it waits for that result) or the cache holds it (decoded by `load_deferred`)."""
        assert self.cache is not None
        leader = leaders.get(key)
        if leader is not None:
            self.followers.setdefault(leader, []).append(index)
            return True
        if not self.cache.has(key):
            return False
        self.deferred.append((index, key))
        leaders[key] = index
        return True

    def finish(self, index: int, outcome: _Outcome) -> None:
        """Record one file's result (and its duplicates'), store it, report progress."""
        self.results[index] = outcome.result
        finished: list[tuple[int, Origin]] = [(index, "parsed")]
        key = self.keys.get(index)
        if self.cache is not None and key is not None and outcome.payload is not None:
            self.cache.store(key, outcome.payload)
        for follower in self.followers.pop(index, ()):
            job = self.jobs[follower]
            self.results[follower] = relabel(outcome.result, job.path, job.module)
            finished.append((follower, "duplicate"))
        self._progress(finished)

    def _progress(self, finished: list[tuple[int, Origin]]) -> None:
        if self.on_progress is not None:
            self.on_progress(finished)

    def collect(self) -> list[ExtractResult]:
        missing = [i for i, r in enumerate(self.results) if r is None]
        if missing:  # a bug here must not silently drop files from the report
            raise AssertionError(f"no result for {len(missing)} file(s), e.g. {self.jobs[missing[0]].path}")
        return self.results  # type: ignore[return-value]


def _outcome_from_worker(item: _Item, payload: bytes, cacheable: bool) -> _Outcome:
    try:
        result = decode_result(payload)
    except ValueError as exc:
        return _Outcome(_error(item.path, f"internal error: {exc}"), None)
    return _Outcome(result, payload if cacheable else None)


# -- in-process ---------------------------------------------------------------------------------


def _run_inline(run: _Run, todo: list[_Item], extractor: Extractor | None, max_file_size: int) -> None:
    """workers <= 1: no processes, same guards, except that a crash or hang is not survivable.

    The files are extracted in one big-stack thread (deep code parses instead of segfaulting)
    while the main thread records results, so progress callbacks and cache writes happen on
    the caller's thread, and Ctrl-C interrupts the wait.
    """
    function = extractor if extractor is not None else _default_extractor()
    replies: queue.SimpleQueue[tuple[_Item, ExtractResult | str] | None] = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        try:
            for item in todo:
                if stop.is_set():
                    return
                replies.put((item, _guarded_extract(function, item, max_file_size)))
        finally:
            replies.put(None)

    previous_limit = sys.getrecursionlimit()
    _start_deep_thread(work)
    try:
        while (reply := replies.get()) is not None:
            item, outcome = reply
            if isinstance(outcome, str):
                run.finish(item.slot, _Outcome(_error(item.path, outcome), None))
                continue
            payload = None
            if run.cache is not None and _deterministic(outcome):
                try:
                    payload = encode_result(outcome)
                except Exception:
                    payload = None
            run.finish(item.slot, _Outcome(outcome, payload))
    finally:
        stop.set()
        sys.setrecursionlimit(previous_limit)


# -- the pool -------------------------------------------------------------------------------------


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where it exists (with the extractor preloaded), else spawn (Windows)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # Only takes effect when the fork server starts; `__main__` is the default preload.
        context.set_forkserver_preload(["__main__", "deadweight.engine.workers", "deadweight.extract.file"])
        return context
    return multiprocessing.get_context("spawn")


def _start_deaf_to_sigint(process: Any) -> None:
    """Start a process with SIGINT blocked, so that it is born deaf to Ctrl-C.

    Ctrl-C reaches the whole process group. A process started without this would take it
    during its own start-up (the fork server imports libcst before it ignores SIGINT, a worker
    runs a moment before `_worker_main` does) and print a KeyboardInterrupt traceback under
    the parent's clean "interrupted". A blocked mask is inherited through fork and exec; the
    parent's own Ctrl-C stays pending and is raised as soon as the block ends. The resource
    tracker is started first because starting it unblocks SIGINT (it blocks it around its own
    start, then unblocks rather than restores), which would undo the block mid-start.
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no process groups to worry about
        process.start()
        return
    multiprocessing.resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"parser crashed (worker process died with signal {name})"
    if exitcode is None:
        return "parser crashed (worker process died)"
    return f"parser crashed (worker process exited with code {exitcode})"


class _Worker:
    """One worker process, its pipe, and the batch it is working on."""

    def __init__(self, context: Any, extractor: Extractor | None, max_file_size: int) -> None:
        parent_end, child_end = context.Pipe(duplex=True)
        self.process = context.Process(
            target=_worker_main,
            args=(child_end, extractor, max_file_size),
            name="deadweight-worker",
            daemon=True,  # multiprocessing kills daemonic children at exit, should we leak one
        )
        try:
            _start_deaf_to_sigint(self.process)
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()  # else the parent would never see EOF when the child dies
        self.conn: Connection = parent_end
        self.batch: list[_Item] | None = None
        self.acked = False
        self.finished = 0  # files of the batch answered so far
        self.clock = 0.0  # when the current file started (before the ack: when sent)
        self.dead = False

    @property
    def current(self) -> _Item | None:
        if self.batch is None or self.finished >= len(self.batch):
            return None
        return self.batch[self.finished]

    def send(self, batch: list[_Item]) -> None:
        self.batch = batch
        self.acked = False
        self.finished = 0
        self.clock = time.monotonic()
        # If it died, its sentinel will say so and the batch is requeued then.
        with contextlib.suppress(OSError):
            self.conn.send([tuple(item) for item in batch])

    def stop(self) -> None:
        """Ask an idle worker to exit (reaped in `_Pool.shutdown`)."""
        with contextlib.suppress(OSError):
            self.conn.send(None)

    def reap(self, *, force: bool) -> None:
        if force and self.process.is_alive():
            self.process.kill()
        self.process.join(_SHUTDOWN_GRACE)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
        self.process.close()


class _Pool:
    """The parent side: dispatch, watch, attribute crashes and timeouts, replace workers."""

    def __init__(
        self,
        run: _Run,
        todo: list[_Item],
        *,
        workers: int,
        extractor: Extractor | None,
        timeout: float,
        max_file_size: int,
    ) -> None:
        self.run = run
        self.context = _context()
        self.extractor = extractor
        self.timeout = timeout
        self.max_file_size = max_file_size
        self.queue: collections.deque[list[_Item]] = collections.deque(_batches(todo, workers))
        self.solo: collections.deque[list[_Item]] = collections.deque()  # crash suspects
        self.crashes: dict[int, int] = {}
        self.size = max(1, min(workers, len(self.queue)))
        self.live: list[_Worker] = []
        self.retired: list[_Worker] = []
        self.remaining = len(todo)
        self.startup_failures = 0

    def run_all(self) -> None:
        failed = True
        try:
            while self.remaining:
                self._dispatch()
                self._wait_and_handle()
            failed = False
        finally:
            self.shutdown(force=failed)

    def _next_batch(self) -> list[_Item] | None:
        if self.solo:
            return self.solo.popleft()
        if self.queue:
            return self.queue.popleft()
        return None

    def _dispatch(self) -> None:
        for worker in list(self.live):
            if worker.batch is None:
                batch = self._next_batch()
                if batch is None:
                    # Nothing left to hand out: let it go now, so the tail does not hold a CPU.
                    worker.stop()
                    self.live.remove(worker)
                    self.retired.append(worker)
                else:
                    worker.send(batch)
        while len(self.live) < self.size and (self.solo or self.queue):
            worker = _Worker(self.context, self.extractor, self.max_file_size)
            self.live.append(worker)
            batch = self._next_batch()
            assert batch is not None
            worker.send(batch)

    def _limit(self, worker: _Worker) -> float:
        return self.timeout if worker.acked else max(self.timeout, _STARTUP_GRACE)

    def _wait_and_handle(self) -> None:
        busy = [w for w in self.live if w.batch is not None]
        now = time.monotonic()
        wait_for = min((w.clock + self._limit(w) - now for w in busy), default=1.0)
        handles: dict[Any, _Worker] = {}
        for worker in self.live:
            handles[worker.conn] = worker
            handles[worker.process.sentinel] = worker
        ready = multiprocessing.connection.wait(list(handles), timeout=max(0.0, min(wait_for, 5.0)))
        for handle in ready:
            worker = handles[handle]
            if worker.dead:
                continue
            if handle is worker.conn:
                self._drain(worker)
            else:
                self._on_death(worker)
        now = time.monotonic()
        for worker in list(self.live):
            if worker.dead or worker.batch is None or worker.conn.poll():
                continue  # a reply that is already waiting is read before any verdict
            if now - worker.clock > self._limit(worker):
                self._on_timeout(worker)

    def _drain(self, worker: _Worker) -> None:
        """Read every reply that is waiting; EOF means the worker is gone."""
        try:
            while worker.conn.poll():
                self._handle(worker, worker.conn.recv())
        except (EOFError, OSError):
            self._on_death(worker)

    def _handle(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == _ACK:
            worker.acked = True
            worker.clock = time.monotonic()
            self.startup_failures = 0
            return
        if kind == _FATAL:
            raise RuntimeError(f"deadweight worker could not start: {message[1]}")
        item = worker.current
        if item is None or item.slot != message[1]:
            raise RuntimeError(f"deadweight worker protocol error: unexpected reply {message[:2]!r}")
        if kind == _DONE:
            outcome = _outcome_from_worker(item, message[2], message[3])
        else:
            outcome = _Outcome(_error(item.path, message[2]), None)
        worker.finished += 1
        worker.clock = time.monotonic()
        if worker.finished == len(worker.batch or ()):
            worker.batch = None
        self._finish(item, outcome)

    def _finish(self, item: _Item, outcome: _Outcome) -> None:
        self.remaining -= 1
        self.run.finish(item.slot, outcome)

    def _bury(self, worker: _Worker, *, kill: bool) -> int | None:
        """Remove a dead (or to-be-killed) worker, keeping any replies it managed to send."""
        worker.dead = True
        if kill:
            worker.process.kill()
        worker.process.join(_SHUTDOWN_GRACE)
        if worker.process.is_alive():  # closed its pipe but lingers: make sure
            worker.process.kill()
            worker.process.join()
        try:
            while worker.conn.poll():
                self._handle(worker, worker.conn.recv())
        except (EOFError, OSError):
            pass
        exitcode: int | None = worker.process.exitcode
        self.live.remove(worker)
        worker.conn.close()
        worker.process.close()
        return exitcode

    def _requeue_unstarted(self, worker: _Worker, start: int) -> None:
        rest = (worker.batch or [])[start:]
        if rest:
            self.queue.appendleft(rest)

    def _on_death(self, worker: _Worker) -> None:
        exitcode = self._bury(worker, kill=False)
        item = worker.current
        if item is None:
            return  # died idle, or right after its last reply: nothing lost
        if not worker.acked:
            self.startup_failures += 1
            if self.startup_failures >= _MAX_STARTUP_FAILURES:
                raise RuntimeError(
                    "deadweight worker processes die before starting work "
                    f"{_death_reason(exitcode).removeprefix('parser crashed ')}; "
                    "run with one worker (-j 1) to see the error"
                )
            self._requeue_unstarted(worker, worker.finished)
            return
        self._requeue_unstarted(worker, worker.finished + 1)
        crashes = self.crashes.get(item.slot, 0) + 1
        self.crashes[item.slot] = crashes
        if crashes >= 2:
            self._finish(item, _Outcome(_error(item.path, _death_reason(exitcode)), None))
        else:
            self.solo.append([item])  # once more, alone, in a fresh process

    def _on_timeout(self, worker: _Worker) -> None:
        acked, finished = worker.acked, worker.finished
        self._bury(worker, kill=True)  # also reads any reply that raced with the kill
        item = worker.current
        if item is None:
            return  # it answered everything while being killed
        if not acked:
            self.startup_failures += 1
            if self.startup_failures >= _MAX_STARTUP_FAILURES:
                raise RuntimeError("deadweight worker processes do not start; run with one worker (-j 1)")
            self._requeue_unstarted(worker, worker.finished)
            return
        if worker.finished != finished:
            # The slow file finished during the kill; the one after it had barely begun.
            self._requeue_unstarted(worker, worker.finished)
            return
        self._requeue_unstarted(worker, worker.finished + 1)
        self._finish(item, _Outcome(_error(item.path, f"timed out after {self.timeout:g} s"), None))

    def shutdown(self, *, force: bool) -> None:
        """Stop and reap every worker: politely after success, at once after an error/Ctrl-C."""
        for worker in self.live:
            if not force:
                worker.stop()
        for worker in self.live + self.retired:
            with contextlib.suppress(OSError, ValueError):
                worker.reap(force=force)
        self.live.clear()
        self.retired.clear()


def _batches(todo: list[_Item], workers: int) -> list[list[_Item]]:
    """Group files into batches of similar total size, largest files first.

    Largest-first lets small files fill the tail, so workers finish together; the byte target
    (total / (8 x workers)) keeps big files nearly alone and packs up to 64 small ones.
    """

    def size(item: _Item) -> int:
        if item.data is not None:
            return len(item.data)
        try:
            return os.stat(item.abspath).st_size
        except OSError:
            return 0

    sized = sorted(((size(item), item) for item in todo), key=lambda pair: -pair[0])
    total = sum(s for s, _ in sized)
    target = max(1, total // (_BATCHES_PER_WORKER * max(1, workers)))
    batches: list[list[_Item]] = []
    current: list[_Item] = []
    current_bytes = 0
    for item_size, item in sized:
        current.append(item)
        current_bytes += item_size
        if current_bytes >= target or len(current) >= _MAX_BATCH_FILES:
            batches.append(current)
            current, current_bytes = [], 0
    if current:
        batches.append(current)
    return batches


# -- the entry point -------------------------------------------------------------------------------

# An edit leaves a file or two to parse while the rest comes from the cache: starting the pool
# (a fork server that imports the extractor) took 0.5-1 s of a one-file edit run on
# transformers, parsing the file a tenth of that. Such sets go to one child interpreter
# (`engine.edit_parser`, which enforces the time limit); what it leaves unanswered is parsed
# in this process if small (files this small do not hang the parser), else by the pool, which
# survives a crash.
_INLINE_FILES = 2
_INLINE_BYTES = 256 * 1024


def _small_edit(todo: Sequence[_Item]) -> bool:
    return len(todo) <= _INLINE_FILES and all(len(item.data or b"") <= _INLINE_BYTES for item in todo)


def _answered(run: _Run, todo: list[_Item], replies: list[edit_parser.Reply]) -> list[_Item]:
    """Record the edit parser's answers; returns the files it left unanswered."""
    by_slot = {item.slot: item for item in todo}
    for reply in replies:
        item = by_slot.pop(reply[0], None) if reply and isinstance(reply[0], int) else None
        if item is None:
            continue
        if reply[1] == "done" and len(reply) == 4 and isinstance(reply[2], bytes):
            run.finish(item.slot, _outcome_from_worker(item, reply[2], bool(reply[3])))
        elif reply[1] == "failed" and len(reply) == 3:
            run.finish(item.slot, _Outcome(_error(item.path, str(reply[2])), None))
        else:
            by_slot[item.slot] = item
    return list(by_slot.values())


def run_jobs(
    jobs: Sequence[Job],
    *,
    workers: int,
    extractor: Extractor | None = None,
    timeout: float = 60.0,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    on_progress: ProgressCallback | None = None,
    cache: Cache | None = None,
    hashes: ContentHashes | None = None,
) -> list[ExtractResult]:
    """Extract every job; one result per job, in the order of `jobs`, whatever happens.

    `extractor` defaults to `deadweight.extract.file.extract`; one passed in must be a module-level
    function (workers import it by name). `workers <= 1` runs in this process: exceptions are
    still contained, but a crash is not survivable and `timeout` is not enforced.
    `on_progress(batch)` gets the (job index, origin) of each file as it finishes (cache hits
    come first, in one batch).
    With a `cache`, hits skip extraction and deterministic results are stored; with `hashes`
    too, a file whose `stat` is unchanged since it was hashed is looked up without reading it.
    """
    run = _Run(jobs, cache, on_progress, hashes)
    # Every result stays alive until the caller is done with it: without the pause, the cyclic
    # GC would rescan that growing heap over and over (it tripled the cost of a warm run).
    with gc_paused():
        todo = run.prepare(max_file_size)
        child = None
        if todo and len(todo) <= _INLINE_FILES and extractor is None and workers > 1:
            child = edit_parser.start(todo, max_file_size)  # parses while the cache is decoded
        late = run.load_deferred(max_file_size)
        if child is not None:
            todo = _answered(run, todo, child.replies(timeout * len(todo)))
        todo += late
        if todo:
            if _small_edit(todo):
                workers = 1  # starting the pool would cost more than parsing them (see _small_edit)
            if workers <= 1:
                _run_inline(run, todo, extractor, max_file_size)
            else:
                pool = _Pool(
                    run,
                    todo,
                    workers=min(workers, len(todo)),  # one edited file needs one worker, not all
                    extractor=extractor,
                    timeout=timeout,
                    max_file_size=max_file_size,
                )
                pool.run_all()
    return run.collect()

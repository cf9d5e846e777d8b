"""Benchmark deadweight on one corpus, as ratios measured within one run.

Usage::

    python bench/run.py CORPUS_DIR [--skip-vulture] [--out FILE.md] [--json FILE.json]

Every measurement runs in its own fresh *runner* process (this file, re-invoked with
``--_measure``) that starts the measured command as its child and waits for it. The runner
makes itself a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``), so processes the command
leaves behind (multiprocessing's fork server, resource tracker) are re-parented to the runner
and reaped by it. That makes the runner's ``getrusage(RUSAGE_CHILDREN)`` delta the whole CPU
time (user + sys) of the command and all its descendants, workers included, and nothing else.

Memory, per process:

* main: ``ru_maxrss`` of ``os.wait4`` on the command's own process (its peak; workers are
  reaped by the fork server, not by it, so they do not leak into this number);
* max worker: the largest ``VmHWM`` seen while sampling ``/proc/<pid>/status`` of every other
  descendant every 50 ms (``VmHWM`` is a high-water mark, so sampling only misses growth in
  the last 50 ms of a worker's life);
* the whole tree's largest process (``RUSAGE_CHILDREN`` ``ru_maxrss``) is kept in the JSON.

Measurements, in this order (wall = until the command's main process exits):

* ``P``: bare ``libcst.parse_module`` of every file deadweight discovers, one process: the
  reference every ratio is relative to;
* ``ast``: bare ``ast.parse`` of the same files, for context;
* ``cold-1``: ``deadweight check CORPUS --no-cache --jobs 1 -q --output-format json --exit-zero``;
* ``cold-N``: the same with ``--jobs N`` (N = ``--jobs``, default the number of cores) and an
  empty cache, no ``--no-cache``;
* ``warm``: the same again, cache full, nothing changed;
* ``edit-leaf``, ``edit-large``, ``edit-base``: after inserting a comment line at the top of
  one file, which moves every line of it (restored byte-for-byte, mtime included, in a
  ``finally``), run with ``-v`` to record how many files' classes were judged again
  (incremental judging): the median-size modeling file
  (a typical leaf model), the largest modeling file, and the file of the project class with
  the most subclasses (a base class many models inherit from, found by linking the project
  from the cache the warm run left);
* ``edit-base-body``: the same base class with a class attribute inserted before its first
  statement, which changes what the class is (not only where it is): every file whose
  classes read it is judged again;
* ``--growth``: ``cold-N`` and ``warm`` on 1, 2 and 4 copies of the corpus under one root
  (real copies in the work directory: deadweight drops symlinked duplicates), so time and
  memory can be checked for linear growth;
* ``vulture``: ``vulture CORPUS`` for reference (``--skip-vulture`` to leave it out).

The cache goes to a fresh temporary directory named by a temporary ``--config`` file
(``cache-dir = ...``; nothing else is set, the corpora have no ``[tool.deadweight]`` table),
so the benchmark neither reads nor deletes a ``.deadweight_cache`` someone else left in the
corpus, and writes nothing there. Every deadweight run writes its JSON report to a temporary
file; the four reports are compared with the ``seconds`` timing field removed.

Measured commands run with ``PYTHONDONTWRITEBYTECODE`` removed from their environment, as on
a user's machine: byte-compiling deadweight's own modules on every start is not its cost.

Python 3.10+, stdlib only, Linux (``/proc``, ``prctl``).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36
_SAMPLE_INTERVAL = 0.05

# The reference parsers: read every listed file as bytes, parse, count failures.
_PARSE_SCRIPT = r"""
import sys
kind, listing = sys.argv[1], sys.argv[2]
if kind == "libcst":
    import libcst
    parse = libcst.parse_module
else:
    import ast
    parse = ast.parse
sys.setrecursionlimit(10000)
failed = 0
paths = open(listing, encoding="utf-8").read().splitlines()
for path in paths:
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        parse(data)
    except Exception:
        failed += 1
print(f"{len(paths)} files, {failed} failed", file=sys.stderr)
"""


# --------------------------------------------------------------------------- runner side


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", "rb") as fh:
                out.extend(int(x) for x in fh.read().split())
    except (OSError, ValueError):
        pass
    return out


def _descendants(root: int) -> set[int]:
    seen: set[int] = set()
    stack = [root]
    while stack:
        for child in _children(stack.pop()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _measure(cmd: list[str], stderr_path: str) -> dict[str, object]:
    """Run `cmd` as a child; return its wall, tree CPU and per-process peak memory."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        subreaper = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        subreaper = False
    me = os.getpid()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(stderr_path, "wb") as err:
        start = time.perf_counter()
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env)
        main_pid = proc.pid
        workers: dict[int, int] = {}
        main_sampled = 0
        while True:
            pid, status, usage = os.wait4(main_pid, os.WNOHANG)
            if pid == main_pid:
                wall = time.perf_counter() - start
                break
            main_sampled = max(main_sampled, _vm_hwm_kb(main_pid))
            for child in _descendants(me) - {main_pid}:
                workers[child] = max(workers.get(child, 0), _vm_hwm_kb(child))
            time.sleep(_SAMPLE_INTERVAL)
        proc.returncode = os.waitstatus_to_exitcode(status)
    # Reap what the command left behind (fork server, resource tracker): their CPU counts.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.02)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": wall,
        "user": after.ru_utime - before.ru_utime,
        "sys": after.ru_stime - before.ru_stime,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "rss_main_mb": max(usage.ru_maxrss, main_sampled) / 1024,
        "rss_worker_mb": max(workers.values(), default=0) / 1024,
        "rss_tree_mb": after.ru_maxrss / 1024,
        "processes": 1 + len(workers),
        "returncode": proc.returncode,
        "subreaper": subreaper,
    }


# --------------------------------------------------------------------------- parent side


def _run(name: str, cmd: list[str], workdir: Path) -> dict[str, object]:
    stderr_path = workdir / f"{name}.stderr"
    runner = [sys.executable, os.path.abspath(__file__), "--_measure", str(stderr_path), "--", *cmd]
    print(f"  {name:8s} ... ", end="", file=sys.stderr, flush=True)
    out = subprocess.run(runner, check=True, capture_output=True, text=True).stdout
    m = json.loads(out)
    m["name"] = name
    m["command"] = shlex.join(cmd)
    m["stderr"] = stderr_path.read_text(errors="replace").strip()[-2000:]
    print(f"wall {m['wall']:.2f} s, cpu {m['cpu']:.2f} s, rc {m['returncode']}", file=sys.stderr, flush=True)
    return m


def _discover(corpus: Path) -> list[Path]:
    """The files deadweight analyzes, so that P parses exactly the same set."""
    from deadweight.config import load_settings
    from deadweight.discover import discover

    found = discover([corpus], load_settings([str(corpus)]))
    return [Path(f.abspath) for f in found.files]


def _touch_target(files: list[Path], corpus: Path) -> Path:
    """The median-size file among the modeling files (transformers' modeling_*.py, or any file
    under a models/ or model directory), as a typical single edit."""

    def rel(p: Path) -> str:
        return p.relative_to(corpus).as_posix()

    pools = (
        [p for p in files if p.name.startswith("modeling_")],
        [p for p in files if "/models/" in "/" + rel(p) and p.name != "__init__.py"],
        [p for p in files if "model" in rel(p) and p.name != "__init__.py"],
        files,
    )
    pool = next(p for p in pools if p)
    pool = sorted(pool, key=lambda p: (p.stat().st_size, str(p)))
    return pool[len(pool) // 2]


def _largest_target(files: list[Path]) -> Path:
    """The largest modeling file (or the largest file): an edit that re-extracts the most."""
    pool = [p for p in files if p.name.startswith("modeling_")] or files
    return max(pool, key=lambda p: (p.stat().st_size, str(p)))


def _base_target(corpus: Path, config: Path) -> tuple[Path, str] | None:
    """The file of the repo module class with the most subclasses (PreTrainedModel's file in
    transformers), from a link of the project through the cache the warm run filled."""
    from deadweight.api import link
    from deadweight.config import load_settings

    ctx, _ = link([corpus], load_settings([str(corpus)], config_file=str(config)))
    project = ctx.project
    best = max(
        (c for c in project.module_classes() if not c.external),
        key=lambda c: (len(project.descendants(c)), c.key),
        default=None,
    )
    return None if best is None else (corpus / best.path, best.name)


def _body_line(path: Path, qualname: str) -> tuple[int, str]:
    """Where a line goes that changes what the class does (its first body statement's line,
    1-based) and that statement's indentation."""
    import ast

    tree = ast.parse(path.read_bytes())
    body: list[ast.stmt] = tree.body
    for part in qualname.split("."):
        node = next(n for n in body if isinstance(n, ast.ClassDef) and n.name == part)
        body = node.body
    first = body[0]
    return first.lineno, " " * first.col_offset


def _edited(
    path: Path, name: str, run: Callable[[], dict[str, object]], at: tuple[int, str] | None = None
) -> dict[str, object]:
    """`run()` with one line naming the edit inserted in `path`, restored byte-for-byte (mtime
    too) afterwards, even when interrupted. By default a comment as the first line: it moves
    every line of the file, so every class in it has other positions, and the files whose
    findings point into it are judged again. `at` (line, indentation) inserts a class
    attribute there instead, which changes what the class is: every reader of its facts is
    judged again, the most a one-line edit of that file costs. The line differs per edit: two
    edits of the same file (the largest file may also be the base class's) must not be one
    content, or the second run is answered by the run cache."""
    original = path.read_bytes()
    stat = path.stat()
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}

    def _interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for s in previous:
        signal.signal(s, _interrupted)
    try:
        if at is None:
            path.write_bytes(f"# deadweight bench: {name}\n".encode() + original)
        else:
            lines = original.splitlines(keepends=True)
            line = f"{at[1]}_deadweight_bench_{name.replace('-', '_')} = None\n".encode()
            path.write_bytes(b"".join([*lines[: at[0] - 1], line, *lines[at[0] - 1 :]]))
        return run()
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        for s, handler in previous.items():
            signal.signal(s, handler)
        assert path.read_bytes() == original, f"{path} was not restored"


def _growth(corpus: Path, workdir: Path, deadweight: str, jobs: str) -> list[dict[str, object]]:
    """cold-N and warm on 1, 2 and 4 copies of the corpus under one root, each copy's files
    made distinct by a last comment line (the facts cache shares identical content)."""
    rows: list[dict[str, object]] = []
    for copies in (1, 2, 4):
        root = workdir / f"growth-{copies}"
        for i in range(copies):
            shutil.copytree(
                corpus, root / f"copy{i}", symlinks=True, ignore=shutil.ignore_patterns(".deadweight_cache")
            )
            # a distinct last line per copy: identical files would be extracted once (by content)
            for path in (root / f"copy{i}").rglob("*.py"):
                if path.is_file() and not path.is_symlink():
                    with open(path, "ab") as fh:
                        fh.write(f"\n# deadweight bench: copy {i}\n".encode())
        config = workdir / f"growth-{copies}.toml"
        config.write_text(f"cache-dir = {json.dumps(str(workdir / f'growth-cache-{copies}'))}\n", encoding="utf-8")
        for kind in ("cold", "warm"):
            cmd = [deadweight, "check", str(root), "-q", "--output-format", "json", "--exit-zero"]
            cmd += ["--config", str(config), "-o", str(workdir / f"growth-{copies}-{kind}.json"), "--jobs", jobs]
            rows.append(_run(f"{kind}-{copies}x", cmd, workdir))
        shutil.rmtree(root, ignore_errors=True)
    return rows


def _strip_timing(doc: object) -> object:
    if isinstance(doc, dict):
        return {k: _strip_timing(v) for k, v in doc.items() if k != "seconds"}
    if isinstance(doc, list):
        return [_strip_timing(v) for v in doc]
    return doc


def _shifted(doc: object, path: str, after: int = 0) -> object:
    """A report with every location in `path` below line `after` one line lower: what a whole
    run reports after the bench's edit (one line inserted there)."""
    if isinstance(doc, dict):
        out = {k: _shifted(v, path, after) for k, v in doc.items()}
        if doc.get("path") == path:
            for key in ("line", "end_line"):
                if isinstance(out.get(key), int) and out[key] > after:
                    out[key] += 1
        return out
    if isinstance(doc, list):
        return [_shifted(v, path, after) for v in doc]
    return doc


def _libcst_version() -> str:
    try:
        from importlib.metadata import version

        return version("libcst")
    except Exception:
        return "?"


def _markdown(
    info: dict[str, object], rows: list[dict[str, object]], targets: list[tuple[str, str, bool | None]]
) -> str:
    p = next(r for r in rows if r["name"] == "P")
    lines = [
        f"### {info['corpus_name']}",
        "",
        f"Command: `{info['command']}`  ",
        f"Machine: {info['nproc']} cores (`nproc`), {info['cpu_model']}, Python {info['python']}, libcst {info['libcst']}, {info['platform']}  ",
        f"cold-N / warm / edits use `--jobs {info['jobs']}`; machine load: {info['load']}  ",
        f"Corpus: {info['files']} files, {info['lines']:,} lines; edited files: {info['edited']}  ",
        f"Findings JSON identical across cold-1 / cold-N / warm / edits (timing removed): **{info['identical']}**"
        + (f" ({info['findings']} findings, {info['errors']} errors)" if info.get("findings") is not None else ""),
        "",
        "| run | wall s | CPU s | peak RSS MB main / max worker | wall / P | CPU / P | s per 1k lines (wall) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        worker = f"{r['rss_worker_mb']:.0f} ({r['processes'] - 1} procs)" if r["rss_worker_mb"] else "-"
        lines.append(
            f"| {r['name']} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss_main_mb']:.0f} / {worker} | "
            f"{r['wall'] / p['wall']:.2f} | {r['cpu'] / p['cpu']:.2f} | {1000 * r['wall'] / max(1, info['lines']):.3f} |"
        )
    lines += ["", "| target | result | met |", "|---|---|---|"]
    for name, value, met in targets:
        lines.append(f"| {name} | {value} | {'met' if met else ('n/a' if met is None else '**not met**')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_measure"]:
        stderr_path, cmd = argv[1], argv[3:]
        print(json.dumps(_measure(cmd, stderr_path)))
        return 0

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--skip-vulture", action="store_true")
    ap.add_argument("--out", type=Path, help="write the Markdown table here")
    ap.add_argument("--json", type=Path, help="write the raw measurements here")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (reports, stderr)")
    ap.add_argument("--growth", action="store_true", help="also run 1x, 2x and 4x copies of the corpus")
    ap.add_argument(
        "--jobs",
        default=str(os.cpu_count() or 1),
        help="--jobs of the cold-N, warm and edit runs (default: nproc; note that "
        "deadweight 0.1.0 runs `--jobs 0` in-process, see docs/benchmarks.md)",
    )
    args = ap.parse_args(argv)
    corpus = args.corpus.resolve()
    command_line = shlex.join(["python", "bench/run.py", *argv])

    bindir = Path(sys.executable).parent
    deadweight = shutil.which("deadweight", path=str(bindir)) or shutil.which("deadweight")
    vulture = shutil.which("vulture", path=str(bindir)) or shutil.which("vulture")
    if deadweight is None:
        print("deadweight is not installed in this environment", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="deadweight-bench-"))
    config = workdir / "bench.toml"
    cache_dir = workdir / "cache"
    config.write_text(f"cache-dir = {json.dumps(str(cache_dir))}\n", encoding="utf-8")

    load_start = os.getloadavg()
    files = _discover(corpus)
    listing = workdir / "files.txt"
    listing.write_text("".join(f"{p}\n" for p in files), encoding="utf-8")
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    touched = _touch_target(files, corpus)
    print(f"{corpus}: {len(files)} files, {lines:,} lines; work dir {workdir}", file=sys.stderr)

    def dw(name: str, *extra: str) -> list[str]:
        return [
            deadweight,
            "check",
            str(corpus),
            "-q",
            "--output-format",
            "json",
            "--exit-zero",
            "--config",
            str(config),
            "-o",
            str(workdir / f"{name}.json"),
            *extra,
        ]

    rows: list[dict[str, object]] = []
    rows.append(_run("P", [sys.executable, "-c", _PARSE_SCRIPT, "libcst", str(listing)], workdir))
    rows.append(_run("ast", [sys.executable, "-c", _PARSE_SCRIPT, "ast", str(listing)], workdir))
    rows.append(_run("cold-1", dw("cold-1", "--no-cache", "--jobs", "1"), workdir))
    rows.append(_run("cold-N", dw("cold-N", "--jobs", args.jobs), workdir))
    rows.append(_run("warm", dw("warm", "--jobs", args.jobs), workdir))

    base = _base_target(corpus, config)
    edits = {"edit-leaf": touched, "edit-large": _largest_target(files)}
    inserted: dict[str, tuple[int, str]] = {}  # edits that insert a class attribute, not a comment on top
    if base is not None:
        edits["edit-base"] = edits["edit-base-body"] = base[0]
        inserted["edit-base-body"] = _body_line(*base)
    for name, path in edits.items():
        # `-v` (not `-q`) for the line that says how many files' classes were judged again
        cmd = [c for c in dw(name, "--jobs", args.jobs, "-v") if c != "-q"]
        row = _edited(path, name, lambda name=name, cmd=cmd: _run(name, cmd, workdir), inserted.get(name))
        # Back to the unedited state before the next edit (not measured): otherwise an edit of
        # the same file (the largest file is often the base class's) would be compared with
        # the previous edit's state, which already moved the same lines.
        subprocess.run(dw(f"{name}-restored", "--jobs", args.jobs), check=False, capture_output=True)
        judged = re.search(r"judged the classes of (\d+) files? again; (\d+) files?", str(row["stderr"]))
        row["judged"] = f"{judged.group(1)} of {int(judged.group(1)) + int(judged.group(2))}" if judged else "all"
        rows.append(row)
    if args.growth:
        rows.extend(_growth(corpus, workdir, deadweight, args.jobs))

    if not args.skip_vulture and vulture is not None:
        rows.append(_run("vulture", [vulture, str(corpus)], workdir))

    docs = {}
    compared = ("cold-1", "cold-N", "warm", *edits)
    for name in compared:
        try:
            docs[name] = _strip_timing(json.loads((workdir / f"{name}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            docs[name] = f"unreadable: {exc}"
    reference = docs["cold-1"]
    # an edit run is compared with cold-1 as a whole run would report the edited file
    expected = {
        n: _shifted(reference, edits[n].relative_to(corpus).as_posix(), inserted[n][0] - 1 if n in inserted else 0)
        if n in edits
        else reference
        for n in docs
    }
    identical = all(d == expected[n] for n, d in docs.items())
    differing = [n for n, d in docs.items() if d != expected[n]]
    for name in differing:
        print(f"{name} differs from cold-1: {_difference(expected[name], docs[name])}", file=sys.stderr)

    info: dict[str, object] = {
        "corpus_name": corpus.name,
        "command": command_line,
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "libcst": _libcst_version(),
        "platform": platform.platform(terse=True),
        "files": len(files),
        "lines": lines,
        "edited": ", ".join(f"{n} `{p.relative_to(corpus).as_posix()}`" for n, p in edits.items()),
        "identical": "yes" if identical else f"NO (differ from cold-1: {', '.join(differing)})",
        "load": f"{load_start[0]:.1f} at start, {os.getloadavg()[0]:.1f} at end (1-min load average)",
        "jobs": args.jobs,
        "findings": reference.get("summary", {}).get("findings") if isinstance(reference, dict) else None,
        "errors": reference.get("summary", {}).get("errors") if isinstance(reference, dict) else None,
    }
    by = {r["name"]: r for r in rows}
    p = by["P"]
    dw_rows = [by[n] for n in compared]
    main_peak = max(r["rss_main_mb"] for r in dw_rows)
    worker_peak = max(r["rss_worker_mb"] for r in dw_rows)
    targets: list[tuple[str, str, bool | None]] = [
        (
            "one edited leaf model file <= 1.0 s",
            f"{by['edit-leaf']['wall']:.2f} s ({by['edit-leaf']['judged']} files judged again)",
            by["edit-leaf"]["wall"] <= 1.0,
        ),
        (
            "one edited large model file (no target; reported)",
            f"{by['edit-large']['wall']:.2f} s ({by['edit-large']['judged']} files judged again)",
            None,
        ),
    ]
    if "edit-base" in by:
        targets.append(
            (
                "one edited base class inherited by many <= 2.5 s",
                f"{by['edit-base']['wall']:.2f} s ({by['edit-base']['judged']} files judged again)",
                by["edit-base"]["wall"] <= 2.5,
            )
        )
        targets.append(
            (
                "the same base class changed (a class attribute added; no target; reported)",
                f"{by['edit-base-body']['wall']:.2f} s ({by['edit-base-body']['judged']} files judged again)",
                None,
            )
        )
    targets += [
        ("unchanged project <= 0.3 s", f"{by['warm']['wall']:.2f} s", by["warm"]["wall"] <= 0.3),
        (
            "cold CPU (all workers) <= 1.25 x P",
            f"{by['cold-N']['cpu'] / p['cpu']:.2f} x P (cold-1: {by['cold-1']['cpu'] / p['cpu']:.2f} x P)",
            by["cold-N"]["cpu"] <= 1.25 * p["cpu"],
        ),
        (
            "cold wall, all cores <= 0.65 x P",
            f"{by['cold-N']['wall'] / p['wall']:.2f} x P",
            by["cold-N"]["wall"] <= 0.65 * p["wall"],
        ),
        ("peak RSS main <= 400 MB", f"{main_peak:.0f} MB", main_peak <= 400),
        ("peak RSS per worker <= 150 MB", f"{worker_peak:.0f} MB", worker_peak <= 150),
        ("identical findings cold/warm/edits", info["identical"], identical),
    ]
    if args.growth:
        for kind in ("cold", "warm"):
            one, four = by[f"{kind}-1x"], by[f"{kind}-4x"]
            t, m = four["wall"] / one["wall"], four["rss_main_mb"] / one["rss_main_mb"]
            targets.append(
                (
                    f"4x corpus, {kind}: time and RSS <= 4.4x of 1x",
                    f"time {t:.2f}x, RSS {m:.2f}x",
                    t <= 4.4 and m <= 4.4,
                )
            )
    print(file=sys.stderr)
    header = f"{'run':8s} {'wall s':>8s} {'CPU s':>8s} {'RSS main':>9s} {'max wkr':>8s} {'wall/P':>7s} {'CPU/P':>7s}"
    print(header)
    for r in rows:
        print(
            f"{r['name']:8s} {r['wall']:8.2f} {r['cpu']:8.2f} {r['rss_main_mb']:9.0f} {r['rss_worker_mb']:8.0f} "
            f"{r['wall'] / p['wall']:7.2f} {r['cpu'] / p['cpu']:7.2f}"
        )
    print(
        f"\n{len(files)} files, {lines:,} lines; s per 1k lines: "
        + ", ".join(f"{n} {1000 * by[n]['wall'] / max(1, lines):.3f}" for n in ("P", "cold-1", "cold-N"))
    )
    print(f"machine load: {info['load']}")
    print(f"findings identical (cold-1, cold-N, warm, edits): {info['identical']}")
    for name, value, met in targets:
        print(f"  {'met    ' if met else ('n/a    ' if met is None else 'NOT MET')}  {name}: {value}")

    if args.out:
        args.out.write_text(_markdown(info, rows, targets), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"info": info, "runs": rows}, indent=2) + "\n", encoding="utf-8")
    if args.keep:
        print(f"work dir kept: {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _difference(a: object, b: object) -> str:
    """A short account of how two stripped reports differ (which findings and errors)."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return "one report is unreadable"
    parts = []
    for key in ("findings", "errors"):
        left = {json.dumps(x, sort_keys=True) for x in a.get(key, [])}
        right = {json.dumps(x, sort_keys=True) for x in b.get(key, [])}
        if left != right:
            parts.append(
                f"{key}: {len(left - right)} only in cold-1, {len(right - left)} only here, e.g. "
                + "; ".join(sorted(left ^ right)[:3])
            )
    return " | ".join(parts) or "summary only"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


if __name__ == "__main__":
    sys.exit(main())

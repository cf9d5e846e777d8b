"""Planted-weight recall: how many surely-dead weights does deadweight find in real model code?

Precision can be judged by reading findings; recall cannot, because nobody knows how many dead
weights a real repository holds. So we make some: in a throw-away copy of a corpus, every chosen
class gets one extra statement at the end of its ``__init__``::

    self.dwplanted17 = nn.Linear(2, 2)

Nothing reads that attribute, so every one of them is a dead weight by construction, in exactly
the surroundings (base classes, builders, factories, dynamic access) that real code has. One
``deadweight check`` over the planted copy then tells, per plant, whether it was reported at the
default confidence (medium or high), only at ``low``, or not at all, and for the misses why.

Usage::

    python bench/planted.py CORPUS_DIR [CORPUS_DIR...] [--out docs/recall.md] [--limit N] [--jobs N]
                            [--json PLANTS.json] [--keep]

Corpora run one after the other; ``--out`` is rewritten after each, so a long run that is
stopped keeps what it measured. ``--json`` writes every plant's verdict (for diffing two runs).

Two populations are reported separately, because they answer different questions:

* ``modules``: the classes deadweight itself judges to be ``nn.Module`` classes (read from the
  library: extraction, then the linked ``Project``; the CLI does not list them). A miss here is a
  recall gap of the rules: deadweight knows the class is a module and still misses the weight.
* ``creates-weights``: every class whose own ``__init__`` assigns an ``nn.*`` layer or
  ``nn.Parameter`` to ``self.X``, found with ``ast`` alone, independent of deadweight. A miss
  here can also be a recall gap of the module detection (or of discovery), which the first
  population cannot show because it is defined by deadweight's own judgement.

Design choices, and why:

* The copy is hard-linked (``cp -al``): corpora are tens of megabytes and thousands of files,
  and only the planted files change. A planted file is written as a new file and
  renamed over its link (``os.replace``), never written through it, so the corpus is untouched.
* The plant is named ``dwplanted<n>``, without a leading underscore: private names are a
  convention deadweight may weigh (``_``-methods are treated differently from public ones), and
  the harness must measure the common case, not a special one. The number keeps every name
  unique across the corpus, so a finding is matched to its plant by attribute name alone.
* ``nn.Linear(2, 2)`` holds parameters (not a parameter-free layer, which is another rule) and
  its constructor resolves without doubt. ``nn`` is used only when the file binds it to
  ``torch.nn`` at module level; otherwise ``torch.nn.Linear``, adding ``import torch`` when the
  file does not bind ``torch``, so the plant never leans on a name deadweight cannot resolve.
* Everything is planted at once and deadweight runs once, through its CLI exactly as a user
  runs it (``--isolated --no-cache``): one run of transformers takes minutes, one run per plant
  would take days. Plants do not interfere: none is read anywhere.
* Which classes are modules, which files were analyzed and which were dropped as generated
  sources (transformers' ``modular_*.py``) come from one in-process extraction of the unplanted
  copy; that is what explains a miss in the ``creates-weights`` population.
* Plants in Sequential/ModuleList/ModuleDict subclasses are counted apart: the container's own
  forward (or its holder's iteration) reaches every child, so there the plant is live.
* The package is edited while this runs, so ``main`` copies its source first and every process
  (this one, deadweight's workers, the CLI) imports the copy: one report, one version, named
  by commit and by a digest of the source. ``VIRTUAL_ENV`` is unset for the runs, because
  deadweight would read installed bases from it, and the harness's environment is deadweight's
  own, not the corpus's.

Stdlib and libcst only (plus deadweight, the thing measured). libcst edits the files, because it
keeps every byte of the file it does not touch and indents the new statement like its siblings.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

MODULES = "modules"
CREATES_WEIGHTS = "creates-weights"
POPULATIONS = (MODULES, CREATES_WEIGHTS)

FOUND_DEFAULT = "default"  # a DW1xx finding at medium or high confidence
FOUND_LOW = "low"  # DW1xx findings, all at low confidence (hidden by default)
NOT_FOUND = "none"

PLANT_PREFIX = "dwplanted"
EXAMPLES_PER_REASON = 3

# `nn.Linear(...)`, `torch.nn.Conv2d(...)`, `nn.Parameter(...)`: a layer or parameter created by
# the torch.nn namespace, as written. Purely syntactic on purpose (independent of deadweight).
_NN_CALL = re.compile(r"^(?:torch\.)?nn\.[A-Z]\w*$")


# --------------------------------------------------------------------------- the copy


def link_copy(src: Path, dst: Path) -> int:
    """`cp -al src dst`: directories are created, files hard-linked, symlinks recreated.

    Falls back to a real copy when the link fails (another file system), so the harness still
    works, only slower. Returns the number of files linked or copied.
    """
    count = 0
    for dirpath, dirnames, filenames in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        target = dst / rel
        target.mkdir(parents=True, exist_ok=True)
        for name in [*filenames, *(d for d in dirnames if (Path(dirpath) / d).is_symlink())]:
            s, d = Path(dirpath) / name, target / name
            if s.is_symlink():
                os.symlink(os.readlink(s), d)
                continue
            try:
                os.link(s, d)
            except OSError:
                shutil.copy2(s, d)
            count += 1
    return count


def replace_file(path: Path, data: bytes) -> None:
    """Write `data` as a new file and rename it over `path`: a hard link is replaced, not written
    through, so the corpus file it shares an inode with keeps its bytes."""
    tmp = path.with_name(path.name + ".dwplant-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- scanning (ast)


@dataclass(frozen=True)
class ClassSite:
    """One class statement, named the way deadweight names it (enclosing classes only).

    `index` counts earlier classes of the same qualname in the file (in source order), because
    a file may define a name twice (if/else at module level, or one per factory function).
    """

    path: str
    qualname: str
    index: int
    line: int
    has_init: bool  # an `__init__` defined directly in the class body
    creates_weights: bool  # that `__init__` assigns `nn.*(...)` to `self.X`
    self_name: str | None  # the first parameter of `__init__`


@dataclass
class FileScan:
    path: str
    classes: list[ClassSite] = field(default_factory=list)
    nn_is_torch: bool = False  # `nn` bound to torch.nn at module level, and to nothing else
    torch_bound: bool = False  # `torch` bound at module level
    error: str | None = None


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _module_bindings(tree: ast.Module) -> tuple[bool, bool]:
    """(`nn` is torch.nn and nothing else, `torch` is bound) at module level (if/try included,
    function and class bodies not): decides how the plant names `Linear`."""
    nn_torch = nn_other = torch_bound = False
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        s = stack.pop()
        if isinstance(s, ast.Import):
            for a in s.names:
                bound = a.asname or a.name.split(".")[0]  # `import torch.nn` binds `torch`
                if bound == "torch" and a.name.split(".")[0] == "torch":
                    torch_bound = True
                elif a.asname == "nn":
                    if a.name == "torch.nn":
                        nn_torch = True
                    else:
                        nn_other = True
        elif isinstance(s, ast.ImportFrom):
            for a in s.names:
                if (a.asname or a.name) == "nn":
                    if s.module == "torch" and not s.level and a.name == "nn":
                        nn_torch = True
                    else:
                        nn_other = True
        elif isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            if any(isinstance(t, ast.Name) and t.id == "nn" for t in targets):
                nn_other = True
        elif isinstance(s, (ast.If, ast.Try, ast.With)) or type(s).__name__ == "TryStar":
            for part in ("body", "orelse", "finalbody"):
                stack.extend(getattr(s, part, []))
            for h in getattr(s, "handlers", []):
                stack.extend(h.body)
    return nn_torch and not nn_other, torch_bound


def _own_statements(body: Iterable[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a function body except nested functions, classes and lambdas (their
    `self` is not the instance being built)."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)


def _creates_weights(init: ast.FunctionDef, self_name: str | None) -> bool:
    if self_name is None:
        return False
    for node in _own_statements(init.body):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if not isinstance(value, ast.Call):
            continue
        ctor = _dotted(value.func)
        if ctor is None or not _NN_CALL.match(ctor):
            continue
        for t in targets:
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == self_name:
                return True
    return False


def _first_param(fn: ast.FunctionDef) -> str | None:
    args = [*fn.args.posonlyargs, *fn.args.args]
    return args[0].arg if args else None


class _ClassFinder(ast.NodeVisitor):
    """Classes in source order (pre-order), qualified by enclosing classes only, as deadweight's
    extractor qualifies them (a class in a function keeps its bare name)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.stack: list[str] = []
        self.seen: Counter[str] = Counter()
        self.sites: list[ClassSite] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        qualname = ".".join([*self.stack, node.name])
        index = self.seen[qualname]
        self.seen[qualname] += 1
        inits = [s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"]
        init = inits[-1] if inits else None  # the last definition wins, as at runtime
        self_name = _first_param(init) if init else None
        self.sites.append(
            ClassSite(
                self.path,
                qualname,
                index,
                node.lineno,
                init is not None,
                init is not None and _creates_weights(init, self_name),
                self_name,
            )
        )
        self.stack.append(node.name)
        for d in node.decorator_list:  # source order: decorators come before the body
            self.visit(d)
        for b in [*node.bases, *node.keywords]:
            self.visit(b)
        for s in node.body:
            self.visit(s)
        self.stack.pop()


def scan_source(path: str, source: bytes) -> FileScan:
    """The classes of one file and how it binds `nn` and `torch` (ast: fast, no deadweight)."""
    scan = FileScan(path)
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        scan.error = f"ast cannot parse: {type(exc).__name__}"
        return scan
    finder = _ClassFinder(path)
    finder.visit(tree)
    scan.classes = finder.sites
    scan.nn_is_torch, scan.torch_bound = _module_bindings(tree)
    return scan


def python_files(root: Path) -> list[Path]:
    """Every regular `.py` file under root (symlinks left out: they are not planted through)."""
    out = []
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            p = Path(dirpath) / name
            if name.endswith(".py") and not p.is_symlink():
                out.append(p)
    return sorted(out)


def scan_tree(root: Path) -> dict[str, FileScan]:
    return {(rel := p.relative_to(root).as_posix()): scan_source(rel, p.read_bytes()) for p in python_files(root)}


# --------------------------------------------------------------------------- deadweight's view


@dataclass
class DeadweightView:
    """What deadweight itself sees of the unplanted copy (from one in-process extraction)."""

    analyzed: set[str]  # files with facts
    generated_sources: set[str]  # analyzed, then dropped because their generated copy is judged
    errors: dict[str, str]  # file -> reason it could not be analyzed
    classes: dict[tuple[str, str, int], bool]  # (path, qualname, index) -> is a module
    plantable_modules: set[tuple[str, str, int]]  # module classes that define their own `__init__`
    unjudged: set[tuple[str, str, int]]  # module classes no concrete class (one with an entry point) inherits from
    containers: set[tuple[str, str, int]]  # Sequential/ModuleList/ModuleDict subclasses
    module_without_init: int = 0  # module classes that define no `__init__` (nothing to plant in)


def deadweight_view(root: Path, jobs: int, python: str | None = None) -> DeadweightView:
    """Module classes of the project, through the library: extraction, then the linked Project.

    The CLI has no command that lists module classes, so this reads the same stages `api.check`
    wires together (extraction, dropping generated sources, linking), and nothing deeper.
    """
    from deadweight.config import load_settings
    from deadweight.engine.extraction import extract_all
    from deadweight.model.generated import drop_generated_sources
    from deadweight.model.project import ClassInfo, Project

    overrides: dict[str, object] = {"use-cache": False, "jobs": jobs}
    if python:
        overrides["python"] = python
    settings = load_settings([root], isolated=True, overrides=overrides)
    _root, results = extract_all([root], settings)
    facts = [r.facts for r in results if r.facts is not None]
    kept = drop_generated_sources(facts)
    errors = {r.error.path: r.error.reason for r in results if r.error is not None}
    project = Project(kept, settings)

    def concrete(info: ClassInfo) -> bool:  # has a non-abstract entry point (forward, __call__, ...)
        return any(project.is_entry(m.name) and not m.abstract for c in info.mro for m in c.facts.methods)

    by_name: dict[tuple[str, str], list[tuple[int, ClassInfo]]] = defaultdict(list)
    for info in project.classes.values():
        by_name[(info.path, info.name)].append((info.facts.span.line, info))
    classes: dict[tuple[str, str, int], bool] = {}
    plantable: set[tuple[str, str, int]] = set()
    unjudged: set[tuple[str, str, int]] = set()
    containers: set[tuple[str, str, int]] = set()
    without_init = 0
    for (path, qualname), infos in by_name.items():
        for index, (_line, info) in enumerate(sorted(infos, key=lambda t: t[0])):
            key = (path, qualname, index)
            classes[key] = info.is_module
            if not info.is_module:
                continue
            if project.is_container(info):
                containers.add(key)
            if info.facts.method("__init__") is None:
                without_init += 1
                continue
            plantable.add(key)
            if not any(concrete(c) for c in [info, *project.descendants(info)]):
                unjudged.add(key)
    return DeadweightView(
        analyzed={f.path for f in kept},
        generated_sources={f.path for f in facts} - {f.path for f in kept},
        errors=errors,
        classes=classes,
        plantable_modules=plantable,
        unjudged=unjudged,
        containers=containers,
        module_without_init=without_init,
    )


# --------------------------------------------------------------------------- planting (libcst)


@dataclass
class Plant:
    number: int
    site: ClassSite
    populations: tuple[str, ...]
    # In a Sequential/ModuleList/ModuleDict subclass the container's own forward or iteration
    # reaches every child, so the plant is live, not dead: left out of the recall counts.
    live: bool = False
    status: str = NOT_FOUND
    codes: tuple[str, ...] = ()
    reason: str = ""
    message: str = ""  # the finding the reason was read from (kept in --json, for diagnosis)

    @property
    def attr(self) -> str:
        return f"{PLANT_PREFIX}{self.number}"

    @property
    def where(self) -> str:
        return f"{self.site.path}:{self.site.qualname}"


def _ends_function(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(s, (cst.Return, cst.Raise)) for s in stmt.body)


class _Planter(cst.CSTTransformer):
    """Appends one statement to the `__init__` of each chosen class (keyed like `ClassSite`)."""

    def __init__(self, plants: dict[tuple[str, int], tuple[str, str]]) -> None:
        super().__init__()
        self.plants = plants  # (qualname, index) -> (self name, statement text)
        self.stack: list[tuple[str, int]] = []
        self.names: list[str] = []
        self.seen: Counter[str] = Counter()
        self.done: set[tuple[str, int]] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        qualname = ".".join([*self.names, node.name.value])
        self.stack.append((qualname, self.seen[qualname]))
        self.seen[qualname] += 1
        self.names.append(node.name.value)
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        key = self.stack.pop()
        self.names.pop()
        if key not in self.plants or not isinstance(updated_node.body, cst.IndentedBlock):
            return updated_node
        body = list(updated_node.body.body)
        inits = [i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"]
        if not inits:
            return updated_node
        i = inits[-1]  # the last definition wins, as at runtime
        planted = cst.parse_statement(self.plants[key][1] + "\n")
        body[i] = self._plant(body[i], planted)  # type: ignore[arg-type]
        self.done.add(key)
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))

    @staticmethod
    def _plant(fn: cst.FunctionDef, planted: cst.BaseStatement) -> cst.FunctionDef:
        """The statement goes last, or before a final `return`/`raise` (so it runs); an
        IndentedBlock indents it like its siblings, a one-line body becomes a block."""
        if isinstance(fn.body, cst.SimpleStatementSuite):
            suite = fn.body
            line = cst.SimpleStatementLine(body=suite.body, trailing_whitespace=suite.trailing_whitespace)
            block = cst.IndentedBlock(body=[line])
        else:
            block = fn.body  # type: ignore[assignment]
        stmts = list(block.body)
        at = len(stmts) - 1 if stmts and _ends_function(stmts[-1]) else len(stmts)
        stmts.insert(at, planted)
        return fn.with_changes(body=block.with_changes(body=stmts))


def _import_position(module: cst.Module) -> int:
    """After the module docstring and `from __future__` imports (which must stay first)."""
    at = 0
    for i, s in enumerate(module.body):
        if not isinstance(s, cst.SimpleStatementLine) or not s.body:
            break
        small = s.body[0]
        is_doc = (
            i == 0
            and isinstance(small, cst.Expr)
            and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString))
        )
        is_future = (
            isinstance(small, cst.ImportFrom)
            and isinstance(small.module, cst.Name)
            and small.module.value == "__future__"
        )
        if not (is_doc or is_future):
            break
        at = i + 1
    return at


def plant_file(path: Path, scan: FileScan, plants: list[Plant]) -> list[int]:
    """Rewrite one file with its plants; returns the numbers of the plants that could not be
    placed (numbers, not plants: this runs in worker processes, which return copies).

    The result is parsed again with `ast` before it is written: a plant must never turn a file
    deadweight can read into one it cannot.
    """
    source = path.read_bytes()
    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError):
        return [p.number for p in plants]
    ctor = "nn.Linear" if scan.nn_is_torch else "torch.nn.Linear"
    wanted: dict[tuple[str, int], tuple[str, str]] = {}
    for p in plants:
        self_name = p.site.self_name or "self"
        wanted[(p.site.qualname, p.site.index)] = (self_name, f"{self_name}.{p.attr} = {ctor}(2, 2)")
    planter = _Planter(wanted)
    new = module.visit(planter)
    if not scan.nn_is_torch and not scan.torch_bound and planter.done:
        body = list(new.body)
        body.insert(_import_position(new), cst.parse_statement("import torch\n"))
        new = new.with_changes(body=body)
    data = new.bytes
    try:
        ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [p.number for p in plants]
    if planter.done:
        replace_file(path, data)
    return [p.number for p in plants if (p.site.qualname, p.site.index) not in planter.done]


def _plant_task(task: tuple[Path, FileScan, list[Plant]]) -> list[int]:
    return plant_file(*task)


def plant_all(root: Path, scans: dict[str, FileScan], plants: list[Plant], jobs: int) -> set[int]:
    """Plant every file, in a process pool unless `jobs` is 1: libcst parses a few files a
    second, and transformers has thousands to plant. Returns the plants not placed."""
    by_file: dict[str, list[Plant]] = defaultdict(list)
    for p in plants:
        by_file[p.site.path].append(p)
    tasks = [(root / path, scans[path], group) for path, group in sorted(by_file.items())]
    workers = jobs or os.cpu_count() or 1
    if workers > 1 and len(tasks) > 16:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            missed = list(pool.map(_plant_task, tasks, chunksize=8))
    else:
        missed = [_plant_task(t) for t in tasks]
    return {n for group in missed for n in group}


# --------------------------------------------------------------------------- choosing


def choose(scans: dict[str, FileScan], view: DeadweightView, limit: int | None) -> tuple[list[Plant], int]:
    """Plants for every class in either population; with `limit`, an evenly spaced sample of
    them (every k-th in path order), so a quick run still spans the whole corpus.

    Returns the plants and how many plantable deadweight module classes the scan did not find
    (say, a file ast cannot parse but libcst can): those are not planted, and are counted.
    """
    chosen: list[tuple[ClassSite, tuple[str, ...]]] = []
    scanned: set[tuple[str, str, int]] = set()
    for path in sorted(scans):
        for site in scans[path].classes:
            key = (site.path, site.qualname, site.index)
            pops = []
            if site.has_init and key in view.plantable_modules:
                pops.append(MODULES)
                scanned.add(key)
            if site.creates_weights:
                pops.append(CREATES_WEIGHTS)
            if pops:
                chosen.append((site, tuple(pops)))
    if limit is not None and len(chosen) > limit:
        step = len(chosen) / limit
        chosen = [chosen[int(i * step)] for i in range(limit)]
    plants = [
        Plant(n, site, pops, live=(site.path, site.qualname, site.index) in view.containers)
        for n, (site, pops) in enumerate(chosen, 1)
    ]
    return plants, len(view.plantable_modules - scanned)


# --------------------------------------------------------------------------- judging


def run_deadweight(root: Path, report: Path, jobs: int, python: str | None = None) -> dict[str, object]:
    """One `deadweight check` over the planted copy, as a user runs it; the JSON report."""
    cmd = [
        sys.executable,
        "-m",
        "deadweight",
        "check",
        str(root),
        "--output-format",
        "json",
        "--min-confidence",
        "low",
        "--no-cache",
        "--isolated",
        "--exit-zero",
        "--quiet",
        "--jobs",
        str(jobs),
        "--output",
        str(report),
        *(["--python", python] if python else []),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"deadweight failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    doc: dict[str, object] = json.loads(report.read_text(encoding="utf-8"))
    return doc


_STATED = "(low confidence: "
_DYNAMIC = re.compile(r"^(`[^`]*`) in `[^`]*` (may reach it by name)$")


def _stated_reasons(message: str) -> list[str] | None:
    """The reasons inside `(low confidence: ...)`, split on `; `; None when there is none.

    Parentheses are matched, and backticked code is skipped, because a reason can quote code
    such as `super().__init__()`.
    """
    at = message.find(_STATED)
    if at < 0:
        return None
    depth, tick, parts, cur = 1, False, [], []
    i = at + len(_STATED)
    while i < len(message):
        ch = message[i]
        if ch == "`":
            tick = not tick
        elif not tick and ch == "(":
            depth += 1
        elif not tick and ch == ")":
            depth -= 1
            if depth == 0:
                break
        if not tick and depth == 1 and message.startswith("; ", i):
            parts.append("".join(cur))
            cur = []
            i += 2
            continue
        cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return [x.strip() for x in parts if x.strip()]


def low_reason(code: str, message: str, unjudged: bool = False) -> str:
    """The text pattern of a low-confidence finding: the first reason it states, with class and
    method names taken out so that equal causes group (a dynamic access keeps its expression:
    `self.__dict__` and `getattr(self, <name>)` are different causes). Further reasons (why the
    class is a module, say) are details of one class and are left out. When the message states
    no reason, its template, and whether any class that inherits the weight has an entry point
    (the usual unstated cause)."""
    reasons = _stated_reasons(message)
    if reasons:
        m = _DYNAMIC.match(reasons[0])
        first = f"{m.group(1)} {m.group(2)}" if m else re.sub(r"`[^`]*`", "`…`", reasons[0])
        return first
    template = re.sub(r"`[^`]*`", "`…`", message)
    template = re.sub(r"; removing it .*$|; it holds no parameters.*$", "", template)
    hint = "; no class that inherits it has an entry point (forward, __call__, ...)" if unjudged else ""
    return f"{code} at low, no reason stated: “{template}”{hint}"


def judge(plants: list[Plant], doc: dict[str, object], view: DeadweightView) -> None:
    """Status, codes and (for misses) reason of every plant, from the report of the planted run."""
    by_attr: dict[str, list[dict[str, object]]] = defaultdict(list)
    for f in doc["findings"]:  # type: ignore[union-attr]
        attr = str(f["attribute"])
        if attr.startswith(PLANT_PREFIX):
            by_attr[attr].append(f)
    for p in plants:
        found = by_attr.get(p.attr, [])
        dw1 = [f for f in found if str(f["code"]).startswith("DW1")]
        p.codes = tuple(sorted({str(f["code"]) for f in found}))
        if any(f["confidence"] in ("medium", "high") for f in dw1):
            p.status = FOUND_DEFAULT
            continue
        if dw1:
            p.status = FOUND_LOW
            first = min(dw1, key=lambda f: (f["class"] != p.site.qualname, str(f["code"])))
            unjudged = (p.site.path, p.site.qualname, p.site.index) in view.unjudged
            p.reason = "found only at low: " + low_reason(str(first["code"]), str(first["message"]), unjudged)
            p.message = str(first["message"])
            continue
        p.status = NOT_FOUND
        path = p.site.path
        key = (path, p.site.qualname, p.site.index)
        if path in view.generated_sources:
            p.reason = "file not judged: a generated copy of it is judged instead (modular_ → modeling_)"
        elif path in view.errors:
            p.reason = f"file not analyzed: {view.errors[path]}"
        elif path not in view.analyzed:
            p.reason = "file not analyzed: excluded by discovery"
        elif key not in view.classes:
            p.reason = "class not in deadweight's facts"
        elif not view.classes[key]:
            p.reason = "class not judged as a module"
        elif found:
            p.reason = f"reported only by {', '.join(p.codes)} (no DW1xx)"
        else:
            p.reason = "not reported"


# --------------------------------------------------------------------------- one corpus


@dataclass
class CorpusResult:
    name: str
    files: int = 0
    classes: int = 0
    plants: list[Plant] = field(default_factory=list)
    unplaced: list[Plant] = field(default_factory=list)
    module_without_init: int = 0
    modules_not_scanned: int = 0
    scan_errors: int = 0
    import_torch_added: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    report_summary: dict[str, object] = field(default_factory=dict)


@contextlib.contextmanager
def no_environment() -> Iterator[None]:
    """Run deadweight without a Python environment to read installed bases from.

    deadweight reads base classes from the active virtualenv (`VIRTUAL_ENV`). The one a harness
    runs in is deadweight's own, not the corpus's, so whether it was activated must not change
    the numbers: unset for the run (the copies hold no `.venv` of their own).
    """
    saved = os.environ.pop("VIRTUAL_ENV", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["VIRTUAL_ENV"] = saved


@contextlib.contextmanager
def _timed(seconds: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    seconds[name] = time.perf_counter() - start


def run_corpus(
    corpus: Path, *, limit: int | None = None, jobs: int = 0, keep: bool = False, python: str | None = None
) -> CorpusResult:
    """Copy, choose, plant, run deadweight once, judge; the temporary copy is always removed
    (unless `keep`), because a transformers copy holds thousands of directory entries."""
    corpus = corpus.resolve()
    result = CorpusResult(corpus.name)
    work = Path(tempfile.mkdtemp(prefix="dw-planted-"))
    try:
        copy = work / corpus.name
        with _timed(result.seconds, "copy"):
            link_copy(corpus, copy)
        with _timed(result.seconds, "scan"):
            scans = scan_tree(copy)
        with _timed(result.seconds, "deadweight classes"), no_environment():
            view = deadweight_view(copy, jobs, python)
        result.files = len(scans)
        result.classes = sum(len(s.classes) for s in scans.values())
        result.scan_errors = sum(1 for s in scans.values() if s.error)
        result.module_without_init = view.module_without_init
        plants, result.modules_not_scanned = choose(scans, view, limit)
        with _timed(result.seconds, "plant"):
            missed = plant_all(copy, scans, plants, jobs)
        placed = [p for p in plants if p.number not in missed]
        unplaced = [p for p in plants if p.number in missed]
        result.import_torch_added = len(
            {p.site.path for p in placed if not scans[p.site.path].nn_is_torch and not scans[p.site.path].torch_bound}
        )
        with _timed(result.seconds, "deadweight check"), no_environment():
            doc = run_deadweight(copy, work / "report.json", jobs, python)
        judge(placed, doc, view)
        result.plants = placed
        result.unplaced = unplaced
        result.report_summary = dict(doc.get("summary", {}))  # type: ignore[call-overload]
        if keep:
            print(f"kept {work}", file=sys.stderr)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- report


def counts(plants: Sequence[Plant], population: str) -> dict[str, int]:
    """The recall table's row: plants that are dead by construction (live ones left out)."""
    mine = [p for p in plants if population in p.populations and not p.live]
    c = Counter(p.status for p in mine)
    return {"planted": len(mine), FOUND_DEFAULT: c[FOUND_DEFAULT], FOUND_LOW: c[FOUND_LOW], NOT_FOUND: c[NOT_FOUND]}


def misses_by_reason(plants: Sequence[Plant], population: str) -> list[tuple[str, int, list[str]]]:
    """(reason, count, examples) of the plants not found at default confidence, largest first."""
    groups: dict[str, list[Plant]] = defaultdict(list)
    for p in plants:
        if population in p.populations and not p.live and p.status != FOUND_DEFAULT:
            groups[p.reason].append(p)
    out = [(r, len(g), [p.where for p in g[:EXAMPLES_PER_REASON]]) for r, g in groups.items()]
    return sorted(out, key=lambda t: (-t[1], t[0]))


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_corpus(r: CorpusResult) -> str:
    lines = [f"## {r.name}", ""]
    secs = ", ".join(f"{k} {v:.0f} s" for k, v in r.seconds.items())
    lines.append(
        f"{r.files} Python files, {r.classes} classes; {len(r.plants)} plants placed"
        + (f", {len(r.unplaced)} could not be placed" if r.unplaced else "")
        + f" ({r.import_torch_added} files got `import torch`). "
        + f"Module classes without their own `__init__` (nothing to plant in): {r.module_without_init}."
        + (f" Module classes the ast scan missed: {r.modules_not_scanned}." if r.modules_not_scanned else "")
        + (f" Files ast cannot parse: {r.scan_errors}." if r.scan_errors else "")
        + f" Time: {secs}."
    )
    lines += [
        "",
        "| population | planted | found (default) | found low only | not found | % found at default |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for pop in POPULATIONS:
        c = counts(r.plants, pop)
        lines.append(
            f"| {pop} | {c['planted']} | {c[FOUND_DEFAULT]} | {c[FOUND_LOW]} | {c[NOT_FOUND]} | "
            f"{_pct(c[FOUND_DEFAULT], c['planted'])} |"
        )
    live = [p for p in r.plants if p.live]
    if live:
        c = Counter(p.status for p in live)
        lines += [
            "",
            f"Left out above: {len(live)} plants in container subclasses (Sequential/ModuleList/ModuleDict: "
            f"iteration reaches every child, so the plant is live); deadweight reported {c[FOUND_DEFAULT]} of "
            f"them at default confidence and {c[FOUND_LOW]} only at low.",
        ]
    codes = Counter(
        code for p in r.plants if p.status == FOUND_DEFAULT and not p.live for code in p.codes if code.startswith("DW1")
    )
    if codes:
        lines += ["", "Codes on the plants found: " + ", ".join(f"{k} {v}" for k, v in sorted(codes.items())) + "."]
    for pop in POPULATIONS:
        misses = misses_by_reason(r.plants, pop)
        lines += ["", f"Misses at default confidence, `{pop}`:", ""]
        if not misses:
            lines.append("none.")
            continue
        lines += ["| reason | count | examples |", "|---|---:|---|"]
        for reason, n, examples in misses:
            lines.append(f"| {_cell(reason)} | {n} | {_cell(', '.join(f'`{e}`' for e in examples))} |")
    lines.append("")
    return "\n".join(lines)


def deadweight_commit(pkg: Path) -> str:
    """The measured commit, and which package files differ from it (the package is edited while
    benchmarks run, so a bare hash would claim more than it knows)."""
    repo = pkg.parents[1]
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", str(pkg)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    changed = sorted(line[3:] for line in dirty if line.strip())
    if not changed:
        return head
    return f"{head} plus uncommitted changes in {len(changed)} files ({', '.join(changed)})"


def source_digest(pkg: Path) -> str:
    """A digest of the package's .py files: names the exact source measured, commit or not."""
    h = hashlib.sha256()
    for p in sorted(pkg.rglob("*.py")):
        h.update(p.relative_to(pkg).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def snapshot_package(dest: Path) -> Path:
    """Copy deadweight's source to `dest` and import it from there, here and in every child
    process (PYTHONPATH), for the whole run: the package is edited concurrently, and a run of
    all corpora takes a quarter of an hour, so without a snapshot one report would mix versions
    (and an edit caught half-written could break a run). Returns the live package directory.
    """
    import importlib.util

    if "deadweight" in sys.modules:
        raise RuntimeError("snapshot_package must run before deadweight is imported")
    spec = importlib.util.find_spec("deadweight")  # locates the package without importing it
    if spec is None or spec.origin is None:
        raise RuntimeError("deadweight is not installed")
    live = Path(spec.origin).resolve().parent
    shutil.copytree(live, dest / "deadweight", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    sys.path.insert(0, str(dest))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(dest), *filter(None, [os.environ.get("PYTHONPATH")])])
    probe = subprocess.run(
        [sys.executable, "-c", "import deadweight; print(deadweight.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(probe).resolve().is_relative_to(dest.resolve()):
        raise RuntimeError(f"child processes import deadweight from {probe}, not from the snapshot")
    return live


HOW_TO_READ = """\
How to read this: in a hard-linked copy of each corpus, every chosen class got
`self.dwplanted<n> = nn.Linear(2, 2)` as the last statement of its own `__init__` (before a final
`return`), a weight nothing reads; then one `deadweight check COPY --output-format json
--min-confidence low --no-cache --isolated` ran over the copy, with no Python environment to read
installed bases from unless the command above passes `--python` (then that environment, as a user's
`--python` would). A plant is *found (default)* when a DW1xx finding names it at medium or high
confidence (what a user sees by default), *found low only* when its DW1xx findings are all low.

* `modules`: classes deadweight itself judges to be modules (and that define `__init__`).
* `creates-weights`: classes whose own `__init__` assigns `nn.<Layer>(...)` or `nn.Parameter(...)`
  to `self.X`, found syntactically, whatever deadweight thinks of them. A class can be in both.
* Plants in Sequential/ModuleList/ModuleDict subclasses are left out of the counts: the container's
  forward or iteration reaches every child, so the plant is live, not dead.
* A reason `found only at low: X` is the first reason the finding's message states (class and method
  names taken out); a dynamic access lowers every weight of every class whose MRO or subclasses
  contain it, and only the first such access is named.
* `file not judged: a generated copy ...` is by design: transformers' `modular_*.py` sources are
  skipped when the generated `modeling_*.py` is present.
"""


def render(results: Sequence[CorpusResult], header: str) -> str:
    lines = [
        header,
        "",
        HOW_TO_READ,
        "| corpus | modules planted | modules found (default) | % | creates-weights planted | found (default) | % |",
    ]
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        a, b = counts(r.plants, MODULES), counts(r.plants, CREATES_WEIGHTS)
        lines.append(
            f"| {r.name} | {a['planted']} | {a[FOUND_DEFAULT]} | {_pct(a[FOUND_DEFAULT], a['planted'])} | "
            f"{b['planted']} | {b[FOUND_DEFAULT]} | {_pct(b[FOUND_DEFAULT], b['planted'])} |"
        )
    lines.append("")
    return "\n".join(lines) + "\n" + "\n".join(render_corpus(r) for r in results)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("corpora", nargs="+", type=Path, metavar="CORPUS_DIR")
    ap.add_argument("--out", type=Path, help="write the markdown report here (rewritten after each corpus)")
    ap.add_argument("--limit", type=int, help="plant at most N classes per corpus (evenly spaced)")
    ap.add_argument("--jobs", type=int, default=0, help="deadweight worker processes (0 = one per core)")
    ap.add_argument("--keep", action="store_true", help="keep the planted copy (for debugging)")
    ap.add_argument("--json", type=Path, help="also write every plant's verdict as JSON")
    ap.add_argument("--python", help="the environment to read installed bases from (deadweight's --python)")
    args = ap.parse_args(argv)
    for c in args.corpora:
        if not c.is_dir():
            ap.error(f"{c}: not a directory")
    command = "python bench/planted.py " + " ".join(sys.argv[1:] if argv is None else argv)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    snap = Path(tempfile.mkdtemp(prefix="dw-planted-pkg-"))
    try:
        live = snapshot_package(snap)
        commit = deadweight_commit(live)
        digest = source_digest(snap / "deadweight")
        results: list[CorpusResult] = []
        for corpus in args.corpora:
            print(f"{corpus.name}: running", file=sys.stderr, flush=True)
            results.append(run_corpus(corpus, limit=args.limit, jobs=args.jobs, keep=args.keep, python=args.python))
            print(render_corpus(results[-1]), flush=True)
            now = source_digest(live)
            header = [
                "# Planted-weight recall",
                "",
                f"Command: `{command}`  ",
                f"Date: {stamp}  ",
                f"deadweight: {commit}; source digest {digest}. The package source was copied at the start "
                "and every corpus ran on that copy (the package is edited concurrently).",
            ]
            if now != digest:
                header.append(f"The live source has changed since (digest {now}); those changes are not measured here.")
            if args.out:
                args.out.write_text(render(results, "\n".join(header)), encoding="utf-8")
            if args.json:
                args.json.write_text(json.dumps(plants_json(results), indent=1), encoding="utf-8")
    finally:
        shutil.rmtree(snap, ignore_errors=True)
    return 0


def plants_json(results: Sequence[CorpusResult]) -> dict[str, list[dict[str, object]]]:
    """Every plant's verdict, for diffing two runs plant by plant."""
    return {
        r.name: [
            {
                "plant": p.attr,
                "where": p.where,
                "line": p.site.line,
                "populations": list(p.populations),
                "container": p.live,
                "status": p.status,
                "codes": list(p.codes),
                "reason": p.reason,
                "message": p.message,
            }
            for p in r.plants
        ]
        for r in results
    }


if __name__ == "__main__":
    sys.exit(main())

"""Incremental judging equals a whole run: random edits to a copy of the fixtures.

Each round edits one or two files at random (a comment, lines shifted, an attribute renamed,
a base class swapped, a line deleted, a file added), then checks the project twice: once
with the state the previous round left (`rules.incremental`), once with no state at all
(another cache directory whose state is removed; facts caches are keyed by content, so
sharing them changes nothing). Findings and errors must be the same, and the incremental
run must have judged fewer files whenever the edit left some untouched.
"""

from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path

import pytest

from deadweight import api
from deadweight.activity import Activity
from deadweight.findings import Result
from deadweight.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# Three seeds in the default suite (about 15 s); DEADWEIGHT_INCREMENTAL_SEEDS=N runs N.
SEEDS = list(range(1, 1 + int(os.environ.get("DEADWEIGHT_INCREMENTAL_SEEDS", "3"))))

# A package whose classes reach across files: a base with weights, a subclass that
# overrides forward, a holder reading through its child, a helper that builds the child.
PACKAGE = {
    "zoo/__init__.py": "",
    "zoo/base.py": """\
import torch
import torch.nn as nn


class Base(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.gate = nn.Parameter(torch.zeros(dim))
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(self.proj(x)) * self.gate
""",
    "zoo/leaf.py": """\
import torch.nn as nn

from zoo.base import Base


class Leaf(Base):
    def __init__(self, dim):
        super().__init__(dim)
        self.extra = nn.Linear(dim, dim)
        self.unused = nn.Linear(dim, dim)

    def forward(self, x):
        return self.extra(self.proj(x))
""",
    "zoo/holder.py": """\
import torch.nn as nn

from zoo.leaf import Leaf


def build(dim):
    return Leaf(dim)


class Holder(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.child = Leaf(dim)
        self.head = nn.Linear(dim, 2)

    def forward(self, x):
        return self.head(self.child(x) + self.child.norm(x))
""",
    "zoo/other.py": """import torch.nn as nn


class Other(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.spare = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x)
""",
}


def _write_package(root: Path) -> None:
    for name, text in PACKAGE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _edit(root: Path, rng: random.Random, step: int) -> str:
    """One random edit; returns what it did (for the failure message)."""
    files = sorted(p for p in root.rglob("*.py") if ".deadweight" not in p.parts and p.stat().st_size)
    path = rng.choice(files)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kind = rng.choice(["comment", "shift", "rename", "base", "delete", "new file", "swap method"])
    rel = path.relative_to(root).as_posix()
    if kind == "comment":
        lines.append(f"# edit {step}\n")
    elif kind == "shift":
        lines.insert(rng.randrange(len(lines) + 1), "\n")
    elif kind == "rename":
        hits = [i for i, line in enumerate(lines) if re.search(r"self\.\w+", line)]
        if not hits:
            return _edit(root, rng, step)
        i = rng.choice(hits)
        names = re.findall(r"self\.(\w+)", lines[i])
        name = rng.choice(names)
        lines[i] = re.sub(rf"self\.{name}\b", f"self.{name}_r{step}", lines[i], count=1)
        kind = f"rename self.{name} on line {i + 1}"
    elif kind == "base":
        classes = [i for i, line in enumerate(lines) if re.match(r"class \w+\(", line)]
        names = [m.group(1) for line in lines if (m := re.match(r"class (\w+)", line))]
        if not classes or len(names) < 2:
            return _edit(root, rng, step)
        i = rng.choice(classes)
        other = rng.choice(names)
        lines[i] = re.sub(r"\(.*\)", f"({other})", lines[i], count=1)
        kind = f"base of line {i + 1} -> {other}"
    elif kind == "delete":
        body = [i for i, line in enumerate(lines) if line.startswith("        ") and "self." in line]
        if not body:
            return _edit(root, rng, step)
        i = rng.choice(body)
        kind = f"delete line {i + 1}: {lines[i].strip()}"
        del lines[i]
    elif kind == "swap method":
        defs = [i for i, line in enumerate(lines) if re.match(r"    def (forward|__call__)\(", line)]
        if not defs:
            return _edit(root, rng, step)
        i = rng.choice(defs)
        lines[i] = lines[i].replace("def forward(", "def forward_old(").replace("def __call__(", "def call_old(")
        kind = f"rename the entry point on line {i + 1}"
    else:
        target = rng.choice([p for p in files if p.name != "__init__.py"] or files)
        module = ".".join(target.relative_to(root).with_suffix("").parts)
        names = [
            m.group(1)
            for line in target.read_text(encoding="utf-8").splitlines()
            if (m := re.match(r"class (\w+)", line))
        ]
        if not names:
            return _edit(root, rng, step)
        name = rng.choice(names)
        new = root / f"added_{step}.py"
        new.write_text(
            f"import torch.nn as nn\n\nfrom {module} import {name}\n\n\n"
            f"class Added{step}({name}):\n    def forward(self, x):\n        return x\n\n\n"
            f"class Holds{step}(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            f"        self.inner = {name}(4)\n\n    def forward(self, x):\n        return self.inner(x)\n",
            encoding="utf-8",
        )
        return f"new file {new.name} subclassing and holding {module}.{name}"
    path.write_text("".join(lines), encoding="utf-8")
    return f"{rel}: {kind}"


def _check(root: Path, cache: Path, activity: Activity | None = None) -> Result:
    settings = Settings(project_root=str(root), jobs=1, cache_dir=str(cache))
    return api.check([root], settings, activity=activity)


def _facts(result: Result) -> tuple[list[dict[str, object]], list[tuple[str, str]]]:
    return [f.to_dict() for f in result.findings], [(e.path, e.reason) for e in result.errors]


@pytest.mark.parametrize("seed", SEEDS)
def test_incremental_equals_a_whole_run_after_random_edits(tmp_path: Path, seed: int) -> None:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES, root)
    _write_package(root)
    incremental, scratch = tmp_path / "incremental-cache", tmp_path / "scratch-cache"
    rng = random.Random(seed)
    _check(root, incremental)
    partial = 0
    for step in range(8):
        done = [_edit(root, rng, step) for _ in range(rng.choice([1, 1, 2]))]
        activity = Activity()
        again = _check(root, incremental, activity)
        shutil.rmtree(scratch / "judged", ignore_errors=True)
        shutil.rmtree(scratch / "runs", ignore_errors=True)
        whole = _check(root, scratch)
        assert _facts(again) == _facts(whole), f"seed {seed}, step {step}: {done}"
        partial += activity.reused > 0
    assert partial >= 4  # most edits left most files' findings to reuse


def test_an_edit_rejudges_the_files_that_read_it(tmp_path: Path) -> None:
    """Exact: editing the base re-judges the files whose classes read it (its own, the
    subclass's, the holder's, whose child is the subclass), not the unrelated one; a comment
    at the end of the unrelated file re-judges nothing, one that moves its lines that file."""
    _write_package(tmp_path)
    cache = tmp_path / ".cache"
    first = _check(tmp_path, cache)
    assert [(f.code, f.class_name, f.attribute, f.line) for f in first.findings] == [
        ("DW103", "Leaf", "gate", 9),  # Leaf's forward drops the gate Base's uses
        ("DW101", "Leaf", "unused", 10),
        ("DW101", "Other", "spare", 8),
    ]
    base = tmp_path / "zoo" / "base.py"
    base.write_text(base.read_text().replace("return self.norm(self.proj(x)) * self.gate", "return self.proj(x)"))
    activity = Activity()
    edited = _check(tmp_path, cache, activity)
    assert (activity.judged, activity.reused) == (3, 1)
    assert [(f.code, f.class_name, f.attribute, f.line) for f in edited.findings] == [
        ("DW101", "Base", "gate", 9),  # now unused in the base itself
        ("DW101", "Leaf", "unused", 10),
        ("DW101", "Other", "spare", 8),
    ]
    other = tmp_path / "zoo" / "other.py"
    other.write_text(other.read_text() + "# a comment\n")  # moves no line: nothing read changed
    activity = Activity()
    again = _check(tmp_path, cache, activity)
    assert (activity.judged, activity.reused) == (0, 4)
    assert _facts(again) == _facts(edited)
    other.write_text("# a comment\n" + other.read_text())  # moves every line of Other
    activity = Activity()
    moved = _check(tmp_path, cache, activity)
    assert (activity.judged, activity.reused) == (1, 3)
    assert [(f.class_name, f.attribute, f.line) for f in moved.findings][-1] == ("Other", "spare", 9)


def test_moving_every_line_of_a_base_rejudges_only_the_files_whose_findings_point_into_it(tmp_path: Path) -> None:
    """Exact: a comment atop `base.py` moves every position of `Base` and changes nothing
    else. The base's file is judged again (its findings point into it: the DW103 about
    `Leaf` is judged with `Base`'s weights); the leaf and the holder read `Base`'s facts, but
    report no place in it, and keep their verdicts; a change to what `Base` does re-judges
    them too."""
    _write_package(tmp_path)
    cache = tmp_path / ".cache"
    _check(tmp_path, cache)
    base = tmp_path / "zoo" / "base.py"
    base.write_text("# the base\n" + base.read_text(), encoding="utf-8")
    activity = Activity()
    moved = _check(tmp_path, cache, activity)
    assert (activity.judged, activity.reused) == (1, 3)
    assert [(f.code, f.class_name, f.attribute, f.path, f.line) for f in moved.findings] == [
        ("DW103", "Leaf", "gate", "zoo/base.py", 10),
        ("DW101", "Leaf", "unused", "zoo/leaf.py", 10),
        ("DW101", "Other", "spare", "zoo/other.py", 8),
    ]
    base.write_text(base.read_text().replace(" * self.gate", ""), encoding="utf-8")
    activity = Activity()
    _check(tmp_path, cache, activity)
    assert (activity.judged, activity.reused) == (3, 1)


def test_lines_moved_in_a_file_names_resolve_through_rejudge_none_of_its_readers(tmp_path: Path) -> None:
    """Exact: `User` resolves `Part` through the package's `__init__`, which re-exports it.
    Moving every line of `__init__` (its function's too) changes none of its names (`n:`),
    so no unit is judged again; importing one more name there changes them, and re-judges the file that resolves
    a name through it, not the one defining `Part`."""
    files = {
        "pkg/__init__.py": "from pkg.parts import Part\n\n\ndef build(m):\n    return m.fc(1)\n",
        "pkg/parts.py": (
            "import torch.nn as nn\n\n\nclass Part(nn.Module):\n    def __init__(self):\n"
            "        super().__init__()\n        self.fc = nn.Linear(4, 4)\n        self.spare = nn.Linear(4, 4)\n\n"
            "    def forward(self, x):\n        return self.fc(x)\n"
        ),
        "pkg/user.py": (
            "import torch.nn as nn\n\nfrom pkg import Part\n\n\nclass User(nn.Module):\n"
            "    def __init__(self):\n        super().__init__()\n        self.part = Part()\n"
            "        self.idle = nn.Linear(4, 4)\n\n    def forward(self, x):\n        return self.part(x)\n"
        ),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    cache = tmp_path / ".cache"
    first = _check(tmp_path, cache)
    assert [(f.code, f.class_name, f.attribute, f.line) for f in first.findings] == [
        ("DW101", "Part", "spare", 8),
        ("DW101", "User", "idle", 10),
    ]
    init = tmp_path / "pkg" / "__init__.py"
    init.write_text("# the package\n\n" + files["pkg/__init__.py"], encoding="utf-8")
    activity = Activity()
    moved = _check(tmp_path, cache, activity)
    assert (activity.judged, activity.reused) == (0, 2)
    assert _facts(moved) == _facts(first)
    init.write_text(init.read_text(encoding="utf-8") + "from pkg.parts import Part as Piece\n", encoding="utf-8")
    activity = Activity()
    named = _check(tmp_path, cache, activity)
    assert (activity.judged, activity.reused) == (1, 1)
    assert _facts(named) == _facts(first)


def test_a_damaged_state_is_a_whole_run(tmp_path: Path) -> None:
    _write_package(tmp_path)
    cache = tmp_path / ".cache"
    first = _check(tmp_path, cache)
    for entry in (cache / "judged").iterdir():
        entry.write_bytes(b"deadweight-judged\n\x00garbage")
    (tmp_path / "zoo" / "leaf.py").write_text(PACKAGE["zoo/leaf.py"] + "# edited\n")
    activity = Activity()
    again = _check(tmp_path, cache, activity)
    assert activity.judged_all_because == "no stored run to compare with"
    assert _facts(again) == _facts(first)

"""Property: after any sequence of edits, a run through the caches (facts by content, digests
remembered by `stat`, the whole-run cache) reports exactly what a run without them reports.

The edits are the ones that break stat-based caches in practice: a same-size change with the
mtime put back (only ctime tells), a file deleted and another created, a weight added or a
line removed (new findings, or a syntax error), a comment appended (facts unchanged but the
content is not). Random but seeded, so a failure names its seed and replays.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from deadweight import api
from deadweight.engine import contenthash
from deadweight.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS = ("cross_file", "override_drop", "ddp_configs", "holder_read", "init_only")


@pytest.fixture(autouse=True)
def _trust_fresh_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's files are seconds old; with the racy window on, nothing would be remembered
    and the memo would go untested. ctime still changes on every write, which is the point."""
    monkeypatch.setattr(contenthash, "RACY_SECONDS", 0.0)


def _report(root: Path, settings: Settings) -> tuple[list[dict[str, object]], list[tuple[str, str]]]:
    result = api.check([root], settings)
    return [f.to_dict() for f in result.findings], [(e.path, e.reason) for e in result.errors]


def _edit(rng: random.Random, root: Path) -> str:
    files = sorted(p for p in root.rglob("*.py") if p.is_file())
    target = rng.choice(files)
    text = target.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    kind = rng.choice(["comment", "same-size", "add-weight", "drop-line", "new-file", "delete-file"])
    if kind == "comment":
        target.write_text(text + f"# edited {rng.random()}\n", encoding="utf-8")
    elif kind == "same-size":
        st = target.stat()
        # the first letter of a weight where it is created: a new weight that nothing uses,
        # so a stale cache shows as a missing finding
        spots = [
            len("".join(lines[:n])) + line.index("self.") + 5
            for n, line in enumerate(lines)
            if line.lstrip().startswith("self.") and " = nn." in line
        ]
        if not spots:
            return _edit(rng, root)
        i = rng.choice(spots)
        swapped = "q" if text[i] != "q" else "z"
        target.write_text(text[:i] + swapped + text[i + 1 :], encoding="utf-8")
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime: only ctime moved
    elif kind == "add-weight":
        spots = [i for i, line in enumerate(lines) if "super().__init__()" in line]
        if not spots:
            return _edit(rng, root)
        i = rng.choice(spots)
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        lines.insert(i + 1, f"{indent}self.planted_{rng.randrange(10**6)} = nn.Linear(2, 2)\n")
        target.write_text("".join(lines), encoding="utf-8")
    elif kind == "drop-line":
        spots = [i for i, line in enumerate(lines) if "self." in line]
        if not spots:
            return _edit(rng, root)
        del lines[rng.choice(spots)]
        target.write_text("".join(lines), encoding="utf-8")
    elif kind == "new-file":
        (target.parent / f"new_{rng.randrange(10**6)}.py").write_text(
            "import torch.nn as nn\n\nclass Fresh(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self.unused = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return x\n",
            encoding="utf-8",
        )
    else:
        if len(files) <= 3:
            return _edit(rng, root)
        target.unlink()
    return f"{kind} {target.relative_to(root)}"


@pytest.mark.parametrize("seed", range(6))
def test_a_cached_run_after_random_edits_equals_a_fresh_run(tmp_path: Path, seed: int) -> None:
    root = tmp_path / "repo"
    for name in CORPUS:
        shutil.copytree(FIXTURES / name, root / name)
    cached = Settings(cache_dir=str(tmp_path / "cache"), jobs=1)
    fresh = Settings(use_cache=False, jobs=1)
    rng = random.Random(seed)
    assert _report(root, cached) == _report(root, fresh)
    done = []
    for _ in range(6):
        done.append(_edit(rng, root))
        assert _report(root, cached) == _report(root, fresh), f"seed {seed}, after: {done}"

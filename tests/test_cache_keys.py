"""Both caches are keyed on deadweight's own source, so an edited install never answers stale.

The reproduction: in an editable install, a rule's shared helper (`rules/_liveness.py`, which
no rule file contains) is edited; the next cached run must report with the new code, not
serve the previous run's result or facts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import deadweight
from deadweight.engine import salt

PACKAGE = Path(deadweight.__file__).resolve().parent
MODEL = """import torch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)
        self.unused = nn.Linear(4, 4)

    def forward(self, x):
        return self.proj(x)
"""


def _run(site: Path, project: Path) -> list[str]:
    """`deadweight check` with the cache on, importing deadweight from `site` (an editable-style install)."""
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run(
        [sys.executable, "-m", "deadweight", "check", str(project), "--output-format", "json", "--isolated"],
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
        check=False,
    )
    assert out.returncode in (0, 1), out.stderr
    assert (
        str(site)
        in subprocess.run(
            [sys.executable, "-c", "import deadweight; print(deadweight.__file__)"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
    )
    return [f["message"] for f in json.loads(out.stdout)["findings"]]


def test_editing_a_rule_helper_invalidates_both_caches(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(PACKAGE, site / "deadweight", ignore=shutil.ignore_patterns("__pycache__"))
    project = tmp_path / "repo"
    project.mkdir()
    (project / "model.py").write_text(MODEL, encoding="utf-8")

    first = _run(site, project)
    assert len(first) == 1 and first[0].startswith("submodule `unused`")
    assert _run(site, project) == first  # served from the run cache
    assert (project / ".deadweight_cache").is_dir()

    helper = site / "deadweight" / "rules" / "_liveness.py"
    text = helper.read_text(encoding="utf-8")
    assert "v.message" in text
    helper.write_text(text.replace("v.message", '"EDITED " + v.message'), encoding="utf-8")
    assert _run(site, project) == ["EDITED " + first[0]]


def test_package_digest_covers_every_source_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any `.py` under the package changes the digest, including files added later."""
    copy = tmp_path / "deadweight"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(salt, "PACKAGE_ROOT", copy)
    digests = set()
    for edit in ("conventions/torch.py", "extract/visitor.py", "rules/_common.py", "report/text.py", "new_module.py"):
        salt.package_digest.cache_clear()
        digests.add(salt.package_digest())
        target = copy / edit
        target.write_text(
            (target.read_text(encoding="utf-8") if target.exists() else "") + "\n# edited\n", encoding="utf-8"
        )
    salt.package_digest.cache_clear()
    digests.add(salt.package_digest())
    salt.package_digest.cache_clear()
    assert len(digests) == 6

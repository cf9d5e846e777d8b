"""The pre-commit hook, run by the real `pre-commit` against a git copy of this working tree.

pre-commit clones a hook repository at a git revision, so the test commits a copy of the
files the hook needs into a temporary repository first: it then tests the working tree (not
whatever was last committed) and runs the same way before the first commit and in CI. pre-commit
installs the hook's environment with pip from that copy (needs PyPI for the dependencies).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pre_commit", reason="pre-commit is not installed (it is in the `test` extra)")
yaml = pytest.importorskip("yaml")

REPO = Path(__file__).resolve().parent.parent
HOOK_FILES = ("src", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml")

DEAD = """\
import torch.nn as nn


class MLP(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(p)

    def forward(self, x):
        return self.fc(x)
"""
FIXED = DEAD.replace("return self.fc(x)", "return self.dropout(self.fc(x))")


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_hook_definition() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks == [
        {
            "id": "deadweight",
            "name": "deadweight",
            "description": "Find weights that PyTorch models create but never use (static, never runs the model).",
            "entry": "deadweight check",
            "language": "python",
            "types": ["python"],
            "pass_filenames": True,
            "require_serial": True,
            "minimum_pre_commit_version": "2.9.0",
        },
        {
            "id": "deadweight-fix",
            "name": "deadweight (apply safe fixes)",
            "description": "Apply deadweight's safe fixes (stale suppressions, never-applied torch.nn layers), "
            "then report what is left.",
            "entry": "deadweight check --fix",
            "language": "python",
            "types": ["python"],
            "pass_filenames": True,
            "require_serial": True,
            "minimum_pre_commit_version": "2.9.0",
        },
    ]


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by the tests here, so the hook environment (a pip install) is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A committed copy of the files pre-commit needs to install the hook; (path, commit)."""
    root = tmp_path_factory.mktemp("hook-repo")
    for name in HOOK_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif source.exists():
            shutil.copy2(source, root / name)
        elif name == "README.md":  # pyproject names it; the package cannot build without it
            (root / name).write_text("deadweight\n", encoding="utf-8")
    assert git(root, "init", "-q").returncode == 0
    assert git(root, "add", "-A").returncode == 0
    assert git(root, "commit", "-q", "-m", "hook").returncode == 0
    return root, git(root, "rev-parse", "HEAD").stdout.strip()


@pytest.mark.slow
def test_commit_with_a_dead_weight_is_refused_and_the_fix_passes(
    hook_repo: tuple[Path, str], precommit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook_path, rev = hook_repo
    monkeypatch.setenv("PRE_COMMIT_HOME", str(precommit_home))
    repo = tmp_path / "models"
    repo.mkdir()
    assert git(repo, "init", "-q").returncode == 0
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_path}\n    rev: {rev}\n    hooks:\n      - id: deadweight\n", encoding="utf-8"
    )
    (repo / "README.txt").write_text("not python: the hook must not run on it alone\n", encoding="utf-8")
    install = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    assert git(repo, "add", ".pre-commit-config.yaml", "README.txt").returncode == 0
    first = git(repo, "commit", "-q", "-m", "config")
    assert first.returncode == 0, first.stdout + first.stderr

    (repo / "mlp.py").write_text(DEAD, encoding="utf-8")
    assert git(repo, "add", "mlp.py").returncode == 0
    refused = git(repo, "commit", "-m", "add mlp")
    output = refused.stdout + refused.stderr
    assert refused.returncode == 1, output
    assert "deadweight" in output and "Failed" in output
    assert "- exit code: 1" in output
    assert "mlp.py:8:14  DW105  layer `dropout` (`nn.Dropout`) is never used" in output
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    (repo / "mlp.py").write_text(FIXED, encoding="utf-8")
    assert git(repo, "add", "mlp.py").returncode == 0
    accepted = git(repo, "commit", "-m", "add mlp, fixed")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "2"


@pytest.mark.slow
def test_the_fix_hook_rewrites_the_staged_file_and_fails_the_commit_once(
    hook_repo: tuple[Path, str], precommit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook_path, _ = hook_repo
    monkeypatch.setenv("PRE_COMMIT_HOME", str(precommit_home))
    repo = tmp_path / "models"
    repo.mkdir()
    assert git(repo, "init", "-q").returncode == 0
    (repo / "mlp.py").write_text(DEAD, encoding="utf-8")
    assert git(repo, "add", "mlp.py").returncode == 0
    args = [sys.executable, "-m", "pre_commit", "try-repo", str(hook_path), "deadweight-fix", "--files", "mlp.py"]
    first = subprocess.run(args, cwd=repo, capture_output=True, text=True)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert (repo / "mlp.py").read_text(encoding="utf-8") == DEAD.replace("        self.dropout = nn.Dropout(p)\n", "")
    second = subprocess.run(args, cwd=repo, capture_output=True, text=True)
    assert second.returncode == 0, second.stdout + second.stderr


@pytest.mark.slow
def test_try_repo_with_file_arguments_uses_cross_file_facts(
    hook_repo: tuple[Path, str], precommit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the named file is checked, but its verdict needs the base class in another file."""
    hook_path, _ = hook_repo
    monkeypatch.setenv("PRE_COMMIT_HOME", str(precommit_home))
    repo = tmp_path / "proj"
    shutil.copytree(REPO / "fixtures" / "cross_file", repo)
    assert git(repo, "init", "-q").returncode == 0
    assert git(repo, "add", "-A").returncode == 0
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hook_path),
            "deadweight",
            "--files",
            "vision/classifier.py",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "vision/classifier.py:9:14  DW101  submodule `aux_head` (`tnn.Linear`) is never used" in run.stdout
    clean = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hook_path),
            "deadweight",
            "--files",
            "vision/backbones/base.py",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr


BLOCK = """\
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(self.norm(x))
"""

FAST_BLOCK = """\
from blocks.block import Block


class FastBlock(Block):
    def forward(self, x):
        return self.fc(x)
"""


@pytest.mark.slow
def test_a_commit_that_kills_a_weight_in_another_file_is_refused(
    hook_repo: tuple[Path, str], precommit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit adds only fast.py; the DW103 sits at the base's line in the unchanged
    block.py. It belongs to this commit through its override location, so the hook fails now,
    not for the next person who touches block.py."""
    hook_path, rev = hook_repo
    monkeypatch.setenv("PRE_COMMIT_HOME", str(precommit_home))
    repo = tmp_path / "models"
    (repo / "blocks").mkdir(parents=True)
    assert git(repo, "init", "-q").returncode == 0
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_path}\n    rev: {rev}\n    hooks:\n      - id: deadweight\n", encoding="utf-8"
    )
    (repo / "blocks" / "__init__.py").write_text("", encoding="utf-8")
    (repo / "blocks" / "block.py").write_text(BLOCK, encoding="utf-8")
    install = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    assert git(repo, "add", "-A").returncode == 0
    first = git(repo, "commit", "-q", "-m", "block")
    assert first.returncode == 0, first.stdout + first.stderr

    (repo / "blocks" / "fast.py").write_text(FAST_BLOCK, encoding="utf-8")
    assert git(repo, "add", "blocks/fast.py").returncode == 0
    refused = git(repo, "commit", "-m", "add FastBlock")
    output = refused.stdout + refused.stderr
    assert refused.returncode == 1, output
    assert "blocks/block.py:7:14  DW103  submodule `norm` (`nn.LayerNorm`) is not used by `FastBlock`" in output
    assert "blocks/fast.py:5: `FastBlock.forward` no longer reaches `norm` (in a given or changed file)" in output
    assert "output limited to findings that involve the 1 given or changed file (1 located in another file)" in output
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "1"

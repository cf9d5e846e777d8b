"""The progress bar appears on a terminal's stderr only, for every output format: never in CI,
with --quiet, or piped. Its estimate is weighted by file size."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from deadweight.api import Tick, check
from deadweight.settings import Settings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "unused_layers"
DEADWEIGHT = [str(Path(sys.executable).parent / "deadweight")]


def _stderr_on_terminal(*args: str, ci: bool) -> str:
    """Run deadweight with stderr attached to a pseudo-terminal and return what it drew."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}
    if ci:
        env["CI"] = "true"
    proc = subprocess.Popen(
        [*DEADWEIGHT, "check", str(FIXTURE), "--no-cache", *args],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "concise"])
def test_progress_bar_on_a_terminal_for_every_format(output_format: str) -> None:
    drawn = _stderr_on_terminal("--output-format", output_format, ci=False)
    assert "extracting" in drawn
    assert "files" in drawn and "ETA" in drawn


def test_progress_is_weighted_by_bytes_and_ends_with_linking(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text("x = 1\n" * 3000, encoding="utf-8")  # 18 000 bytes
    (tmp_path / "small.py").write_text("y = 2\n", encoding="utf-8")  # 6 bytes
    ticks: list[Tick] = []
    settings = Settings(use_cache=False, jobs=1, python="none")
    check([tmp_path], settings, progress=ticks.append)
    assert ticks[0] == Tick("extracting", 0, 2, 0, 18_006)
    assert ticks[1:] == [
        Tick("extracting", 1, 2, 18_000, 18_006),  # half the files, nearly all the work
        Tick("extracting", 2, 2, 18_006, 18_006),
        Tick("linking"),
    ]


def test_no_progress_in_ci_or_quiet() -> None:
    assert "extracting" not in _stderr_on_terminal(ci=True)
    assert "extracting" not in _stderr_on_terminal("--quiet", ci=False)


def test_no_progress_when_piped() -> None:
    proc = subprocess.run(
        [*DEADWEIGHT, "check", str(FIXTURE), "--no-cache"], capture_output=True, text=True, timeout=60
    )
    assert "extracting" not in proc.stderr

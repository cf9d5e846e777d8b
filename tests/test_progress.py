"""The progress bar appears on a terminal's stderr only: never in CI, with --quiet, or piped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

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


def test_progress_bar_on_a_terminal() -> None:
    assert "extracting" in _stderr_on_terminal(ci=False)


def test_no_progress_in_ci_or_quiet() -> None:
    assert "extracting" not in _stderr_on_terminal(ci=True)
    assert "extracting" not in _stderr_on_terminal("--quiet", ci=False)


def test_no_progress_when_piped() -> None:
    proc = subprocess.run(
        [*DEADWEIGHT, "check", str(FIXTURE), "--no-cache"], capture_output=True, text=True, timeout=60
    )
    assert "extracting" not in proc.stderr

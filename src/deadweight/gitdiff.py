"""Files changed since a git revision, for `deadweight check --diff-base REV`.

The question a pull request asks is "what did this branch change", so the comparison starts at
the merge base of REV and HEAD (what `git diff REV...` means) but ends at the working tree, not
at HEAD: staged, unstaged and untracked files count too, so a local run before committing
reports the same files as CI after pushing. Only the reporting is limited; the analysis still
covers the whole project, because a change in one file can kill a weight defined in another.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(Exception):
    """git is missing, the root is not in a repository, or the revision is unknown."""


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
        )
    except FileNotFoundError:
        raise GitError("--diff-base needs git, but the `git` executable was not found") from None
    except OSError as exc:
        raise GitError(f"--diff-base: cannot run git: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        raise GitError(message[-1] if message else f"git {' '.join(args)} failed with exit code {done.returncode}")
    return done.stdout


def changed_files(rev: str, root: Path) -> set[str]:
    """Paths (relative to `root`, `/`-separated) changed since the merge base of `rev` and HEAD.

    Includes uncommitted and untracked (not ignored) files; paths outside `root` are dropped.
    """
    root = root.resolve()
    try:
        toplevel = Path(_git(["rev-parse", "--show-toplevel"], root).strip()).resolve()
    except GitError:
        raise GitError(f"--diff-base: {root} is not inside a git repository") from None
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], root)
    except GitError:
        raise GitError(f"--diff-base: unknown git revision {rev!r}") from None
    try:
        base = _git(["merge-base", rev, "HEAD"], root).strip()
    except GitError:
        base = rev  # unrelated histories or no HEAD yet: compare against REV itself
    names = _git(["diff", "--name-only", "-z", "--no-renames", base, "--"], toplevel).split("\0")
    names += _git(["ls-files", "--others", "--exclude-standard", "-z", "--full-name"], toplevel).split("\0")
    out = set()
    for name in filter(None, names):
        try:
            out.add((toplevel / name).relative_to(root).as_posix())
        except ValueError:
            continue  # changed, but outside the analyzed project
    return out

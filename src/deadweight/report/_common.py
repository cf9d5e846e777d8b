"""Small helpers every emitter shares: one ordering, one way to pluralise, terminal-safe text.

They live here rather than in the package `__init__` so that each emitter module can import
them without importing its siblings (and without an import cycle through `FORMATS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from deadweight.extract.facts import FileError
from deadweight.findings import Finding
from deadweight.rules.base import Rule

# C0 controls, DEL and C1 controls. ESC in particular must never reach a terminal verbatim:
# the scanned repository is untrusted input, and its file names and source lines are printed.
_WHITESPACE_CONTROL = re.compile(r"[\t\n\r\x0b\x0c]")
_OTHER_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Every format orders findings the same way, so outputs diff cleanly between runs."""
    return sorted(findings, key=Finding.sort_key)


def sorted_errors(errors: Iterable[FileError]) -> list[FileError]:
    """Errors arrive in worker-completion order; sort them for reproducible output."""
    return sorted(errors, key=lambda error: (error.path, error.reason))


def rules_by_code(rules: Sequence[type[Rule]]) -> dict[str, type[Rule]]:
    """First rule wins on a duplicate code, so a list given twice does not reorder anything."""
    table: dict[str, type[Rule]] = {}
    for rule in rules:
        table.setdefault(rule.code, rule)
    return table


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 file`, `2 files`: summaries are read by people, so get the grammar right."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"


def printable(text: str) -> str:
    """Make text safe and one-line for a terminal, keeping one character per character.

    Whitespace controls become spaces; other controls become U+FFFD. The replacement is
    one-for-one so that column numbers computed on the original text still line up.
    """
    return _OTHER_CONTROL.sub("\ufffd", _WHITESPACE_CONTROL.sub(" ", text))


def path_display(root: str | Path, cwd: Path | None = None, *, absolute_outside: bool = True) -> Callable[[str], str]:
    """Root-relative finding paths as the user opens them from the shell (as ruff prints
    them): relative to the working directory when the project lies inside it, else absolute
    (or left root-relative, for GitHub, which resolves paths in its workspace).
    Machine formats (JSON, SARIF) keep root-relative paths and say what the root is."""
    base = Path(root)
    prefix = relative_to(base, cwd if cwd is not None else Path.cwd())
    if prefix is None:
        if not absolute_outside:
            return lambda path: path
        return lambda path: (base / path).as_posix()
    if not prefix:
        return lambda path: path
    return lambda path: f"{prefix}/{path}"


def relative_to(root: Path, cwd: Path) -> str | None:
    """root relative to cwd ('' when equal), or None when it is not inside it.

    Symlinks are resolved only as a fallback, so a root given through a symlinked cwd (as
    on macOS runners, /var -> /private/var) still maps.
    """
    for candidate, base in ((root, cwd), (root.resolve(), cwd.resolve())):
        if candidate.is_relative_to(base):
            relative = candidate.relative_to(base).as_posix()
            return "" if relative == "." else relative
    return None

"""One line per finding, `path:line:col: CODE [confidence] message`: for editors, grep and pre-commit.

The `path:line:col:` prefix is the shape that editors' problem matchers and terminals already
turn into links, so it stays exactly that. The confidence follows the code in brackets, where
ruff puts its `[*]` fixable mark: a medium or low finding must not read like a high one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from deadweight.findings import Result
from deadweight.report._common import path_display, plural, printable, sorted_errors, sorted_findings
from deadweight.rules.base import Rule


def emit_concise(result: Result, rules: Sequence[type[Rule]], out: TextIO, *, color: bool, brief: bool = False) -> None:
    """Write one line per finding, then one per unreadable file, then a one-line total.

    `color` is accepted for the common emitter interface and ignored: this format is meant to
    be parsed by other tools.
    """
    shown = path_display(result.root)
    findings = sorted_findings(result.findings)
    for finding in findings:
        location = f"{printable(shown(finding.path))}:{finding.line}:{finding.column}"
        out.write(f"{location}: {finding.code} [{finding.confidence}] {printable(finding.message)}\n")
    errors = sorted_errors(result.errors)
    for error in errors:
        out.write(f"{printable(shown(error.path))}: error: {printable(error.reason)}\n")
    if (findings or errors) and not brief:
        total = f"Found {plural(len(findings), 'finding')}"
        if errors:
            total += f"; {plural(len(errors), 'file')} could not be analyzed"
        out.write(total + ".\n")

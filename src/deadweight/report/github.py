"""GitHub Actions workflow commands: findings become annotations on the pull request diff.

GitHub attaches an annotation to a file only when its path is relative to the repository
checkout, which is the job's working directory; so paths are rewritten relative to the
current directory whenever the scan root lies inside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from deadweight.findings import Finding, Result
from deadweight.report._common import path_display, sorted_errors, sorted_findings
from deadweight.rules.base import Rule

# GitHub has error, warning and notice annotations; our "info" is their "notice".
COMMANDS: dict[str, str] = {"error": "error", "warning": "warning", "info": "notice"}


def emit_github(result: Result, rules: Sequence[type[Rule]], out: TextIO, *, color: bool, brief: bool = False) -> None:
    """Write one workflow command per finding and per unreadable file; `color` is ignored."""
    display = path_display(result.root, absolute_outside=False)
    for finding in sorted_findings(result.findings):
        out.write(_annotation(finding, display(finding.path)) + "\n")
    for error in sorted_errors(result.errors):
        properties = _properties([("file", display(error.path)), ("title", "deadweight")])
        out.write(f"::error {properties}::{escape_data(error.reason)}\n")


def _annotation(finding: Finding, path: str) -> str:
    properties = _properties(
        [
            ("file", path),
            ("line", str(finding.line)),
            ("col", str(finding.column)),
            ("endLine", str(finding.end_line)),
            ("endColumn", str(finding.end_column)),
            ("title", f"deadweight {finding.code} ({finding.rule})"),
        ]
    )
    command = COMMANDS.get(finding.severity, "warning")
    return f"::{command} {properties}::{escape_data(finding.message)}"


def _properties(pairs: Sequence[tuple[str, str]]) -> str:
    return ",".join(f"{key}={escape_property(value)}" for key, value in pairs)


def escape_data(text: str) -> str:
    """Escape a command's message, as the Actions runner unescapes it.

    Without this a newline in a message would end the command and the rest would be printed
    (or, worse, parsed as another command).
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: also `:` and `,`, which delimit the command's properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")

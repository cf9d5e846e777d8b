"""One JSON object per run, for scripts and dashboards.

The shape is `{"version", "findings", "errors", "summary"}`; a finding is exactly
`Finding.to_dict()`, so this format and the baseline agree on field names by construction.
The version is included because consumers must know which rule semantics produced the data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from deadweight import __version__
from deadweight.findings import Result
from deadweight.report._common import sorted_errors, sorted_findings
from deadweight.rules.base import Rule


def to_document(result: Result) -> dict[str, object]:
    """The JSON document as Python data (separate from writing it, for reuse and tests)."""
    return {
        "version": __version__,
        "findings": [finding.to_dict() for finding in sorted_findings(result.findings)],
        "errors": [{"path": error.path, "reason": error.reason} for error in sorted_errors(result.errors)],
        "summary": result.summary.to_dict(),
    }


def emit_json(result: Result, rules: Sequence[type[Rule]], out: TextIO, *, color: bool, brief: bool = False) -> None:
    """Write the document, indented, with a trailing newline; `color` is ignored."""
    json.dump(to_document(result), out, indent=2)
    out.write("\n")

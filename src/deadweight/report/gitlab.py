"""GitLab Code Quality: a JSON array of issues for the merge-request widget (`codequality`).

Each issue has the fields GitLab documents as required: `description`, `check_name`,
`fingerprint`, `severity` and `location.path` with `location.lines.begin`. The fingerprint is
deadweight's line-independent one, so GitLab tracks an issue across commits that move it; paths
are relative to the project root, which is where GitLab resolves them when the job runs there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TextIO

from deadweight.findings import Result
from deadweight.report._common import sorted_errors, sorted_findings
from deadweight.rules.base import Rule

# GitLab's scale: info, minor, major, critical, blocker.
SEVERITIES: dict[str, str] = {"error": "major", "warning": "minor", "info": "info"}
UNANALYZED = "deadweight/unanalyzable-file"


def to_issues(result: Result) -> list[dict[str, object]]:
    issues: list[dict[str, object]] = []
    for finding in sorted_findings(result.findings):
        fingerprint = finding.fingerprint or finding.with_fingerprint().fingerprint
        issues.append(
            {
                "description": f"{finding.code} {finding.message} ({finding.confidence} confidence)",
                "check_name": finding.code,
                "fingerprint": fingerprint,
                "severity": SEVERITIES.get(finding.severity, "minor"),
                "location": {"path": finding.path, "lines": {"begin": finding.line, "end": finding.end_line}},
                "categories": ["Bug Risk"],
            }
        )
    for error in sorted_errors(result.errors):
        digest = hashlib.sha256(f"{UNANALYZED}\0{error.path}\0{error.reason}".encode()).hexdigest()
        issues.append(
            {
                "description": f"could not be analyzed: {error.reason}",
                "check_name": UNANALYZED,
                "fingerprint": digest,
                "severity": "major",
                "location": {"path": error.path, "lines": {"begin": 1}},
                "categories": ["Bug Risk"],
            }
        )
    return issues


def emit_gitlab(result: Result, rules: Sequence[type[Rule]], out: TextIO, *, color: bool, brief: bool = False) -> None:
    """Write the report; `color` and `brief` are ignored (a machine format)."""
    json.dump(to_issues(result), out, indent=2)
    out.write("\n")

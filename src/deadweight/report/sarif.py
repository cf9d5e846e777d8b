"""SARIF 2.1.0, for code-scanning dashboards (GitHub code scanning, Azure DevOps, IDE viewers).

Consumers show a rule's documentation next to each alert and track alerts across commits, so
the driver lists every active rule with its full documentation (not only those that fired) and
every result carries our line-independent fingerprint. Paths stay relative to `%SRCROOT%`, so
the same file can be uploaded from any checkout location.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from deadweight import __version__
from deadweight.extract.facts import FileError
from deadweight.findings import Finding, Related, Result
from deadweight.report._common import rules_by_code, sorted_errors, sorted_findings
from deadweight.rules.base import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
ROOT_BASE_ID = "%SRCROOT%"
FINGERPRINT_KEY = "deadweight/v1"

# SARIF has no "info": its lowest level that still shows in a viewer is "note".
LEVELS: dict[str, str] = {"error": "error", "warning": "warning", "info": "note"}

# Tags by code family (design.md, rule catalog), so viewers can filter by kind of defect.
FAMILY_TAGS: dict[str, str] = {
    "DW1": "dead-weight",
    "DW2": "registration",
    "DW3": "configuration",
    "DW4": "dataflow",
}


def emit_sarif(result: Result, rules: Sequence[type[Rule]], out: TextIO, *, color: bool, brief: bool = False) -> None:
    """Write the SARIF log, indented, with a trailing newline; `color` is ignored."""
    json.dump(to_sarif(result, rules), out, indent=2)
    out.write("\n")


def to_sarif(result: Result, rules: Sequence[type[Rule]]) -> dict[str, object]:
    """The SARIF log as Python data (separate from writing it, for reuse and tests)."""
    findings = sorted_findings(result.findings)
    descriptors, index = _descriptors(rules, findings)
    notifications = [_notification(error) for error in sorted_errors(result.errors)]
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": "deadweight",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": descriptors,
            }
        },
        "invocations": [
            {
                # The run itself succeeded even when files failed: those are notifications.
                "executionSuccessful": True,
                "toolExecutionNotifications": notifications,
            }
        ],
        "originalUriBaseIds": {ROOT_BASE_ID: {"uri": _root_uri(result.root)}},
        # Our columns count characters (libcst positions), not UTF-16 code units.
        "columnKind": "unicodeCodePoints",
        "results": [_result(finding, index[finding.code]) for finding in findings],
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _descriptors(
    rules: Sequence[type[Rule]], findings: Sequence[Finding]
) -> tuple[list[dict[str, object]], dict[str, int]]:
    """Every active rule, sorted by code, plus any code a rule emitted under another code.

    A rule may report a sub-code (`Rule.finding(code=...)`); such a code still needs a
    descriptor for `ruleIndex` to point at, so it borrows the documentation of the rule whose
    name the finding carries.
    """
    by_code = rules_by_code(rules)
    by_name = {rule.name: rule for rule in by_code.values()}
    descriptors: list[dict[str, object]] = []
    index: dict[str, int] = {}
    for code in sorted(by_code):
        index[code] = len(descriptors)
        descriptors.append(_rule_descriptor(code, by_code[code]))
    for finding in findings:
        if finding.code not in index:
            index[finding.code] = len(descriptors)
            owner = by_name.get(finding.rule)
            if owner is not None:
                descriptors.append(_rule_descriptor(finding.code, owner))
            else:
                level = _level(finding.severity)
                descriptors.append({"id": finding.code, "name": finding.rule, "defaultConfiguration": {"level": level}})
    return descriptors, index


def _rule_descriptor(code: str, rule: type[Rule]) -> dict[str, object]:
    """A rule's documentation in SARIF's reportingDescriptor shape."""
    rationale = inspect.cleandoc(rule.rationale)
    fix = inspect.cleandoc(rule.fix)
    tags = ["pytorch"]
    family = FAMILY_TAGS.get(code[:3])
    if family is not None:
        tags.append(family)
    if rule.preview:
        tags.append("preview")
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": inspect.cleandoc(rule.summary)},
        "fullDescription": {"text": rationale},
        "help": {
            "text": f"{rationale}\n\nHow to fix: {fix}",
            "markdown": f"{rationale}\n\n**How to fix:** {fix}\n\nThe rule's page, with examples: {rule.docs_page()}.",
        },
        "defaultConfiguration": {"level": _level(rule.severity)},
        "properties": {"tags": tags, "preview": rule.preview},
    }


def _result(finding: Finding, rule_index: int) -> dict[str, object]:
    """One finding as a SARIF result, its facts kept in `properties` for scripts."""
    fingerprint = finding.fingerprint or finding.with_fingerprint().fingerprint
    return {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": _level(finding.severity),
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(finding.path),
                    "region": {
                        "startLine": finding.line,
                        "startColumn": finding.column,
                        "endLine": finding.end_line,
                        "endColumn": finding.end_column,
                    },
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "relatedLocations": [_related(position, related) for position, related in enumerate(finding.related)],
        "properties": {
            "confidence": finding.confidence,
            "class": finding.class_name,
            "attribute": finding.attribute,
            "defined_in": finding.defined_in,
            **({"dotted_names": list(finding.dotted_names)} if finding.dotted_names else {}),
        },
    }


def _related(position: int, related: Related) -> dict[str, object]:
    """A related location; its id lets a message link to it as `[text](id)`."""
    return {
        "id": position,
        "physicalLocation": {
            "artifactLocation": _artifact(related.path),
            "region": {"startLine": related.line, "startColumn": related.column},
        },
        "message": {"text": related.message},
    }


def _notification(error: FileError) -> dict[str, object]:
    """A file that could not be analyzed: reported, but it did not fail the run."""
    return {
        "level": "error",
        "message": {"text": error.reason},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(error.path)}}],
    }


def _artifact(path: str) -> dict[str, str]:
    """A relative URI reference under %SRCROOT% (percent-encoded: paths may hold spaces)."""
    return {"uri": quote(path, safe="/"), "uriBaseId": ROOT_BASE_ID}


def _root_uri(root: str) -> str:
    """file:// URI of the scan root; the trailing slash makes relative URIs resolve under it."""
    path = Path(root)
    uri = (path if path.is_absolute() else path.resolve()).as_uri()
    return uri if uri.endswith("/") else f"{uri}/"


def _level(severity: str) -> str:
    return LEVELS.get(severity, "warning")

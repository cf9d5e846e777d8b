"""Findings and the result of a run: what every reporter, the baseline and the tests consume.

A finding carries the facts a maintainer needs to decide (where the weight is defined, which
reads did not count, which override dropped it), because fixing a dead weight renames keys of
released checkpoints; a bare verdict is not enough.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from deadweight.extract.facts import FileError

SEVERITIES = ("error", "warning", "info")


class Confidence(str, Enum):
    """How sure a finding is; ordered low < medium < high (`--min-confidence`).

    A `str` enum, so it serialises as its value in JSON and SARIF and compares equal to the
    strings config files and old cached results hold.
    """

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def rank(self) -> int:
        return CONFIDENCES.index(self)


CONFIDENCES: tuple[Confidence, ...] = (Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH)


def confidence_rank(confidence: str) -> int:
    """low < medium < high, for `--min-confidence` comparisons."""
    return Confidence(confidence).rank


@dataclass(frozen=True, slots=True)
class Related:
    """Another location that explains a finding: a read that did not count, an override."""

    path: str
    line: int
    column: int
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    rule: str
    severity: str
    confidence: Confidence
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    class_name: str  # the class in which the weight is dead ("class" in JSON)
    attribute: str
    defined_in: str
    related: tuple[Related, ...] = ()
    fingerprint: str = ""
    # For a finding about a suppression comment (DW001): the codes of the comment it is about,
    # "*" for a bare directive. What `--fix` removes; empty for every other finding.
    codes: tuple[str, ...] = ()
    # Other classes the same finding is about (sibling subclasses that each drop one base's
    # weight, DW103): their `class` lines silence it too. Empty for most findings.
    also_classes: tuple[str, ...] = ()
    # DW1: the weight's keys as DDP and state_dict() name them under each root model that holds
    # it (`Net: blocks.*.attn.q_norm.weight`; `*` an index that is not a constant).
    dotted_names: tuple[str, ...] = ()
    # Not reported: the place a rule reports once however many classes reach it (a statement
    # of a base's forward), so that units judged apart keep only the first class's finding.
    claim: tuple[str, int, int] | None = field(default=None, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.confidence, Confidence):  # read back from JSON or a plugin's string
            object.__setattr__(self, "confidence", Confidence(self.confidence))

    def with_fingerprint(self) -> Finding:
        return replace(self, fingerprint=fingerprint(self.code, self.path, self.class_name, self.attribute))

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        # class last: one weight dead in several subclasses must still sort the same every run
        return (self.path, self.line, self.column, self.code, self.attribute, self.class_name)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of a finding (design.md field names)."""
        return {
            "code": self.code,
            "rule": self.rule,
            "severity": self.severity,
            "confidence": self.confidence,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "class": self.class_name,
            "attribute": self.attribute,
            "defined_in": self.defined_in,
            "related": [
                {"path": r.path, "line": r.line, "column": r.column, "message": r.message} for r in self.related
            ],
            "fingerprint": self.fingerprint,
            **({"codes": list(self.codes)} if self.codes else {}),
            **({"also_classes": list(self.also_classes)} if self.also_classes else {}),
            **({"dotted_names": list(self.dotted_names)} if self.dotted_names else {}),
        }


def fingerprint(code: str, path: str, class_name: str, attribute: str) -> str:
    """Stable across edits that only move lines: rule + file + owner + attribute, no numbers."""
    key = "\x1f".join((code, path, class_name, attribute))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def distinct_fingerprints(findings: Iterable[Finding]) -> list[Finding]:
    """The findings (in report order) with no two sharing a fingerprint.

    Rule, file, class and attribute do not always tell findings apart: three discarded calls of
    one submodule in a forward are three DW401. A baseline that recorded one of them would
    otherwise hide the two others, and any new one. The first keeps the plain fingerprint (old
    baselines still match it); the n-th of the same key gets `#n` after its attribute, so moving
    lines keeps every fingerprint as long as the findings keep their order.
    """
    seen: dict[str, int] = {}
    out = []
    # Ties in report order are broken by the rest of the finding, so the ordinals never
    # depend on set iteration order.
    for f in sorted(findings, key=lambda f: (f.sort_key(), f.end_line, f.end_column, f.message, str(f.confidence))):
        n = seen.get(f.fingerprint, 0) + 1
        seen[f.fingerprint] = n
        if n > 1:
            f = replace(f, fingerprint=fingerprint(f.code, f.path, f.class_name, f"{f.attribute}#{n}"))
        out.append(f)
    return out


@dataclass(slots=True)
class Summary:
    files: int = 0  # files analyzed (facts extracted)
    errors: int = 0
    findings: int = 0  # reported
    by_code: dict[str, int] = field(default_factory=dict)
    by_confidence: dict[str, int] = field(default_factory=dict)
    hidden_low_confidence: int = 0  # below --min-confidence, not reported
    suppressed: int = 0  # by inline comments
    baselined: int = 0  # hidden by the baseline
    baseline_stale: int | None = None  # baseline entries that matched nothing; None: no baseline used
    seconds: float = 0.0
    environment_files: int = 0  # files read from the environment to resolve base classes
    generated_sources: int = 0  # `modular_x.py` left out: the `modeling_x.py` generated from it is judged
    classes: int = 0  # classes in the analyzed project
    modules: int = 0  # of those, judged as modules
    modules_from_evidence: int = 0  # judged from their own code because a base is not resolved
    # Classes that create weights but were not judged, per unresolved base:
    # [{"base": "pkg.mod.BaseModule", "classes": 212, "example": "path::Class"}]
    not_judged: list[dict[str, object]] = field(default_factory=list)
    # With files as arguments or --diff-base: how many files the report was limited to, and
    # how many reported findings sit in another file but involve one of them (None: all files).
    reported_files: int | None = None
    reported_through_related: int = 0

    def recount(self, reported: Sequence[Finding]) -> None:
        """Per-code and per-confidence counts of the findings a run reports."""
        self.findings = len(reported)
        self.by_code.clear()
        self.by_confidence.clear()
        for f in reported:
            self.by_code[f.code] = self.by_code.get(f.code, 0) + 1
            self.by_confidence[f.confidence] = self.by_confidence.get(f.confidence, 0) + 1

    def to_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "errors": self.errors,
            "findings": self.findings,
            "by_code": dict(sorted(self.by_code.items())),
            "by_confidence": {c: self.by_confidence.get(c, 0) for c in reversed(CONFIDENCES)},
            "hidden_low_confidence": self.hidden_low_confidence,
            "suppressed": self.suppressed,
            "baselined": self.baselined,
            **({"baseline_stale": self.baseline_stale} if self.baseline_stale is not None else {}),
            "seconds": round(self.seconds, 3),
            "environment_files": self.environment_files,
            "generated_sources": self.generated_sources,
            "classes": self.classes,
            "modules_judged": self.modules,
            "modules_from_evidence": self.modules_from_evidence,
            "not_judged": self.not_judged,
            **(
                {"reported_files": self.reported_files, "reported_through_related": self.reported_through_related}
                if self.reported_files is not None
                else {}
            ),
        }


@dataclass(slots=True)
class Result:
    """Everything a reporter needs: findings to show, files that failed, and the counts."""

    root: str  # absolute path of the scan root; finding paths are relative to it
    findings: list[Finding]
    errors: list[FileError]
    summary: Summary
    # Baseline entries that matched nothing in this run, as one-line descriptions.
    stale_baseline: list[str] = field(default_factory=list)
    # One-line notes on what could not be read (a broken environment, an unparsable base).
    warnings: list[str] = field(default_factory=list)

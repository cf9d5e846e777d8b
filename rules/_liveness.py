"""Shared base for the DW1xx rules that report a weight's single liveness verdict."""

from __future__ import annotations

from collections.abc import Iterable

from deadweight.findings import Finding
from deadweight.project import Project, Weight
from deadweight.rule import Rule
from deadweight.verdicts import Verdict, verdict


class LivenessRule(Rule):
    """Reports the weights whose verdict carries this rule's code."""

    def check(self, project: Project) -> Iterable[Finding]:
        for w, v in verdicts_by_code(project).get(self.code, ()):
            yield self.finding(w, v.message, confidence=v.confidence, related=v.related)


def verdicts_by_code(project: Project) -> dict[str, list[tuple[Weight, Verdict]]]:
    """Every weight's verdict, decided once per project and shared by the four rules."""
    cached = project.memo.get("liveness-verdicts")
    if cached is None:
        cached = {}
        analysis = project.analysis
        for w in project.all_weights():
            v = verdict(project, analysis.liveness(w))
            if v is not None:
                cached.setdefault(v.code, []).append((w, v))
        project.memo["liveness-verdicts"] = cached
    return cached  # type: ignore[return-value]

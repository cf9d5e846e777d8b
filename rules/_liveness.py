"""Shared base for the DW1xx rules that report a weight's single liveness verdict."""

from __future__ import annotations

from collections.abc import Iterable

from deadweight.findings import Finding
from deadweight.project import Project
from deadweight.rule import Rule
from deadweight.verdicts import verdict


class LivenessRule(Rule):
    """Reports the weights whose verdict carries this rule's code."""

    def check(self, project: Project) -> Iterable[Finding]:
        analysis = project.analysis
        for w in project.all_weights():
            v = verdict(project, analysis.liveness(w))
            if v is not None and v.code == self.code:
                yield self.finding(w, v.message, confidence=v.confidence, related=v.related)

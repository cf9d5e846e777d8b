"""Shared base for the DW1xx rules that report a weight's single liveness verdict."""

from __future__ import annotations

from collections.abc import Iterable

from deadweight.findings import Finding
from deadweight.rules.base import Rule
from deadweight.rules.context import Context


class LivenessRule(Rule):
    """Reports the weights whose verdict carries this rule's code."""

    def check(self, ctx: Context) -> Iterable[Finding]:
        for w, v in ctx.verdicts.get(self.code, ()):
            yield self.finding(w, v.message, confidence=v.confidence, related=v.related)

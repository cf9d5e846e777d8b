"""What every rule is handed: one typed context per run, built once, shared by all rules.

Rules read the linked project (classes, weights, resolution), reachability (which methods an
entry point reaches, who reads what) and the liveness verdicts that DW101-DW105 share. The
verdicts are computed on first use and then reused, so four rules judging the same weights
cost one judgement.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property

from deadweight.extract.facts import FileFacts, MethodFacts
from deadweight.findings import Finding, distinct_fingerprints
from deadweight.model.dotted import Holders, weight_names
from deadweight.model.project import ClassInfo, Project, Weight
from deadweight.model.reach import Analysis
from deadweight.model.tree import weight_node
from deadweight.model.verdicts import Verdict, verdict
from deadweight.rules.base import Rule
from deadweight.settings import Settings


@dataclass
class Context:
    project: Project
    reach: Analysis
    settings: Settings = field(default_factory=Settings)

    @classmethod
    def build(cls, facts: list[FileFacts], settings: Settings) -> Context:
        project = Project(facts, settings)
        return cls(project, Analysis(project), settings)

    @cached_property
    def _verdicts(self) -> list[tuple[Weight, Verdict]]:
        out = []
        for w in self.project.all_weights():
            v = verdict(self.project, self.reach, self.reach.liveness(w))
            if v is not None:
                out.append((w, v))
        return out

    @cached_property
    def verdicts(self) -> dict[str, list[tuple[Weight, Verdict]]]:
        """Every weight's liveness verdict, grouped by the rule code it carries."""
        out: dict[str, list[tuple[Weight, Verdict]]] = {}
        for w, v in self._verdicts:
            out.setdefault(v.code, []).append((w, v))
        return out

    @cached_property
    def _verdict_by_weight(self) -> dict[int, Verdict]:
        return {id(w): v for w, v in self._verdicts}

    def reached_methods(self) -> Iterator[tuple[ClassInfo, ClassInfo, MethodFacts]]:
        """(judged class, defining class, method) for every method an entry point reaches.

        A base-class method reached from several subclasses is yielded once per subclass; rules
        deduplicate by location.
        """
        for info in self.project.module_classes():
            if self.reach.is_judged(info):
                for cls, m in self.reach.reachable(info).values():
                    yield info, cls, m

    @cached_property
    def statement_sites(self) -> list[tuple[ClassInfo, ClassInfo, MethodFacts]]:
        """`reached_methods` narrowed to the non-init methods that record statements, in the
        same order: the rules that read statements each walked all ~400,000 (judged class,
        method) pairs of transformers for the few thousand methods that have any."""
        return [
            (info, cls, m)
            for info, cls, m in self.reached_methods()
            if m.statements and not self.project.is_init(m.name)
        ]

    def verdict(self, weight: Weight) -> Verdict | None:
        """The liveness verdict of one weight of `project.all_weights()`, or None if it is live."""
        return self._verdict_by_weight.get(id(weight))


def run_rules(facts: list[FileFacts], settings: Settings, rules: list[type[Rule]]) -> list[Finding]:
    """Every selected rule over one shared context; findings deduplicated and in report order."""
    return run_rules_on(Context.build(facts, settings), rules)


def run_rules_on(ctx: Context, rules: list[type[Rule]]) -> list[Finding]:
    out: list[Finding] = []
    for rule in rules:
        out.extend(rule().check(ctx))
    return distinct_fingerprints(_with_dotted_names(ctx, _folded(set(out), rules)))


def _with_dotted_names(ctx: Context, findings: list[Finding]) -> list[Finding]:
    """Each DW1 finding names the weight's keys under the root models that hold it."""
    by_key = {(w.path, w.owner, w.name): w for w in ctx.project.all_weights()}
    holders = Holders(ctx.project)
    out = []
    for f in findings:
        w = by_key.get((f.path, f.defined_in, f.attribute)) if f.code.startswith("DW1") else None
        if w is not None:
            leaf = weight_node(ctx.project, ctx.reach, w.cls, w) if w.kind == "module" else None
            v = ctx.verdict(w)
            elements = v.elements if v is not None and v.code == f.code else ()
            f = replace(f, dotted_names=weight_names(holders, w, leaf, elements))
        out.append(f)
    return out


def _folded(findings: set[Finding], rules: list[type[Rule]]) -> list[Finding]:
    """One finding per defect: a finding whose rule `folds_into` another code reported for the
    same weight at the same place is merged into that finding (DW301 into the DW101 of the
    weight its ignored flag creates), and reported apart only when that rule did not run or
    did not report."""
    folding = {r.code: r for r in rules if r.folds_into}
    if not folding:
        return list(findings)
    by_place: dict[tuple[str, int, int, str, str], list[Finding]] = {}
    for f in sorted(findings, key=Finding.sort_key):
        by_place.setdefault((f.path, f.line, f.column, f.class_name, f.attribute), []).append(f)
    out: list[Finding] = []
    for group in by_place.values():
        for f in [g for g in group if g.code in folding]:
            rule = folding[f.code]
            target = next((t for t in group if t.code in rule.folds_into), None)
            if target is not None:
                group[group.index(target)] = rule.fold(f, target)
                group.remove(f)
        out.extend(group)
    return out

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
from deadweight.model import deps
from deadweight.model.contributed import Family
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
    # One unit of judgement: the path of the file whose classes the rules judge (None: all).
    # What any rule reads about other classes is the same in every unit; only what it
    # iterates is scoped.
    scope: str | None = None
    holders: Holders | None = None

    @classmethod
    def build(cls, facts: list[FileFacts], settings: Settings) -> Context:
        deps.reset()  # what an earlier run in this process touched outside its units
        project = Project(facts, settings)
        return cls(project, Analysis(project), settings, holders=Holders(project))

    def unit(self, path: str) -> Context:
        return Context(self.project, self.reach, self.settings, scope=path, holders=self.holders)

    def units(self) -> list[str]:
        """The project's own files that define classes, in the order a whole run judges them."""
        return [p for p, classes in self.project.by_file.items() if not classes[0].external]

    def build_indexes(self) -> None:
        """Every project-wide index a unit may look up (see rules.incremental)."""
        self.reach.build_indexes()
        self._holders().edges()

    def families(self) -> dict[str, Family]:
        """The indexes kept per contributor (`model.contributed`), in the order an incremental
        run compares them."""
        return {"holders": self.reach.holder_family(), "held_by": self._holders().family()}

    def _holders(self) -> Holders:
        if self.holders is None:
            self.holders = Holders(self.project)
        return self.holders

    def module_classes(self) -> list[ClassInfo]:
        return self.project.module_classes(self.scope)

    def all_weights(self) -> list[Weight]:
        return self.project.all_weights(self.scope)

    @cached_property
    def _verdicts(self) -> list[tuple[Weight, Verdict]]:
        out = []
        for w in self.all_weights():
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
        for info in self.module_classes():
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
        """The liveness verdict of one weight of `all_weights()`, or None if it is live."""
        return self._verdict_by_weight.get(id(weight))


def run_rules(facts: list[FileFacts], settings: Settings, rules: list[type[Rule]]) -> list[Finding]:
    """Every selected rule over one shared context; findings deduplicated and in report order."""
    return run_rules_on(Context.build(facts, settings), rules)


@dataclass
class UnitResult:
    """What judging one file's classes found, and every input it read (`model.deps`)."""

    path: str
    findings: list[Finding]
    deps: frozenset[str]


def run_rules_on(ctx: Context, rules: list[type[Rule]]) -> list[Finding]:
    return merge([judge_unit(ctx.unit(path), rules) for path in ctx.units()])


def judge_unit(ctx: Context, rules: list[type[Rule]]) -> UnitResult:
    """Every rule over the classes of one file, recording what they read."""
    assert ctx.scope is not None
    with deps.unit() as read:
        out: list[Finding] = []
        for rule in rules:
            out.extend(rule().check(ctx))
        found = _with_dotted_names(ctx, _folded(set(out), rules))
        for f in [*out, *found]:  # its places are read off the positions of the files it points into
            deps.position(f.path)
            for r in f.related:
                deps.position(r.path)
            if f.claim is not None:
                deps.position(f.claim[0])
    return UnitResult(ctx.scope, found, frozenset(read))


def merge(units: list[UnitResult]) -> list[Finding]:
    """The findings of a whole run from its units, in the units' order (a whole run's): a
    place reported once however many classes reach it keeps the first unit's finding."""
    claimed: set[tuple[str, str, int, int]] = set()
    out: list[Finding] = []
    for u in units:
        mine: set[tuple[str, str, int, int]] = set()
        for f in u.findings:
            if f.claim is not None:
                key = (f.code, *f.claim)
                if key in claimed:
                    continue
                mine.add(key)
            out.append(f)
        claimed |= mine
    return distinct_fingerprints(set(out))


def _with_dotted_names(ctx: Context, findings: list[Finding]) -> list[Finding]:
    """Each DW1 finding names the weight's keys under the root models that hold it."""
    by_key = {(w.path, w.owner, w.name): w for w in ctx.all_weights()}
    holders = ctx._holders()
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

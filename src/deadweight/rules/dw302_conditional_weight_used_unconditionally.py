from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from deadweight.extract import facts as F
from deadweight.findings import Confidence, Finding, Related
from deadweight.model.project import ClassInfo, Project, Weight
from deadweight.model.reach import Analysis
from deadweight.model.verdicts import describe, explain_confidence
from deadweight.rules._common import short
from deadweight.rules.base import Rule
from deadweight.rules.context import Context

_STRING_CHOICE = re.compile(r"(==|!=|\bin)\s*[\[(]?\s*[rbf]?['\"]")


def only_conditional(w: Weight) -> bool:
    """Some configuration leaves the weight `None` or unset (not an if/else with two weights)."""
    weighty = [x for x in w.writes if x.kind in (F.PARAMETER, F.BUFFER, F.MODULE, F.TENSOR, F.OTHER)]
    if any(not x.conditional for x in weighty):
        return False
    nones = [x for x in w.writes if x.kind == F.NONE and x.conditional]  # `else: self.x = None`
    cond = [x for x in weighty if x.kind in (F.PARAMETER, F.BUFFER, F.MODULE) and x.condition]
    if not cond:
        return False
    # `if norm_type == "layer_norm": ... else: raise ValueError(...)`: an enum-like choice whose
    # other branches usually raise or build something under another name
    if any(_STRING_CHOICE.search(x.condition or "") for x in cond):
        return False
    if nones:
        return True
    # `if a: self.x = A() else: self.x = B()`: two writes under the same `if` statement
    by_stmt: dict[int, int] = {}
    for x in weighty:
        by_stmt[x.statement] = by_stmt.get(x.statement, 0) + 1
    return all(n == 1 for n in by_stmt.values())


class ConditionalWeightUsedUnconditionally(Rule):
    code = "DW302"
    name = "conditional-weight-used-unconditionally"
    summary = "A weight created only under a condition but used in forward without a guard"
    preview = True
    rationale = (
        "When `__init__` creates a weight only for some configurations (`if use_bias:` or "
        "`X if flag else None`) but forward uses it unconditionally, the other configurations "
        "crash with `AttributeError` or `'NoneType' object is not callable` the first time they "
        "are run, typically in a config that no test or CI job exercises."
    )
    fix = (
        "Guard the use with the same condition (`if self.bias is not None:`), or create a neutral "
        "weight in the other branch (`nn.Identity()`, a zero bias). Neither changes checkpoint "
        "keys of the configurations that already work."
    )
    fix_availability = "none"
    fix_safety = (
        "No automatic fix: guarding the use or always creating the weight changes outputs or checkpoint "
        "keys of one configuration."
    )
    bad = (
        """
import torch
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim, use_norm=True, use_bias=False):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim) if use_norm else None
        if use_bias:
            self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        x = self.norm(x)  # expect: DW302
        return self.fc(x) + self.bias  # expect: DW302
""",
    )
    good = (
        """
import torch
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim, use_norm=True, use_bias=False, pre=True):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim) if use_norm else None
        if use_bias:
            self.bias = nn.Parameter(torch.zeros(dim))
        if pre:
            self.proj = nn.Linear(dim, dim)
        else:
            self.proj = nn.Linear(dim, dim, bias=False)
        self.act = nn.GELU() if use_norm else nn.Identity()
        self.gate = None
        self.gate = nn.Linear(dim, 1)
        self.out = None
        if pre:
            self.out = nn.Linear(dim, dim)
        else:
            self.out = nn.Identity()

    def forward(self, x):
        if self.norm is not None:
            x = self.norm(x)
        x = self.out(self.act(self.proj(self.fc(x))) * self.gate(x))
        if not hasattr(self, "bias"):
            return x
        return x + self.bias
""",
        # hard negative: a sibling created by the same `if` is tested first (reparameterised
        # inference branch returns early), and a caller guarded by a mode attribute
        """
import torch.nn as nn

class RepBlock(nn.Module):
    def __init__(self, dim, inference_mode=False, mode="learned"):
        super().__init__()
        if inference_mode:
            self.reparam = nn.Linear(dim, dim)
            self.branch = None
        else:
            self.reparam = None
            self.branch = nn.Linear(dim, dim)
        self.mode = mode
        if mode == "learned":
            self.pos = nn.Linear(dim, dim)

    def forward(self, x):
        if self.reparam is not None:
            return self.reparam(x)
        x = self.branch(x)
        if self.mode == "learned":
            x = self._add_pos(x)
        return x

    def _add_pos(self, x):
        return self.pos(x)
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        project = ctx.project
        analysis = ctx.reach
        seen: set[tuple[str, int, int]] = set()
        for info in ctx.module_classes():
            if not analysis.is_judged(info):
                continue
            candidates: dict[str, Weight] = {}
            for c in reversed(info.mro):
                for w in project.weights(c):
                    candidates[w.name] = w
            candidates = {
                n: w for n, w in candidates.items() if only_conditional(w) and not self._set_elsewhere(project, info, n)
            }
            if not candidates:
                continue
            reached = list(analysis.reachable(info).values())
            tested = self._tested(analysis, reached, candidates)
            for cls, m in reached:
                if project.is_init(m.name):
                    continue
                for r in analysis.reads(cls, m.name):
                    name = r.chain[0]
                    if name not in candidates or name in tested or r.kind != F.VALUE or r.guarded_by is not None:
                        continue
                    key = (cls.path, r.span.line, r.span.column)
                    if key in seen:
                        continue
                    seen.add(key)
                    yield replace(self._report(info, cls, m.name, r, candidates[name]), claim=key)

    @staticmethod
    def _set_elsewhere(project: Project, info: ClassInfo, name: str) -> bool:
        """Set unconditionally by a base class or outside the builder methods (lazy creation)."""
        for c in info.mro:
            for x in c.facts.writes:
                if x.attr != name:
                    continue
                if c is not info and not x.conditional and x.kind != F.NONE:
                    return True
                if not project.is_init(x.method) and x.kind != F.NONE:
                    return True
        return False

    @staticmethod
    def _tested(
        analysis: Analysis, reached: Iterable[tuple[ClassInfo, F.MethodFacts]], candidates: dict[str, Weight]
    ) -> set[str]:
        """Weights whose presence some reachable code tests (`is None`, `hasattr`, a flag).

        A test counts when it names the weight, a flag of its creating condition, or a sibling
        attribute created by the same `if` statement (`if self.reparam is not None: return`).
        """
        words: dict[str, set[str]] = {}
        for n, w in candidates.items():
            ws = {n}
            for x in w.writes:
                if x.condition:
                    ws.update(re.findall(r"[A-Za-z_]\w*", x.condition))
            stmts = {(x.method, x.statement) for x in w.writes if x.conditional}
            ws.update(o.attr for o in w.cls.facts.writes if (o.method, o.statement) in stmts)
            words[n] = ws
        out: set[str] = set()
        for cls, m in reached:
            for r in analysis.reads(cls, m.name):
                tests = r.kind in (F.NONE_TEST, F.TRUTH, F.ASSERTED, F.HASATTR)
                guard_attrs = set(re.findall(r"self\.(\w+)", r.guarded_by or ""))
                for name, ws in words.items():
                    if name in out:
                        continue
                    if (tests and r.chain[0] in ws) or guard_attrs & ws:
                        out.add(name)
        return out

    def _report(self, info: ClassInfo, cls: ClassInfo, method: str, r: F.Read, w: Weight) -> Finding:
        cond = next((x.condition for x in w.writes if x.condition), None)
        msg = (
            f"{describe(w)} exists only when `{short(cond)}`, but `{cls.name}.{method}` uses it without a "
            "guard: other configurations fail with `AttributeError` or a call on `None`; guard the use "
            "or create a neutral weight (`nn.Identity()`) in the other branch"
        )
        # Not high: which configurations can reach this use is decided by callers and configs
        # that the module's own code does not show.
        why = "the configurations that skip the creation may never reach this method"
        msg = explain_confidence(msg, Confidence.MEDIUM, [why])
        related = [Related(w.path, w.write.span.line, w.write.span.column, "created conditionally here")]
        return self.finding_at(
            cls.path, r.span, info.name, w.name, msg, confidence=Confidence.MEDIUM, defined_in=w.owner, related=related
        )

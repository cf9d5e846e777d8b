from __future__ import annotations

from collections.abc import Iterable

from deadweight.extract import facts as F
from deadweight.findings import Confidence, Finding
from deadweight.model.project import ClassInfo
from deadweight.rules._common import at
from deadweight.rules.base import Rule
from deadweight.rules.context import Context


class KeepAliveTerm(Rule):
    code = "DW403"
    name = "keep-alive-term"
    summary = "A weight kept 'used' by a term multiplied by zero (the DDP unused-parameter hack)"
    severity = "info"
    rationale = (
        "`loss + 0.0 * self.head.weight.sum()` or `0 * sum(p.sum() for p in "
        "self.vision.parameters())` silences DistributedDataParallel's 'parameters that were "
        "not used in producing loss' error without using the weight: it receives an all-zero "
        "gradient, so it is still not trained, yet weight decay and optimizer state keep "
        "touching it and every checkpoint carries it. The hack hides the dead weight it was "
        "written for; deadweight does not count it as a use (DW101 still reports the weight)."
    )
    fix = (
        "Decide whether the weight should take part in the computation: use it for real, freeze "
        "it (`requires_grad_(False)`) for the configurations that skip it, or remove it. Removing "
        "it drops its checkpoint keys: load released checkpoints with `strict=False` or drop the "
        "keys in `_load_from_state_dict`. If the hack must stay, `find_unused_parameters=True` "
        "in DDP states the intent more honestly."
    )
    fix_availability = "none"
    fix_safety = (
        "No automatic fix: removing the zero-multiplied term brings back DDP's unused-parameter error "
        "unless the weight itself is fixed or `find_unused_parameters=True` is set."
    )
    bad = (
        """
import torch.nn as nn

class Model(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.vision = nn.Linear(dim, dim)
        self.text = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, 2)

    def forward(self, x):
        loss = self.text(x).sum()
        loss = loss + 0.0 * self.head.weight.sum()  # expect: DW403
        loss = loss + 0 * sum(p.sum() for p in self.vision.parameters())  # expect: DW403
        return loss
""",
    )
    good = (
        """
import torch.nn as nn

class Model(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.text = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, 2)
        self.scale = 0.0

    def forward(self, x):
        loss = self.text(x).sum()
        loss = loss + 0.1 * self.head.weight.sum()
        return loss + self.scale * x.sum()
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        seen: set[tuple[str, int, int]] = set()
        for info in ctx.module_classes():
            for r in info.facts.reads:
                if r.kind != F.KEEPALIVE:
                    continue
                key = (info.path, r.span.line, r.span.column)
                if key in seen:
                    continue
                seen.add(key)
                chain = ".".join(r.chain)
                others = self._other_uses(ctx, info, r.chain[0])
                if others:
                    msg = (
                        f"`self.{chain}` is multiplied by zero here, a keep-alive term; it is also used in "
                        f"{', '.join(others[:3])}, so the term only silences DDP's unused-parameter error in "
                        "configurations where that use does not run (low confidence: likely deliberate)"
                    )
                    yield at(self, info, r.span, r.chain[0], msg, confidence=Confidence.LOW)
                    continue
                msg = (
                    f"`self.{chain}` appears only in a term multiplied by zero: a keep-alive hack that "
                    f"silences DDP's unused-parameter error while `{r.chain[0]}` still gets a zero "
                    "gradient; use the weight, freeze it, or remove it"
                )
                yield at(self, info, r.span, r.chain[0], msg, confidence=Confidence.HIGH)

    @staticmethod
    def _other_uses(ctx: Context, info: ClassInfo, name: str) -> list[str]:
        """Where else the weight is used for its value (then the zero term is a fallback)."""
        project = ctx.project
        weight = next((w for c in info.mro for w in project.weights(c) if w.name == name), None)
        if weight is None:
            return []
        lv = ctx.reach.liveness(weight)
        out = [f"`{u.where}`" for u in [*lv.value_uses, *lv.holder_uses]]
        if lv.passed_self:
            out.append("a function the module is passed to")
        return sorted(set(out))

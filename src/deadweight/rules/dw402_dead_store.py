from __future__ import annotations

from collections.abc import Iterable

from deadweight.findings import Confidence, Finding
from deadweight.model.verdicts import explain_confidence
from deadweight.rules._common import at, weight_statements
from deadweight.rules.base import Rule
from deadweight.rules.context import Context


class DeadStore(Rule):
    code = "DW402"
    name = "dead-store"
    summary = "A value computed from a submodule in forward and never used"
    rationale = (
        "`h = self.proj(x)` whose `h` is never read (or is overwritten before any read) spends "
        "compute on a layer whose result never reaches the output, so the layer gets no "
        "gradient and the model is not the architecture it claims: a dropped residual branch, "
        "an attention output replaced by its input, a typo between `x` and `h`."
    )
    fix = (
        "Use the value where it was meant to go (`x = x + h`), or delete the computation (and "
        "the layer, if nothing else uses it: that drops its checkpoint keys; load released "
        "checkpoints with `strict=False` or drop the keys in `_load_from_state_dict`)."
    )
    fix_availability = "none"
    fix_safety = "No automatic fix: the computed value may be what forward should have returned."
    bad = (
        """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.attn = nn.Linear(dim, dim)
        self.mlp = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        h = self.attn(x)  # expect: DW402
        x = x + self.mlp(x)
        out = self.proj(x)  # expect: DW402
        out = x * 2
        return out
""",
    )
    good = (
        """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.attn = nn.Linear(dim, dim)
        self.mlp = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        h = self.attn(x)
        if x.dim() > 2:
            h = self.norm(h)
        x = x + h
        for _ in range(3):
            prev = self.mlp(x)
            x = x + 1
        y = self.mlp(x)
        fn = lambda: y
        _unused = self.norm(x)
        return fn() + prev

    def helper(self, x):
        h = self.attn(x)
        return x
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        for info, cls, m, s, w in weight_statements(ctx, "dead_store"):
            call = ".".join(s.chain)
            msg = (
                f"`{s.name} = ...self.{call}(...)` in `{cls.name}.{m.name}` is never used afterwards "
                f"(never read, or overwritten first): `{w.name}`'s result does not reach the output "
                "and gets no gradient from this call; use it or remove the computation"
            )
            msg = explain_confidence(msg, Confidence.MEDIUM, [_WHY_MEDIUM])
            claim = (cls.path, s.span.line, s.span.column)
            yield at(self, info, s.span, w.name, msg, confidence=Confidence.MEDIUM, defined_in=w.owner, claim=claim)


# A dead store is sometimes left on purpose (a placeholder for work in progress, a value kept for
# a debugger): the code alone does not say which, so the finding is never high.
_WHY_MEDIUM = "the computation may be a placeholder left on purpose, which the code alone cannot rule out"

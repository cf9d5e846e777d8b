"""DW404: forward stores a submodule's output over the submodule (`self.down = self.down(h)`)."""

from __future__ import annotations

from collections.abc import Iterable

from deadweight.findings import Confidence, Finding
from deadweight.rules._common import at, weight_statements
from deadweight.rules.base import Rule
from deadweight.rules.context import Context


class ModuleOverwrittenByOutput(Rule):
    code = "DW404"
    name = "module-overwritten-by-output"
    summary = "Forward stores a submodule's output over the submodule itself (`self.down = self.down(h)`)"
    rationale = (
        "The result was meant for a local (`h = self.down(h)`). Stored on `self` instead, it "
        "replaces the submodule: `nn.Module.__setattr__` refuses a tensor in the place of a "
        "registered child and raises `TypeError` (a submodule can only be replaced by a module or "
        "`None`), so the path that reaches the line has never run; and even where it could, the "
        "value lands on `self` instead of in the local the code goes on with. A configuration that nobody ran ships broken, "
        "and the layer's weights are trained in none of them."
    )
    fix = (
        "Assign the output to the local it was meant for (`h = self.down(h)`). Nothing about the "
        "weights changes, so checkpoints are unaffected."
    )
    fix_availability = "none"
    fix_safety = (
        "No automatic fix: which local should receive the output is for the author to say (usually "
        "the call's own argument)."
    )
    bad = (
        """
import torch.nn as nn

class Encoder(nn.Module):
    def __init__(self, dim, downsample=False):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)
        self.down = nn.AvgPool2d(2) if downsample else None

    def forward(self, x):
        h = self.conv(x)
        if self.down is not None:
            self.down = self.down(h)  # expect: DW404
        return h
""",
    )
    good = (
        """
import torch.nn as nn

class Encoder(nn.Module):
    def __init__(self, dim, downsample=False):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)
        self.down = nn.AvgPool2d(2) if downsample else None
        self.state = None

    def forward(self, x):
        h = self.conv(x)
        if self.down is not None:
            h = self.down(h)
        self.state = h.detach()
        return h
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        for info, cls, m, s, w in weight_statements(ctx, "clobber"):
            if w.kind != "module":
                continue
            ctor = w.write.ctor or w.ctor or "a module"
            msg = (
                f"`self.{w.name} = self.{w.name}(...)` in `{m.name}` stores the output of submodule "
                f"`{w.name}` (`{ctor}`) over the submodule: torch raises `TypeError` when a registered "
                "child is replaced by anything but a module or `None`, so this line has never run, and "
                f"the result lands on `self` instead of in a local; assign it to one (`h = self.{w.name}(h)`)"
            )
            confident = ctor.startswith("nn.") or ctor.startswith("torch.nn.")
            if not confident:
                msg += " (medium confidence: it is not known that this module returns a tensor)"
            conf = Confidence.HIGH if confident and info.module_certain else Confidence.MEDIUM
            claim = (cls.path, s.span.line, s.span.column)
            yield at(self, info, s.span, w.name, msg, confidence=conf, defined_in=w.owner, claim=claim)

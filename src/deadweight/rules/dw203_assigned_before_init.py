from __future__ import annotations

from collections.abc import Iterable

from deadweight.findings import Confidence, Finding
from deadweight.rules._common import at, weight_write
from deadweight.rules.base import Rule
from deadweight.rules.context import Context


class AssignedBeforeInit(Rule):
    code = "DW203"
    name = "assigned-before-init"
    summary = "A submodule, parameter or buffer assigned before `super().__init__()`"
    rationale = (
        "`nn.Module.__setattr__` needs the registries that `Module.__init__` creates: assigning a "
        "submodule or an `nn.Parameter` first raises `AttributeError: cannot assign module before "
        "Module.__init__() call`, and `register_buffer` fails the same way. The error only shows "
        "when the branch runs, so a rarely used configuration ships broken; and code that works "
        "around it (assigning through `object.__setattr__`) leaves the weight unregistered: not "
        "trained, not saved, not moved by `.to(device)`."
    )
    fix = (
        "Call `super().__init__()` first, then create the weights. Plain values (ints, config, "
        "flags) may stay before it. Checkpoint keys do not change."
    )
    fix_availability = "none"
    fix_safety = (
        "No automatic fix: moving the assignment after `super().__init__()` changes what the base class's"
        " constructor sees, so the order is left to the maintainer."
    )
    bad = (
        """
import torch
import torch.nn as nn

class Head(nn.Module):
    def __init__(self, dim, classes, use_bias=True):
        self.dim = dim
        self.fc = nn.Linear(dim, classes)  # expect: DW203
        if use_bias:
            self.bias = nn.Parameter(torch.zeros(classes))  # expect: DW203
        super().__init__()

    def forward(self, x):
        return self.fc(x) + self.bias
""",
    )
    good = (
        """
import torch
import torch.nn as nn

class Head(nn.Module):
    def __init__(self, dim, classes):
        self.dim = dim
        self.table = torch.zeros(classes)
        super().__init__()
        self.fc = nn.Linear(dim, classes)
        self.bias = nn.Parameter(torch.zeros(classes))

    def forward(self, x):
        return self.fc(x) + self.bias
""",
        # hard negatives: a class initialised through `nn.Module.__init__(self)`; a class that
        # never calls super().__init__() (its base does the work, or it is not our concern)
        """
import torch.nn as nn

class Legacy(nn.Module):
    def __init__(self, dim):
        nn.Module.__init__(self)
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(x)
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        project = ctx.project
        for info in ctx.module_classes():
            init = info.facts.method("__init__")
            if init is None or init.calls_super_init_at is None:
                continue
            for w in info.facts.writes:
                if w.method != "__init__" or not w.before_super_init or w.statement > init.calls_super_init_at:
                    continue
                if not weight_write(project, info, w):
                    continue
                what = {"parameter": "parameter", "buffer": "buffer"}.get(w.kind, f"submodule (`{w.ctor}`)")
                msg = (
                    f"{what} `{w.attr}` is assigned before `super().__init__()`: `nn.Module` raises "
                    "`AttributeError` (cannot assign before Module.__init__() call) whenever this line "
                    "runs; call `super().__init__()` first"
                )
                yield at(
                    self,
                    info,
                    w.span,
                    w.attr,
                    msg,
                    confidence=Confidence.HIGH if info.module_certain else Confidence.MEDIUM,
                )

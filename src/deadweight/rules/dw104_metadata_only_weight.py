from deadweight.rules._liveness import LivenessRule


class MetadataOnlyWeight(LivenessRule):
    code = "DW104"
    name = "metadata-only-weight"
    summary = "A weight that is only inspected (`.shape`, `is None`, `hasattr`), never used as a value"
    rationale = (
        "Reading `self.pos.shape` or testing `self.pos is not None` looks like use, but the value "
        "never enters the computation, so the weight never receives a gradient. This is the "
        "shape a flag-guarded embedding takes when the code that was supposed to add it was lost."
    )
    fix = (
        "Use the value (add the embedding, apply the layer) or replace the weight with the "
        "metadata it stands for (a shape in the config). Removing it drops its checkpoint keys."
    )
    fix_availability = "none"
    fix_safety = (
        "No automatic fix: replacing the parameter with a plain attribute removes a checkpoint key and a "
        "parameter from the optimizer."
    )
    bad = (
        """
import torch
import torch.nn as nn

class Embed(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.pos = nn.Parameter(torch.zeros(1, 8, dim))  # expect: DW104

    def forward(self, x):
        if self.pos is not None:
            assert x.shape[1] == self.pos.shape[1]
        return self.proj(x)
""",
    )
    good = (
        """
import torch
import torch.nn as nn

class Embed(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.pos = nn.Parameter(torch.zeros(1, 8, dim))

    def forward(self, x):
        assert x.shape[1] == self.pos.shape[1]
        return self.proj(x) + self.pos
""",
    )

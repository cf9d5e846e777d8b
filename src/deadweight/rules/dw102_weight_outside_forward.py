from deadweight.rules._liveness import LivenessRule


class WeightOutsideForward(LivenessRule):
    code = "DW102"
    name = "weight-outside-forward"
    summary = "A weight used only by methods that no entry point (forward, hooks, steps) reaches"
    rationale = (
        "Reads in `_init_weights`, `reset_parameters` or a helper that nothing calls make a weight "
        "look used, but it never takes part in a forward pass and never receives a gradient. A "
        "weight used only by a public method (`sample`, `encode_image`) may be meant for callers "
        "outside the class; those findings have low confidence and are hidden by default."
    )
    fix = (
        "Call the helper from `forward` (or the framework's entry point), or delete the weight and "
        "its initialisation. Removing it drops its checkpoint keys: handle old checkpoints in "
        "`_load_from_state_dict` or load with `strict=False`."
    )
    fix_availability = "none"
    fix_safety = (
        "No automatic fix: whether forward should use the weight or the weight should go is a design "
        "decision, and either changes the model or its checkpoint keys."
    )
    bad = (
        """
import torch
import torch.nn as nn

class Encoder(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))  # expect: DW102
        self._init_weights()

    def _init_weights(self):
        nn.init.normal_(self.cls_token, std=0.02)

    def forward(self, x):
        return self.proj(x)
""",
        """
import torch.nn as nn

class Head(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.extra = nn.Linear(dim, dim)  # expect: DW102

    def _refine(self, x):
        return self.extra(x)

    def forward(self, x):
        return self.fc(x)
""",
    )
    good = (
        """
import torch.nn as nn

class Head(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.extra = nn.Linear(dim, dim)

    def _refine(self, x):
        return self.extra(x)

    def forward(self, x):
        return self._refine(self.fc(x))
""",
    )

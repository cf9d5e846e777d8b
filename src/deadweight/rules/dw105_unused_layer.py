from deadweight.rules._liveness import LivenessRule


class UnusedLayer(LivenessRule):
    code = "DW105"
    name = "unused-layer"
    summary = "A parameter-free layer (dropout, activation, pooling, non-affine norm) that is never applied"
    rationale = (
        "A dropout or drop-path that is defined but never applied silently removes the "
        "regularisation the config asks for; an activation never applied makes two linear layers "
        "collapse into one. No parameter is involved, so DDP never complains and no checkpoint "
        "shows it: this is the most common member of the dead-weight family in public model code."
    )
    fix = (
        "Apply the layer where it was meant to go (`x = self.dropout(x)`), or delete it. It holds "
        "no parameters, so neither change affects checkpoint keys."
    )
    fix_availability = "sometimes"
    fix_safety = (
        "Safe, when offered: deletes the assignment if the layer is one of `torch.nn`'s (a project "
        "class's constructor runs code that was not judged), its arguments are plain values (names, "
        "literals, arithmetic), the finding has high confidence and nothing else in the file names the "
        "attribute. A parameter-free layer has no checkpoint keys and draws no random numbers when "
        "built, so checkpoints and initialisation are unchanged. A layer that holds parameters is never "
        "deleted by a fix: that would remove checkpoint keys and shift the random-number stream, so "
        "every later layer would be initialised differently."
    )
    bad = (
        """
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(p)  # expect: DW105

    def forward(self, x):
        return self.fc(x)
""",
    )
    fixed = (
        """
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(x)
""",
    )
    good = (
        """
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(p)

    def forward(self, x):
        return self.dropout(self.fc(x))
""",
    )

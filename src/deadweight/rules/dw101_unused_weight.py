from deadweight.rules._liveness import LivenessRule


class UnusedWeight(LivenessRule):
    code = "DW101"
    name = "unused-weight"
    summary = "A parameter, buffer or submodule that no method ever uses"
    rationale = (
        "The weight is created, initialised, counted in `parameters()`, handed to the optimizer "
        "and saved in every checkpoint, but nothing ever reads its value: it never receives a "
        "gradient. Under DistributedDataParallel it raises 'parameters that were not used in "
        "producing loss' (on multi-GPU runs only), which teams then silence with "
        "`find_unused_parameters=True` or `loss + 0 * p.sum()`. Typical causes: a flag-guarded "
        "learnable position embedding whose hook returns None, a layer left over from a refactor. "
        "The same holds for the items of a `ModuleList` or `Sequential` that every read leaves out: "
        "`for stage in self.stages[1:]` never applies `stages[0]` (reported when every read is a "
        "literal index or slice; the finding names the left-out items and their keys)."
    )
    fix = (
        "Use the weight where it was meant to be used, or delete it. Deleting it renames nothing "
        "else but removes its keys from new checkpoints; to keep loading released checkpoints, "
        "drop the stale keys in `_load_from_state_dict` (or load with `strict=False` and check the "
        "reported unexpected keys)."
    )
    fix_availability = "none"
    fix_safety = (
        "No automatic fix. Deleting the weight removes its checkpoint keys (old checkpoints then need "
        "`strict=False` or a key map) and, for a layer or parameter built with random values, shifts the "
        "random-number stream, so every weight created after it starts from different values; using it "
        "changes the model. Only the maintainer can choose."
    )
    bad = (
        """
import torch
import torch.nn as nn

class PatchEmbed(nn.Module):
    def __init__(self, dim, learnable_pos_embed=False):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        if learnable_pos_embed:
            self.pos_embedding = nn.Parameter(torch.zeros(1, 16, dim))  # expect: DW101

    def forward(self, x):
        return self.proj(x)
""",
        """
import torch.nn as nn

class Mixer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim)
        self.fc2 = nn.Linear(dim, dim)  # expect: DW101

    def forward(self, x):
        return self.fc1(x)
""",
        """
import torch.nn as nn

class Vocoder(nn.Module):
    def __init__(self, dim, n_stages):
        super().__init__()
        self.stages = nn.ModuleList([nn.Conv1d(dim, dim, 3, padding=1) for _ in range(n_stages)])  # expect: DW101

    def forward(self, h):
        for stage in self.stages[1:]:
            h = h + stage(h)
        return h
""",
    )
    good = (
        """
import torch
import torch.nn as nn

class PatchEmbed(nn.Module):
    def __init__(self, dim, learnable_pos_embed=False):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.pos_embedding = nn.Parameter(torch.zeros(1, 16, dim)) if learnable_pos_embed else None

    def forward(self, x):
        x = self.proj(x)
        if self.pos_embedding is not None:
            x = x + self.pos_embedding
        return x
""",
        """
import torch.nn as nn

class Tower(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(dim, dim) for _ in range(depth)])

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x
""",
        """
import torch.nn as nn

class Vocoder(nn.Module):
    def __init__(self, dim, n_stages):
        super().__init__()
        self.stages = nn.ModuleList([nn.Conv1d(dim, dim, 3, padding=1) for _ in range(n_stages)])

    def forward(self, h):
        h = self.stages[0](h)
        for stage in self.stages[1:]:
            h = h + stage(h)
        return h
""",
    )

"""A medium or low finding says why it is not high, whichever rule made it."""

from __future__ import annotations

from deadweight.rules.registry import builtin_rules
from deadweight.testing import run_files

UNRESOLVED_BASE = """\
import torch
import torch.nn as nn
from somewhere_uninstalled import Layer


class Block(Layer):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, 2 * dim)
        self.scale = torch.tensor(2.0)

    def forward(self, x):
        return self.proj(x) * self.scale.to(x.device)
"""

CONSTANT_TENSOR = """\
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.scale = torch.tensor(2.0)

    def forward(self, x):
        return self.proj(x) * self.scale
"""


def test_every_finding_below_high_says_why() -> None:
    found = run_files({"block.py": UNRESOLVED_BASE}, builtin_rules())
    below = [f for f in found if f.confidence != "high"]
    assert {f.code for f in below} >= {"DW204"}
    for f in below:
        assert f"({f.confidence} confidence: `Block` is judged a module because" in f.message, f.message


def test_a_plain_tensor_attribute_says_why_it_is_medium() -> None:
    (f,) = [f for f in run_files({"block.py": CONSTANT_TENSOR}, builtin_rules()) if f.code == "DW202"]
    assert f.confidence == "medium"
    assert f.message.endswith(
        "(medium confidence: a plain `torch.tensor` attribute is sometimes kept off the module on purpose "
        "and moved by hand where used)"
    )

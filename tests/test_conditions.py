"""What a write is guarded by: the `else` of `if test:` (and an `elif`) runs when `test` is false,
both in the finding's words and when construction decides what a subclass builds."""

from __future__ import annotations

from deadweight.rules.registry import all_rules
from deadweight.testing import run_files

RULES = [r for r in all_rules() if not r.preview]

BRANCHES = """\
import torch.nn as nn


class Heads(nn.Module):
    def __init__(self, dim, proj=None):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        if proj is None:
            self.a = nn.Linear(dim, dim)
        else:
            self.b = nn.Linear(dim, dim)
        if dim > 4:
            self.c = nn.Linear(dim, dim)
        elif dim > 2:
            self.d = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(x)
"""


def test_the_else_branch_is_created_only_when_the_test_is_false() -> None:
    found = {f.attribute: f.message for f in run_files({"m.py": BRANCHES}, RULES)}
    assert "(created only when `proj is None`)" in found["a"]
    assert "(created only when `not (proj is None)`)" in found["b"]
    assert "(created only when `dim > 4`)" in found["c"]
    assert "(created only when `dim > 2`)" in found["d"]


ATTENTION = """\
import torch
import torch.nn as nn


class Attention(nn.Module):
    def __init__(self, dim, add_bias_kv=False):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        if add_bias_kv:
            self.bias_k = nn.Parameter(torch.zeros(1, 1, dim))
        else:
            self.bias_k = None

    def forward(self, x):
        if self.bias_k is not None:
            x = x + self.bias_k
        return self.proj(x)


class Monotonic(Attention):
    def __init__(self, dim):
        super().__init__(dim)

    def forward(self, x):
        return self.proj(x)


class WithBias(Attention):
    def __init__(self, dim):
        super().__init__(dim, add_bias_kv=True)

    def forward(self, x):
        return self.proj(x)
"""


def test_a_subclass_that_takes_the_else_branch_never_builds_the_weight() -> None:
    """`Monotonic` keeps `add_bias_kv=False`: its `bias_k` is the `else` branch's None, so its
    override drops nothing; `WithBias` builds it and its override drops it (DW103)."""
    found = [(f.code, f.class_name, f.attribute) for f in run_files({"m.py": ATTENTION}, RULES)]
    assert found == [("DW103", "WithBias", "bias_k")]

"""One defect, one finding: DW301 (a flag that creates a weight, ignored by forward) folds into
the DW101/DW104 of that weight when both run, and stands alone when only DW301 runs."""

from __future__ import annotations

from deadweight.findings import fingerprint
from deadweight.rules.dw101_unused_weight import UnusedWeight
from deadweight.rules.dw104_metadata_only_weight import MetadataOnlyWeight
from deadweight.rules.dw301_ignored_flag import IgnoredFlag
from deadweight.testing import run_files

SOURCE = """\
import torch
import torch.nn as nn


class Embed(nn.Module):
    def __init__(self, dim, learnable=False):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        if learnable:
            self.pos = nn.Parameter(torch.zeros(1, 8, dim))

    def forward(self, x):
        return self.proj(x)
"""
DW101 = (
    "parameter `pos` is never used: no method reads it (created only when `learnable`); removing it drops "
    "the checkpoint key `pos`"
)


def test_the_flag_is_a_fact_of_the_dead_weights_finding() -> None:
    found = run_files({"m.py": SOURCE}, [UnusedWeight, MetadataOnlyWeight, IgnoredFlag])
    assert [(f.code, f.line, str(f.confidence)) for f in found] == [("DW101", 10, "high")]
    assert found[0].message == (
        f"{DW101}; the flag `learnable` that decides whether it is created is read by no entry point "
        "either (DW301): setting it only adds untrained parameters to the optimizer and checkpoints, so "
        "the configuration changes nothing the model computes"
    )
    assert found[0].fingerprint == fingerprint("DW101", "m.py", "Embed", "pos")


def test_without_dw101_the_flag_is_reported_on_its_own() -> None:
    found = run_files({"m.py": SOURCE}, [IgnoredFlag])
    assert [(f.code, f.line) for f in found] == [("DW301", 10)]
    assert found[0].message.startswith("flag `learnable` decides whether parameter `pos` is created")


def test_a_dead_weight_without_a_flag_has_nothing_folded_in() -> None:
    source = SOURCE.replace("        if learnable:\n            self.pos", "        self.pos")
    found = run_files({"m.py": source}, [UnusedWeight, IgnoredFlag])
    assert [(f.code, f.message) for f in found] == [
        ("DW101", "parameter `pos` is never used: no method reads it; removing it drops the checkpoint key `pos`")
    ]

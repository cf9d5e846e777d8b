"""`check_model`: one forward and backward with torch, set against the static findings.

Runs where torch is installed (`pip install deadweight[torch]`); skips cleanly elsewhere.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from deadweight.testing import check_model

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tree"


def _module() -> Any:
    spec = importlib.util.spec_from_file_location("runtime_vit_fixture", FIXTURE / "vit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_planted_dead_weights_are_confirmed_and_nothing_is_runtime_only() -> None:
    torch = pytest.importorskip("torch")
    vit = _module()
    model = vit.TinyViT(dim=8, depth=2, distilled=True)
    report = check_model(model, torch.randn(2, 3, 8), root=FIXTURE)
    assert sorted(i.name for i in report.confirmed) == [
        "blocks.0.stats.bias",
        "blocks.0.stats.weight",
        "blocks.1.stats.bias",
        "blocks.1.stats.weight",
        "dist_head.bias",
        "dist_head.weight",
    ]
    assert {(i.cls, i.attribute, i.finding) for i in report.confirmed} == {
        ("Block", "stats", "DW101 high"),
        ("TinyViT", "dist_head", "DW101 high"),
    }
    assert report.runtime_only == [] and report.input_dependent == []
    assert "blocks.0.stats" in report.never_called


def test_an_input_dependent_branch_is_told_apart_from_a_static_miss() -> None:
    torch = pytest.importorskip("torch")
    vit = _module()
    short = check_model(vit.Gated(dim=8), torch.randn(2, 4, 8), root=FIXTURE)
    assert [(i.name, i.cls, i.attribute) for i in short.input_dependent] == [("extra.weight", "Gated", "extra")]
    assert short.runtime_only == [] and short.confirmed == []
    long = check_model(vit.Gated(dim=8), torch.randn(2, 20, 8), root=FIXTURE)
    assert long.input_dependent == [] and long.runtime_only == []


def test_a_runtime_only_parameter_is_reported_with_how_to_file_it() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Skips(nn.Module):  # built here, so deadweight has no source to judge: all runtime-only
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(4, 4)
            self.b = nn.Linear(4, 4)

        def forward(self, x: Any) -> Any:
            return self.a(x)

    report = check_model(Skips(), torch.randn(2, 4), findings=[])
    assert [(i.name, i.attribute) for i in report.runtime_only] == [("b.weight", "b"), ("b.bias", "b")]
    assert "please file it with the output of `deadweight inspect PATH::Skips`" in report.summary()


def test_the_pytest_fixture_runs_the_same_check(deadweight_check_model: Any) -> None:
    torch = pytest.importorskip("torch")
    vit = _module()
    report = deadweight_check_model(vit.TinyViT(dim=8, depth=1), torch.randn(2, 3, 8), root=FIXTURE)
    assert {(i.cls, i.attribute) for i in report.confirmed} == {("Block", "stats")}
    assert report.runtime_only == []

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


DDP = FIXTURE.parent / "ddp_configs"


def _ddp_module(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"runtime_{name}_fixture", DDP / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_distilled_head_leaves_exactly_the_planted_fc_norm_without_a_gradient() -> None:
    torch = pytest.importorskip("torch")
    vit = _ddp_module("distilled_vit")
    x = torch.randn(2, 4, 48)
    report = check_model(vit.DistilledVisionTransformer(fc_norm=True), x, root=DDP)
    assert [(i.name, i.cls, i.attribute, i.finding) for i in sorted(report.confirmed, key=lambda i: i.name)] == [
        ("fc_norm.bias", "DistilledVisionTransformer", "fc_norm", "DW103 high"),
        ("fc_norm.weight", "DistilledVisionTransformer", "fc_norm", "DW103 high"),
    ]
    assert report.runtime_only == [] and report.input_dependent == []
    default = check_model(vit.DistilledVisionTransformer(), x, root=DDP)  # an Identity: nothing unused
    assert default.confirmed == [] and default.runtime_only == [] and default.input_dependent == []


def test_the_mixin_embedding_is_the_one_parameter_without_a_gradient() -> None:
    torch = pytest.importorskip("torch")
    cog = _ddp_module("cogvideox")
    model = cog.DiffusionTransformer(hidden_size=8, num_patches=4, learnable_pos_embed=True)
    report = check_model(model, torch.randn(2, 4, 8), torch.arange(4), root=DDP)
    assert [(i.name, i.cls, i.attribute, i.finding) for i in report.confirmed] == [
        ("mixins.pos_embed.pos_embedding", "Rotary3DPositionMixin", "pos_embedding", "DW101 high")
    ]
    assert report.runtime_only == [] and report.input_dependent == []


def test_a_fused_path_that_skips_only_a_dropout_leaves_every_parameter_a_gradient() -> None:
    torch = pytest.importorskip("torch")
    attention = _ddp_module("fused_attention")
    report = check_model(attention.FusedAttention(8), torch.randn(2, 4, 8), root=DDP)
    assert (report.confirmed, report.runtime_only, report.input_dependent) == ([], [], [])
    assert report.never_called == ["attn_drop"]  # not run, and without parameters
    skips = check_model(attention.FusedAttentionWithBias(8), torch.randn(2, 4, 8), root=DDP)
    assert [(i.name, i.attribute) for i in skips.input_dependent] == [
        ("rel_bias.weight", "rel_bias"),
        ("rel_bias.bias", "rel_bias"),
    ]
    assert skips.runtime_only == [] and skips.confirmed == []

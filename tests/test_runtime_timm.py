"""`check_model` on real timm models at their default configurations: every parameter without a
gradient after one forward and backward must be one deadweight reports or sees as used only under
a condition; none may be runtime-only (a static miss).

Runs where torch and timm are installed; skips cleanly elsewhere. The static side reads the
installed timm package's own source (`check_model`'s default root: the package of the model's
class), the same code that runs.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from deadweight.testing import check_model

# (model name, input side): small inputs where the architecture allows, to keep the CPU cost low
MODELS = [
    ("vit_tiny_patch16_224", 224),
    ("deit_tiny_distilled_patch16_224", 224),
    ("resnet18", 64),
    ("convnext_atto", 64),
    ("efficientnet_b0", 64),
]


def _timm() -> Any:
    torch = pytest.importorskip("torch")
    # The torchvision wheels that sit beside a CPU torch here may be CUDA builds whose `_C` does
    # not load; their fake-op registrations would then fail inside timm's import. Only the
    # pure-Python layers are needed, so the registrations are skipped for that import.
    register_fake = torch.library.register_fake
    torch.library.register_fake = lambda *a, **k: lambda fn: fn
    try:
        return pytest.importorskip("timm")
    finally:
        torch.library.register_fake = register_fake


@pytest.mark.parametrize(("name", "side"), MODELS)
def test_default_timm_models_have_no_runtime_only_parameter(name: str, side: int) -> None:
    timm = _timm()
    torch = importlib.import_module("torch")
    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False)
    model.train()
    report = check_model(model, torch.randn(1, 3, side, side))
    assert report.runtime_only == [], report.summary()


def test_the_distilled_deit_built_with_fc_norm_leaves_exactly_fc_norm_without_a_gradient() -> None:
    """`deadweight ddp timm/models/deit.py::VisionTransformerDistilled --set fc_norm=True` says
    fc_norm is unused (its head override never applies it); one real step agrees."""
    timm = _timm()
    torch = importlib.import_module("torch")
    torch.manual_seed(0)
    model = timm.create_model("deit_tiny_distilled_patch16_224", pretrained=False, fc_norm=True)
    model.train()
    report = check_model(model, torch.randn(1, 3, 224, 224))
    assert sorted((i.name, i.cls, i.attribute, i.finding) for i in report.confirmed) == [
        ("fc_norm.bias", "VisionTransformerDistilled", "fc_norm", "DW103 medium"),
        ("fc_norm.weight", "VisionTransformerDistilled", "fc_norm", "DW103 medium"),
    ]
    assert report.runtime_only == [] and report.input_dependent == []

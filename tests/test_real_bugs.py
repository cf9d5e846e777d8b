"""Dead weights that public repositories shipped and later fixed (or confirmed), one fixture each.

Every fixture under fixtures/real_bugs/ is our own code reproducing the shape of a real bug; its
docstring names the repository and the issue or pull request. A caught bug is asserted exactly
(code, class, attribute, line, confidence) and carries its `# expect:` marker; a missed bug is
asserted the same way under a strict xfail whose reason names the mechanism deadweight lacks, so
the test flips the day that mechanism lands.

The folder is analyzed as one project of its own (as tests/test_fixture_expectations.py does), so
what another fixture of this repository reads cannot change a confidence here.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from deadweight.api import check
from deadweight.cli import main
from deadweight.findings import Finding
from deadweight.settings import Settings

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "real_bugs"


@cache
def _findings() -> tuple[Finding, ...]:
    settings = Settings(
        min_confidence="low", use_cache=False, jobs=1, project_root=str(ROOT), select=("DW", "DW303", "DW304")
    )
    result = check([ROOT], settings)
    assert not result.errors
    return tuple(result.findings)


def _in(path: str) -> list[tuple[str, str, str, int, str]]:
    return [(f.code, f.class_name, f.attribute, f.line, str(f.confidence)) for f in _findings() if f.path == path]


def _ddp(target: str, *sets: str) -> dict:  # type: ignore[type-arg]
    args = ["ddp", f"{ROOT / target}", "--output-format", "json", *(x for s in sets for x in ("--set", s))]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    return json.loads(out.output)  # type: ignore[no-any-return]


def _unused_names(verdict: dict) -> set[str]:  # type: ignore[type-arg]
    return {n for p in verdict["parameters"] if p["applies"] for n in p["names"]}


# Caught today


def test_dino_classifier_head_never_called() -> None:
    """facebookresearch/dino#201 (PR #200): `num_classes` builds a head forward never calls."""
    assert _in("dino_vit_head.py") == [("DW101", "PatchViT", "classifier", 15, "high")]


def test_multiple_choice_head_dropout_never_applied() -> None:
    """huggingface/transformers#354: the head's own dropout is never applied in forward."""
    assert _in("mc_head_dropout.py") == [("DW105", "ChoiceScorer", "drop", 11, "high")]


def test_final_dropout_result_is_a_dead_store() -> None:
    """huggingface/transformers#2291 (T5): the dropped-out hidden state is never returned."""
    assert _in("final_dropout_dead_store.py") == [("DW402", "EncoderStack", "dropout", 19, "medium")]


def test_block_position_embedding_no_longer_added() -> None:
    """sd0809/EoFormer#2: the block's position embedding was dropped from the final forward."""
    assert _in("block_pos_embed.py") == [("DW101", "VolumeBlock", "pos", 12, "high")]


def test_backbone_embedding_projection_never_applied() -> None:
    """yulu0724/SDC-IL#18: the backbone's embedding layer is not in the forward pass."""
    assert _in("backbone_embedding.py") == [("DW101", "SmallResNet", "embedding", 13, "high")]


def test_activation_parameter_never_read() -> None:
    """torchcvnn/torchcvnn PR #79: a learnable offset of an activation that forward ignores."""
    assert _in("activation_unused_bias.py") == [("DW101", "PhaseGate", "offset", 12, "high")]


def test_attention_output_projection_never_applied() -> None:
    """Project-MONAI/GenerativeModels#503: the block's output projection is never applied."""
    assert _in("attention_unused_out_proj.py") == [("DW101", "SpatialAttention", "out_proj", 19, "high")]


def test_chained_assignment_projection_never_called() -> None:
    """SMARTlab-Purdue/Husformer#3: one layer bound to two names, called under neither."""
    assert _in("chained_projection.py") == [
        ("DW101", "ModalityFusion", "proj_a", 15, "high"),
        ("DW101", "ModalityFusion", "proj_b", 15, "high"),
    ]


def test_mlp_norm_layer_built_and_never_applied() -> None:
    """huggingface/pytorch-image-models#1851 (timm Mlp): the norm from `norm_layer` is never applied."""
    assert _in("mlp_norm_layer.py") == [("DW101", "FeedForward", "norm", 17, "medium")]


def test_mid_conditioning_norm_never_applied() -> None:
    """lucidrains/imagen-pytorch#75: `norm_mid_cond` is never applied, and the final block's MLP
    never runs because `self.final_res_block(x)` never passes `time_emb` (DW304)."""
    assert _in("final_block_without_time.py") == [
        ("DW101", "TinyUnet", "norm_mid_cond", 31, "high"),
        ("DW304", "TinyUnet", "final_res_block", 32, "high"),
    ]


def test_subclass_override_orphans_the_embeddings() -> None:
    """karpathy/minGPT PR #85 review: overriding `embed_inputs` orphans `wte` and `wpe`."""
    assert _in("override_embed_inputs.py") == [
        ("DW103", "CloningPolicy", "wte", 14, "high"),
        ("DW103", "CloningPolicy", "wpe", 15, "high"),
    ]


def test_backbone_classifier_dropout_used_only_by_the_heads_copy() -> None:
    """huggingface/pytorch-openai-transformer-lm#19 (PR #23): only the head's own copy is applied."""
    assert _in("backbone_clf_dropout.py") == [("DW105", "LMBackbone", "clf_dropout", 14, "high")]


def test_flow_model_outside_the_forward_graph() -> None:
    """ultralytics/ultralytics#24408/#24620: the model's flow network gets no gradient from forward.

    Caught (the right weight, and `deadweight ddp` says find_unused_parameters=False fails), but
    as "never used" at medium confidence: see the xfail below for the precise diagnosis."""
    assert _in("loss_only_flow.py") == [("DW101", "KeypointModel", "flow_model", 24, "medium")]
    verdict = _ddp("loss_only_flow.py::KeypointModel")
    assert verdict["find_unused_parameters_false_safe"] is False
    assert "flow_model.net.0.weight" in _unused_names(verdict)


# Reported differently, or missed


@pytest.mark.xfail(
    strict=True,
    reason="a read through a constructor argument of another class (`self.flow = model.flow_model` in "
    "`KeypointLoss(model)`) is not linked to the model class whose instance is passed, so the weight is "
    "judged never used (medium: an unknown object reads the name) instead of used only outside forward",
)
def test_flow_model_is_used_only_by_the_criterion() -> None:
    assert _in("loss_only_flow.py") == [("DW102", "KeypointModel", "flow_model", 24, "low")]


def test_anchor_embedding_unused_with_the_grid_prior() -> None:
    """megvii-research/AnchorDETR#6: the learned anchors were built whatever the spatial prior."""
    assert _in("prior_position.py") == [("DW303", "AnchorTransformer", "anchors", 15, "medium")]


def test_ddp_knows_the_grid_prior_leaves_the_anchors_unused() -> None:
    verdict = _ddp("prior_position.py::AnchorTransformer", "spatial_prior=grid")
    assert "anchors.weight" in _unused_names(verdict)
    assert verdict["find_unused_parameters_false_safe"] is False


def test_first_stage_skipped_by_a_slice() -> None:
    """dhgrs/pytorch-UniWaveNet#5 (PR #6): forward loops over `self.stages[1:]`."""
    assert _in("skipped_first_stage.py") == [("DW101", "StackedVocoder", "stages", 11, "high")]
    verdict = _ddp("skipped_first_stage.py::StackedVocoder")
    assert _unused_names(verdict) == {"stages.0.weight", "stages.0.bias"}
    assert verdict["find_unused_parameters_false_safe"] is False


@pytest.mark.xfail(
    strict=True,
    reason="no flow of a child's outputs into its parent: the pooler is live in `TextEncoder.forward`, "
    "and the caller keeping only `self.encoder(ids)[0]` is not traced back to the discarded "
    "`pooled` output, so the root model's unused pooler is not found (neither by the rules nor ddp)",
)
def test_pooler_output_discarded_by_the_token_head() -> None:
    """huggingface/transformers#8793, allenai/allennlp#5682: a token head ignores the pooled output."""
    verdict = _ddp("discarded_pooler.py::TokenTagger")
    assert _unused_names(verdict) == {"encoder.pooler.bias", "encoder.pooler.weight"}
    assert verdict["find_unused_parameters_false_safe"] is False


@pytest.mark.xfail(
    strict=True,
    reason="no per-element reasoning over a ModuleList loop: the first iteration calls `layer(feat)` "
    "without the optional `skip` argument, so only `layers.0` leaves its `if skip is not None` branch "
    "(and `skip_unit`) unused; a guard on a forward argument is treated as input-dependent and not judged",
)
def test_first_fusion_layer_never_gets_a_skip() -> None:
    """huggingface/transformers#30633 (DPT): `layers.0.residual_layer1` receives no gradient."""
    verdict = _ddp("first_fusion_skip_unit.py::FusionStage")
    assert "layers.0.skip_unit.conv_a.weight" in _unused_names(verdict)
    assert verdict["find_unused_parameters_false_safe"] is False


@pytest.mark.xfail(
    strict=True,
    reason="a layer-factory parameter is not resolved from its call sites: `MixerBlock` builds "
    "`FeedForward(dim, norm_layer=nn.LayerNorm)`, yet `norm_layer(hidden)` stays a call that "
    "'could not be shown to build a module' (medium; also with `norm_layer=nn.LayerNorm` as the default)",
)
def test_mlp_norm_layer_is_high_when_a_call_site_passes_a_torch_norm() -> None:
    assert _in("mlp_norm_layer.py") == [("DW101", "FeedForward", "norm", 17, "high")]


def test_final_block_called_without_its_time_embedding() -> None:
    """lucidrains/imagen-pytorch#75: `final_res_block.time_mlp.1.*` received no gradient under DDP."""
    verdict = _ddp("final_block_without_time.py::TinyUnet")
    assert "final_res_block.time_mlp.1.weight" in _unused_names(verdict)
    assert "down.time_mlp.1.weight" not in _unused_names(verdict)


def test_shortcut_projection_unused_without_downsampling() -> None:
    """Project-MONAI/MONAI#4314: UnetResBlock's conv3/norm3 exist even when it does not downsample."""
    assert _in("res_block_projection.py") == [
        ("DW303", "ResidualUnit", "short_conv", 17, "medium"),
        ("DW303", "ResidualUnit", "short_norm", 18, "medium"),
    ]


def test_ddp_names_the_derived_test_that_leaves_the_shortcut_unused() -> None:
    """MONAI#4314 through `deadweight ddp`: equal channels and stride 1 make the test false."""
    verdict = _ddp("res_block_projection.py::ResidualUnit", "in_ch=16", "out_ch=16")
    assert "short_conv.weight" in _unused_names(verdict)
    assert verdict["find_unused_parameters_false_safe"] is False
    conv = next(p for p in verdict["parameters"] if p["attribute"] == "short_conv")
    assert (conv["when"], conv["applies"]) == ("not (in_ch != out_ch or stride != 1)", True)
    assert _ddp("res_block_projection.py::ResidualUnit", "in_ch=3", "out_ch=16")["find_unused_parameters_false_safe"]

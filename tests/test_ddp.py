"""`deadweight ddp` and DW303: the settings that leave parameters without a gradient, and
whether `find_unused_parameters=False` is safe for a configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deadweight.api import check
from deadweight.cli import main
from deadweight.model.configs import evaluate
from deadweight.settings import Settings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ddp_configs" / "attention.py"
TREE = Path(__file__).resolve().parents[1] / "fixtures" / "tree" / "vit.py"
FUSED = FIXTURE.with_name("fused_attention.py")
DISTILLED = FIXTURE.with_name("distilled_vit.py")


def _ddp(target: str, *sets: str) -> dict:  # type: ignore[type-arg]
    args = ["ddp", target, "--output-format", "json", *(x for s in sets for x in ("--set", s))]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    return json.loads(out.output)  # type: ignore[no-any-return]


def test_the_default_configuration_leaves_the_unconfigured_norm_unused() -> None:
    v = _ddp(f"{FIXTURE}::FlashAttention")
    got = [(p["attribute"], p["when"], p["applies"], p["holds_parameters"]) for p in v["parameters"]]
    assert got == [
        ("attn_drop", "use_flash_attn=True", False, False),
        ("scale", "use_flash_attn=True", False, True),
        ("norm", "qk_norm=None", True, True),
    ]
    assert v["find_unused_parameters_false_safe"] is False
    assert v["parameters"][2]["names"] == ["norm.weight", "norm.bias"]


def test_a_given_setting_is_judged_instead_of_the_default() -> None:
    v = _ddp(f"{FIXTURE}::FlashAttention", "use_flash_attn=True", "qk_norm=rms")
    got = [(p["attribute"], p["applies"]) for p in v["parameters"]]
    assert got == [("attn_drop", True), ("scale", True), ("norm", False)]
    assert _ddp(f"{FIXTURE}::Sometimes")["find_unused_parameters_false_safe"] is True


def test_dead_weights_of_a_nested_class_are_named_by_their_path() -> None:
    v = _ddp(f"{TREE}::TinyViT")
    dead = [(p["names"], p["when"], p["applies"]) for p in v["parameters"]]
    assert (["blocks.*.stats.weight", "blocks.*.stats.bias"], None, True) in dead
    # built only when `distilled`: unused in the configurations that build it, not in the defaults
    assert (["dist_head.weight", "dist_head.bias"], "distilled=True", False) in dead
    built = _ddp(f"{TREE}::TinyViT", "distilled=True")
    assert (["dist_head.weight", "dist_head.bias"], "distilled=True", True) in [
        (p["names"], p["when"], p["applies"]) for p in built["parameters"]
    ]


def test_the_text_verdict_and_a_bad_setting() -> None:
    out = CliRunner().invoke(main, ["ddp", f"{FIXTURE}::FlashAttention"])
    assert "  * norm.weight, norm.bias: unused when `qk_norm=None`" in out.output
    assert "find_unused_parameters=False: not safe with the defaults: 2 parameter names" in out.output
    bad = CliRunner().invoke(main, ["ddp", f"{FIXTURE}::FlashAttention", "--set", "use_flash_attn"])
    assert bad.exit_code == 2 and "expected NAME=VALUE" in bad.output


@pytest.mark.parametrize(
    ("cond", "env", "expected"),
    [
        ("not (self.flash)", {"self.flash": True}, False),
        ("self.flash and x > 0", {"self.flash": False}, False),
        ("self.flash and x > 0", {"self.flash": True}, None),
        ("self.mode == 'a' or self.flash", {"self.mode": "b", "self.flash": False}, False),
        ("self.norm is not None", {"self.norm": None}, False),
        ("x.shape[0] > 2", {}, None),
    ],
)
def test_conditions_are_evaluated_three_valued(cond: str, env: dict[str, object], expected: bool | None) -> None:
    assert evaluate(cond, env) is expected


def _text(target: str, *sets: str) -> list[str]:
    out = CliRunner().invoke(main, ["ddp", target, *(x for s in sets for x in ("--set", s))])
    assert out.exit_code == 0, out.output
    return out.output.splitlines()


def test_a_fused_path_that_skips_only_a_dropout_is_safe_in_both_settings() -> None:
    for sets in ((), ("fused_attn=False",)):
        v = _ddp(f"{FUSED}::FusedAttention", *sets)
        assert v["find_unused_parameters_false_safe"] is True
        assert [(p["path"], p["names"], p["when"], p["holds_parameters"]) for p in v["parameters"]] == [
            ("attn_drop", [], "fused_attn=True", False)
        ]
        assert v["parameters"][0]["applies"] is (not sets)
    assert _text(f"{FUSED}::FusedAttention")[1:3] == [
        "    attn_drop: not run when `fused_attn=True`, and holds no parameters, so DDP waits for nothing of it "
        "(FusedAttention.attn_drop, line 15; used only under `not (self.fused_attn)`)",
        "find_unused_parameters=False: safe with the defaults as far as the code shows (input-dependent branches "
        "are not judged; `deadweight.testing.check_model` checks one real step)",
    ]


def test_a_fused_path_that_also_skips_a_projection_is_not_safe() -> None:
    v = _ddp(f"{FUSED}::FusedAttentionWithBias")
    assert v["find_unused_parameters_false_safe"] is False
    got = [(p["path"], p["names"], p["when"], p["applies"]) for p in v["parameters"]]
    assert got == [
        ("attn_drop", [], "fused_attn=True", True),
        ("rel_bias", ["rel_bias.weight", "rel_bias.bias"], "fused_attn=True", True),
    ]
    assert _ddp(f"{FUSED}::FusedAttentionWithBias", "fused_attn=False")["find_unused_parameters_false_safe"] is True


def test_a_dropout_run_on_both_paths_is_not_listed() -> None:
    v = _ddp(f"{FUSED}::SharedDropout")
    assert v["parameters"] == [] and v["find_unused_parameters_false_safe"] is True


_FC_NORM_WHY = (
    "never used by `DistilledVisionTransformer`: `DistilledVisionTransformer.forward_head` overrides "
    "`VisionTransformer.forward_head`, which used it (DW103); it holds parameters only when "
    '`final_norm and (global_pool in ("avg", "avgmax", "max") if fc_norm is None else fc_norm)`'
)


def test_a_distilled_head_leaves_fc_norm_unused_when_fc_norm_is_set() -> None:
    default = _ddp(f"{DISTILLED}::DistilledVisionTransformer")
    assert default["find_unused_parameters_false_safe"] is True  # the defaults build an Identity
    got = [(p["names"], p["when"], p["applies"], p["why"]) for p in default["parameters"]]
    assert got == [
        (["fc_norm.weight", "fc_norm.bias"], "fc_norm=True", False, _FC_NORM_WHY),
        (["fc_norm.weight", "fc_norm.bias"], "global_pool=avg", False, _FC_NORM_WHY),
    ]
    v = _ddp(f"{DISTILLED}::DistilledVisionTransformer", "fc_norm=True")
    assert v["find_unused_parameters_false_safe"] is False
    assert [p["applies"] for p in v["parameters"]] == [True, True]
    assert _text(f"{DISTILLED}::DistilledVisionTransformer", "fc_norm=True")[-2] == (
        "find_unused_parameters=False: not safe with fc_norm=True: 2 parameter names (marked *) get no gradient, "
        "and DDP fails on the first step"
    )
    # average pooling asks for fc_norm too, unless fc_norm=False says otherwise
    assert (
        _ddp(f"{DISTILLED}::DistilledVisionTransformer", "global_pool=avg")["find_unused_parameters_false_safe"]
        is False
    )
    off = _ddp(f"{DISTILLED}::DistilledVisionTransformer", "global_pool=avg", "fc_norm=False")
    assert off["find_unused_parameters_false_safe"] is True


def test_the_base_and_a_head_that_applies_fc_norm_use_it() -> None:
    for cls in ("VisionTransformer", "PooledDistilledVisionTransformer"):
        v = _ddp(f"{DISTILLED}::{cls}", "fc_norm=True")
        assert v["parameters"] == [] and v["find_unused_parameters_false_safe"] is True


COGVIDEOX = FIXTURE.with_name("cogvideox.py")


def test_a_mixin_added_by_name_is_named_under_the_model_and_judged_where_it_is_built() -> None:
    default = _ddp(f"{COGVIDEOX}::DiffusionTransformer")
    assert default["find_unused_parameters_false_safe"] is True  # the defaults build no embedding
    got = [(p["names"], p["owner"], p["when"], p["applies"]) for p in default["parameters"]]
    assert got == [(["mixins.pos_embed.pos_embedding"], "Rotary3DPositionMixin", "learnable_pos_embed=True", False)]
    lines = _text(f"{COGVIDEOX}::DiffusionTransformer", "learnable_pos_embed=True")
    assert lines[1:3] == [
        "  * mixins.pos_embed.pos_embedding: unused when `learnable_pos_embed=True` (Rotary3DPositionMixin."
        "pos_embedding, line 67; never used: DW101 high; it holds parameters only when `learnable_pos_embed`)",
        "find_unused_parameters=False: not safe with learnable_pos_embed=True: 1 parameter name (marked *) gets no "
        "gradient, and DDP fails on the first step",
    ]


def test_the_mixin_that_returns_its_embedding_leaves_nothing_unused() -> None:
    for sets in ((), ("learnable_pos_embed=True",)):
        v = _ddp(f"{COGVIDEOX}::LearnedDiffusionTransformer", *sets)
        assert v["parameters"] == [] and v["find_unused_parameters_false_safe"] is True


def test_the_tree_and_the_finding_name_mixins_by_the_key_add_mixin_stores_them_under() -> None:
    out = CliRunner().invoke(main, ["tree", f"{COGVIDEOX}::DiffusionTransformer", "--output-format", "json"])
    assert out.exit_code == 0, out.output
    tree = json.loads(out.output)[0]
    mixins = next(c for c in tree["children"] if c["name"] == "mixins")
    assert [(c["name"], c["ctor"]) for c in mixins["children"]] == [
        ("pos_embed", "Rotary3DPositionMixin"),
        ("adaln", "AdaLNMixin"),
    ]
    folder = COGVIDEOX.parent
    result = check([folder], Settings(select=("DW101",), use_cache=False, jobs=1, project_root=str(folder)))
    found = [f for f in result.findings if f.path.endswith("cogvideox.py")]
    assert [f.dotted_names for f in found] == [("DiffusionTransformer: mixins.pos_embed.pos_embedding",)]


def test_explain_ddp_maps_the_mixin_parameter_ddp_names_to_its_line() -> None:
    log = (
        "RuntimeError: Expected to have finished reduction in the prior iteration before starting a new one. "
        "This error indicates that your module has parameters that were not used in producing loss.\n"
        "Parameters which did not receive grad for rank 0: mixins.pos_embed.pos_embedding\n"
        "Parameter indices which did not receive grad for rank 0: 0\n"
    )
    out = CliRunner().invoke(main, ["explain-ddp", f"{COGVIDEOX}::DiffusionTransformer"], input=log)
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[1] == "mixins.pos_embed.pos_embedding"
    assert lines[2].startswith("  created by `Rotary3DPositionMixin` as `pos_embedding` (nn.Parameter), ")
    assert lines[2].endswith("cogvideox.py:67, only when `learnable_pos_embed`")
    assert "`Rotary3DPositionMixin.position_embedding_forward` returns None" in lines[3]


def _dw303(cls: str) -> list[tuple[str, int]]:
    out = CliRunner().invoke(
        main, ["check", str(FIXTURE), "--select", "DW303", "--output-format", "json", "--exit-zero", "--isolated"]
    )
    return [(f["attribute"], f["line"]) for f in json.loads(out.output)["findings"] if f["class"] == cls]


def test_a_placeholder_replaced_under_the_flag_of_its_use_holds_nothing_to_miss() -> None:
    # spatial_conv / temporal_conv: nn.Identity until the flag that guards the use builds the
    # conv; mix is replaced under `spatial or temporal` but used only under `temporal`
    assert _dw303("Downsample") == [("mix", 56)]
    v = _ddp(f"{FIXTURE}::Downsample")
    assert v["find_unused_parameters_false_safe"] is True
    assert [(p["attribute"], p["when"], p["applies"]) for p in v["parameters"]] == [("mix", "temporal=False", False)]
    v = _ddp(f"{FIXTURE}::Downsample", "temporal=False")
    assert v["find_unused_parameters_false_safe"] is False
    assert v["parameters"][0]["names"] == ["mix.weight", "mix.bias"]


def test_the_message_names_both_classes_of_a_replaced_placeholder() -> None:
    out = CliRunner().invoke(
        main, ["check", str(FIXTURE), "--select", "DW303", "--output-format", "json", "--isolated"]
    )
    (mix,) = [f for f in json.loads(out.output)["findings"] if f["attribute"] == "mix"]
    assert mix["message"].startswith(
        "submodule `mix` (`nn.Conv2d` when `spatial or temporal`, else `nn.Identity`) is used only under "
        "`self.temporal` (line 69): built with `temporal=False` it gets no gradient"
    )


def test_buffers_and_a_flag_replaced_by_a_module_are_no_configuration_hazard() -> None:
    assert _dw303("MaskedAttention") == []
    assert _dw303("Gated") == []
    for cls in ("MaskedAttention", "Gated"):
        v = _ddp(f"{FIXTURE}::{cls}")
        assert (v["find_unused_parameters_false_safe"], v["parameters"]) == (True, [])


def test_a_weight_whose_creating_helper_runs_only_under_the_flag_of_its_use_is_no_hazard() -> None:
    # `if self.affine: self._init_params(dim)` creates scale_weight; _init_shift always runs
    assert _dw303("Normalizer") == [("shift_bias", 123)]
    v = _ddp(f"{FIXTURE}::Normalizer", "affine=False")
    assert [(p["attribute"], p["when"]) for p in v["parameters"]] == [("shift_bias", "shift=False")]


def test_a_setting_the_project_itself_builds_makes_the_finding_high() -> None:
    out = CliRunner().invoke(
        main, ["check", str(FIXTURE), "--select", "DW303", "--output-format", "json", "--isolated"]
    )
    by_attr = {(f["class"], f["attribute"]): f for f in json.loads(out.output)["findings"]}
    bn = by_attr[("ConvBlock", "bn")]
    assert (bn["confidence"], bn["line"]) == ("high", 138)
    assert bn["message"].endswith("create it only where it is used; `Edges` builds it so (`self.block`, line 153)")
    assert [(r["line"], r["message"]) for r in bn["related"]] == [
        (143, "its first use, only under `self.use_bn`"),
        (153, "built with `use_bn=False`"),
    ]
    # no module builds FlashAttention(use_flash_attn=True); qk_norm=None is the default
    assert by_attr[("FlashAttention", "scale")]["message"].endswith(
        "(medium confidence: no module of the project was found building this class with that literal "
        "setting, and callers may never pass it)"
    )
    assert by_attr[("FlashAttention", "norm")]["message"].endswith(
        "(medium confidence: callers may always pass another value)"
    )


def test_a_string_option_is_tried_with_every_value_the_class_compares_it_with() -> None:
    assert _dw303("PriorChoice") == [("table", 166)]
    assert _ddp(f"{FIXTURE}::PriorChoice")["find_unused_parameters_false_safe"] is True
    v = _ddp(f"{FIXTURE}::PriorChoice", "prior=grid")
    assert [(p["attribute"], p["when"], p["applies"]) for p in v["parameters"]] == [("table", 'prior="grid"', True)]
    assert v["find_unused_parameters_false_safe"] is False
    assert _ddp(f"{FIXTURE}::PriorChoice", "prior='learned'")["find_unused_parameters_false_safe"] is True


def test_a_choice_on_the_flag_attribute_itself_builds_parameters_only_where_they_are_used() -> None:
    # `nn.Linear(..) if self.mode in ["shortcut"] else nn.Identity()`, and the same with a
    # Sequential of a conv: in the default mode both are an Identity
    assert _dw303("ShortcutChoice") == []
    v = _ddp(f"{FIXTURE}::ShortcutChoice")
    assert (v["find_unused_parameters_false_safe"], v["parameters"]) == (True, [])


def test_a_flag_derived_from_several_arguments_is_a_configuration() -> None:
    # proj: always built, used under `self.project = dim_in != dim_out`; scaler: built under the
    # same test (hard negative); norm: under a flag derived from a call (near miss)
    assert _dw303("Projected") == [("proj", 204)]
    v = _ddp(f"{FIXTURE}::Projected", "dim_in=8", "dim_out=8")
    got = [(p["attribute"], p["when"], p["applies"]) for p in v["parameters"]]
    assert got == [("proj", "not (dim_in != dim_out)", True)]
    assert v["find_unused_parameters_false_safe"] is False
    assert _ddp(f"{FIXTURE}::Projected", "dim_in=8", "dim_out=4")["find_unused_parameters_false_safe"] is True


INSTANCES = FIXTURE.with_name("instance_args.py")


def test_a_weight_one_instance_never_gets_its_argument_for_is_unused_there_only() -> None:
    """imagen-pytorch#75: `self.last(x)` never passes `cond`, so `last.cond` never runs; the
    instances called with it, with `**kw` or through `.forward` are not judged so."""
    v = _ddp(f"{INSTANCES}::Stack")
    got = [(p["names"], p["attribute"], p["when"], p["applies"]) for p in v["parameters"]]
    assert got == [
        (["last.cond.weight", "last.cond.bias"], "cond", None, True),
        (["plain.cond.weight", "plain.cond.bias"], "cond", None, False),  # built without `cond_dim`
    ]
    entry = v["parameters"][0]
    assert entry["why"] == (
        "used only when `cond` is passed to `CondBlock.forward`, and `Stack` calls this instance without it "
        f"({INSTANCES.relative_to(INSTANCES.parents[2]).as_posix()}, line 49); built because "
        "`cond_dim is not None` holds for the arguments `Stack` passes"
    )
    assert v["find_unused_parameters_false_safe"] is False


def test_the_holders_arguments_decide_whether_the_instance_builds_the_weight() -> None:
    """With `cond_dim=None` passed down from the holder, `last.cond` is never built: nothing
    of it is unused (the entry stays, marked as not applying)."""
    v = _ddp(f"{INSTANCES}::Stack", "cond_dim=None")
    assert [(p["names"][0], p["applies"]) for p in v["parameters"]] == [
        ("last.cond.weight", False),
        ("plain.cond.weight", False),
    ]
    assert v["find_unused_parameters_false_safe"] is True


def test_an_instance_built_without_the_weight_has_nothing_to_miss() -> None:
    """pytorch-forecasting's GatedResidualNetwork shape: `if self.context_size is not None:` with
    the instance built without `context_size`; the stored flag is read as its argument."""
    v = _ddp(f"{INSTANCES}::Encoder")
    assert [(p["names"], p["applies"]) for p in v["parameters"]] == [
        (["grn.context.weight", "grn.context.bias"], False)
    ]
    assert v["find_unused_parameters_false_safe"] is True


def test_a_flag_passed_by_position_is_passed_but_unknown() -> None:
    """`CondBlock(dim, cond_dim)`: the child's `cond_dim=None` default no longer decides that the
    instance is built without `cond`, so ddp does not call the configuration safe."""
    v = _ddp(f"{INSTANCES}::Positional")
    assert [(p["names"], p["applies"]) for p in v["parameters"]] == [(["block.cond.weight", "block.cond.bias"], True)]
    assert v["find_unused_parameters_false_safe"] is False

"""`deadweight ddp` and DW303: the settings that leave parameters without a gradient, and
whether `find_unused_parameters=False` is safe for a configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deadweight.cli import main
from deadweight.model.configs import evaluate

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ddp_configs" / "attention.py"
TREE = Path(__file__).resolve().parents[1] / "fixtures" / "tree" / "vit.py"


def _ddp(target: str, *sets: str) -> dict:  # type: ignore[type-arg]
    args = ["ddp", target, "--output-format", "json", *(x for s in sets for x in ("--set", s))]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    return json.loads(out.output)  # type: ignore[no-any-return]


def test_the_default_configuration_leaves_the_unconfigured_norm_unused() -> None:
    v = _ddp(f"{FIXTURE}::FlashAttention")
    got = [(p["attribute"], p["when"], p["applies"]) for p in v["parameters"]]
    assert got == [("scale", "use_flash_attn=True", False), ("norm", "qk_norm=None", True)]
    assert v["find_unused_parameters_false_safe"] is False
    assert v["parameters"][1]["names"] == ["norm.bias", "norm.weight"]


def test_a_given_setting_is_judged_instead_of_the_default() -> None:
    v = _ddp(f"{FIXTURE}::FlashAttention", "use_flash_attn=True", "qk_norm=rms")
    assert [(p["attribute"], p["applies"]) for p in v["parameters"]] == [("scale", True), ("norm", False)]
    assert _ddp(f"{FIXTURE}::Sometimes")["find_unused_parameters_false_safe"] is True


def test_dead_weights_of_a_nested_class_are_named_by_their_path() -> None:
    v = _ddp(f"{TREE}::TinyViT")
    dead = [(p["names"], p["when"], p["applies"]) for p in v["parameters"]]
    assert (["blocks.*.stats.bias", "blocks.*.stats.weight"], None, True) in dead
    assert (["dist_head.bias", "dist_head.weight"], None, True) in dead


def test_the_text_verdict_and_a_bad_setting() -> None:
    out = CliRunner().invoke(main, ["ddp", f"{FIXTURE}::FlashAttention"])
    assert "  * norm.bias, norm.weight: unused when `qk_norm=None`" in out.output
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

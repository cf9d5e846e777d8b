"""`deadweight explain-ddp`: a DDP or Lightning unused-parameter error mapped back to source.

The logs in tests/data/ddp are written by us in the shape of torch's reducer message (names
with TORCH_DISTRIBUTED_DEBUG=DETAIL, indices without) and of Lightning's, which re-raises it.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from deadweight.cli import main
from deadweight.ddp.parse import parse_ddp_error

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "fixtures" / "tree" / "vit.py"
LOGS = ROOT / "tests" / "data" / "ddp"


def _run(cls: str, log: str, *extra: str) -> tuple[int, str]:
    out = CliRunner().invoke(main, ["explain-ddp", f"{MODEL}::{cls}", str(LOGS / log), *extra])
    return out.exit_code, out.output


def test_the_detail_form_is_parsed_once_per_name_across_ranks() -> None:
    error = parse_ddp_error((LOGS / "detail.log").read_text())
    assert error.ranks == ["0", "1"]
    assert error.names == [
        "module.blocks.1.stats.weight",
        "module.blocks.1.stats.bias",
        "module.dist_head.weight",
        "module.dist_head.bias",
        "module.head.weight",
    ]
    assert error.indices == [10, 11, 26, 27, 28]


def test_every_name_maps_to_the_line_that_creates_it_with_the_verdict() -> None:
    code, text = _run("TinyViT", "detail.log", "--output-format", "json")
    assert code == 0
    got = [
        (p["name"], p["owner"], p["attribute"], p["key"], p["line"], p["verdict"])
        for p in json.loads(text)["parameters"]
    ]
    assert got == [
        ("module.blocks.1.stats.weight", "Block", "stats", "weight", 25, "DW101 high"),
        ("module.blocks.1.stats.bias", "Block", "stats", "bias", 25, "DW101 high"),
        ("module.dist_head.weight", "TinyViT", "dist_head", "weight", 38, "DW101 high"),
        ("module.dist_head.bias", "TinyViT", "dist_head", "bias", 38, "DW101 high"),
        ("module.head.weight", "TinyViT", "head", "weight", 39, None),
    ]
    _, words = _run("TinyViT", "detail.log")
    assert (
        "created by `TinyViT` as `dist_head` (nn.Linear), " in words
        and ":38, key `weight`, only when `distilled`" in words
    )
    assert "used on the static forward path: its output likely does not reach the loss" in words


def test_lightnings_error_and_a_wrapper_prefix() -> None:
    code, text = _run("PatchStem", "lightning.log", "--output-format", "json")
    assert code == 0
    got = [(p["name"], p["owner"], p["attribute"], p["key"], p["line"]) for p in json.loads(text)["parameters"]]
    assert got == [
        ("model.seq.2.stats.weight", "Block", "stats", "weight", 25),
        ("model.seq.2.stats.bias", "Block", "stats", "bias", 25),
        ("model.layers.0.weight", "PatchStem", "layers", "0.weight", 55),
    ]


def test_indices_are_named_in_named_parameters_order_when_counts_are_constant() -> None:
    code, text = _run("Gated", "index.log")
    assert code == 0
    assert "index 2 is beyond the 2 parameters of `Gated`'s tree" in text
    assert "extra.weight\n  created by `Gated` as `extra` (nn.Linear)" in text
    assert "but only under `x.shape[1] > 16`" in text  # the input decides, not the code
    code, text = _run("TinyViT", "index.log")
    assert code == 0 and "TinyViT: 2 parameter indices without a gradient" in text
    assert "rerun with TORCH_DISTRIBUTED_DEBUG=DETAIL" in text


def test_a_log_without_the_error_is_a_usage_error(tmp_path: Path) -> None:
    log = tmp_path / "empty.log"
    log.write_text("Epoch 1: loss 0.3\n")
    code, text = _run("TinyViT", str(log))
    assert code == 2 and "no 'did not receive grad' line" in text

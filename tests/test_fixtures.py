"""Exact findings on the fixture repositories: one folder per defect pattern or hard negative.

Each fixture is analyzed on its own (as `deadweight check fixtures/<name>` would), with every
confidence level shown, so a change in a verdict or in its confidence fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deadweight.api import check
from deadweight.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# (code, path relative to the fixture, line, class, attribute, confidence)
EXPECTED: dict[str, set[tuple[str, str, int, str, str, str]]] = {
    "cogvideo_i2v": {
        ("DW101", "transformer.py", 13, "PatchEmbed", "pos_embedding", "high"),
        ("DW301", "transformer.py", 13, "PatchEmbed", "pos_embedding", "high"),
    },
    "sat_mixin": {
        ("DW101", "mixins.py", 14, "LearnablePositionMixin", "pos_embedding", "high"),
        ("DW301", "mixins.py", 14, "LearnablePositionMixin", "pos_embedding", "high"),
        ("DW102", "sat_local/base.py", 18, "ScaleMixin", "unused_gate", "high"),
    },
    "helpers": set(),
    "cross_file": {("DW101", "vision/classifier.py", 9, "Classifier", "aux_head", "high")},
    "init_only": {
        ("DW102", "encoder.py", 10, "Encoder", "cls_token", "medium"),
        ("DW102", "encoder.py", 11, "Encoder", "register_tokens", "high"),
        ("DW102", "encoder.py", 33, "Sampler", "guidance", "low"),
    },
    "containers": {("DW101", "tower.py", 12, "Tower", "extra_blocks", "high")},
    "dynamic_names": {
        ("DW101", "net.py", 24, "ChildrenNet", "a", "low"),
        ("DW101", "net.py", 25, "ChildrenNet", "b", "low"),
    },
    "override_drop": {("DW103", "base.py", 11, "ImageToVideoDiT", "pos_embed", "high")},
    "holder_read": {("DW101", "model.py", 11, "Embeddings", "type_embed", "high")},
    "unused_layers": {
        ("DW105", "mlp.py", 11, "MLP", "dropout", "high"),
        ("DW105", "mlp.py", 12, "MLP", "norm", "high"),
    },
    "registration": {
        ("DW101", "buffers.py", 9, "Rotary", "cached_cos", "high"),
        ("DW101", "buffers.py", 11, "Rotary", "unused_bias", "high"),
    },
    "lightning_steps": {("DW101", "module.py", 10, "LitClassifier", "aux", "high")},
    "mixin_forward": set(),
    "metadata_only": {
        ("DW104", "embed.py", 9, "Embed", "pos", "high"),
        ("DW301", "embed.py", 9, "Embed", "pos", "high"),
        ("DW104", "embed.py", 10, "Embed", "scale", "low"),
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_findings(name: str) -> None:
    root = FIXTURES / name
    settings = Settings(min_confidence="low", use_cache=False, jobs=1, project_root=str(root))
    result = check([root], settings)
    assert result.errors == []
    got = {(f.code, f.path, f.line, f.class_name, f.attribute, f.confidence) for f in result.findings}
    assert got == EXPECTED[name]


def test_fixture_findings_locate_the_attribute() -> None:
    """The span covers the attribute name on the definition line (what the report highlights)."""
    root = FIXTURES / "cogvideo_i2v"
    result = check([root], Settings(min_confidence="low", use_cache=False, jobs=1, project_root=str(root)))
    f = next(f for f in result.findings if f.code == "DW101")
    line = (root / f.path).read_text().splitlines()[f.line - 1]
    assert line[f.column - 1 : f.end_column - 1] == "pos_embedding"
    assert "learnable_pos_embed" in f.message and "checkpoint key `pos_embedding`" in f.message


def test_fixed_mixin_variant_is_clean() -> None:
    root = FIXTURES / "sat_mixin"
    result = check([root], Settings(min_confidence="low", use_cache=False, jobs=1, project_root=str(root)))
    assert not [f for f in result.findings if f.class_name in ("FixedLearnablePositionMixin", "AdaLNMixin")]


def test_override_finding_names_the_override() -> None:
    root = FIXTURES / "override_drop"
    result = check([root], Settings(min_confidence="low", use_cache=False, jobs=1, project_root=str(root)))
    (f,) = result.findings
    assert "`ImageToVideoDiT.forward` overrides `VideoDiT.forward`" in f.message
    assert [(r.path, r.line) for r in f.related] == [("variants.py", 7), ("base.py", 15)]


def test_worker_count_policy() -> None:
    """`--jobs 0` uses every core for real projects but stays in-process for tiny ones."""
    import os

    from deadweight.engine.extraction import SMALL_PROJECT, worker_count

    assert worker_count(3, 1) == 3
    assert worker_count(0, SMALL_PROJECT - 1) == 1
    assert worker_count(0, SMALL_PROJECT) == len(os.sched_getaffinity(0))


def test_mixin_finding_names_the_hook_that_returns_none() -> None:
    """The CogVideo I2V shape: the message says which hook returns None instead of the weight."""
    root = FIXTURES / "sat_mixin"
    result = check([root], Settings(min_confidence="low", use_cache=False, jobs=1, project_root=str(root)))
    (f,) = [f for f in result.findings if f.code == "DW101"]
    assert "`LearnablePositionMixin.position_embedding_forward` returns None" in f.message

"""Exact findings of the DW2xx/DW3xx/DW4xx rules on our own fixture repos."""

from __future__ import annotations

from pathlib import Path

import pytest

from deadweight.rules.registry import builtin_rules
from deadweight.testing import run_files

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RULES = [r for r in builtin_rules() if r.code[:3] in ("DW2", "DW3", "DW4")]


def findings(folder: str) -> set[tuple[str, str, str, str, int]]:
    root = FIXTURES / folder
    files = {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py"))}
    return {(f.code, f.path, f.class_name, f.attribute, f.line) for f in run_files(files, RULES)}


def test_rule_set_and_defaults() -> None:
    by_code = {r.code: r for r in RULES}
    assert sorted(by_code) == ["DW201", "DW202", "DW203", "DW204", "DW301", "DW302", "DW401", "DW402", "DW403"]
    assert by_code["DW403"].severity == "info"
    assert by_code["DW302"].preview and by_code["DW402"].preview
    for r in RULES:
        assert "strict=False" in r.fix or "checkpoint" in r.fix.lower(), r.code


def test_registration_fixture() -> None:
    b = "models/backbone.py"
    assert findings("registration_rules") == {
        # DW201: plain list (cross-file ctor), dict, tuple of parameters; not `dims`, not `stem`
        ("DW201", b, "Pyramid", "stages", 12),
        ("DW201", b, "Pyramid", "heads", 13),
        ("DW201", b, "Pyramid", "scales", 14),
        # DW202: mask and a requires_grad tensor; not `freqs` (moved at use), not `steps` (unused)
        ("DW202", b, "Positional", "mask", 31),
        ("DW202", b, "Positional", "alpha", 32),
        # DW203: module and buffer before super().__init__(); not the int `dim`, not `Legacy`
        ("DW203", b, "EarlyHead", "fc", 47),
        ("DW203", b, "EarlyHead", "prior", 48),
        # DW204: first `proj` dead; `out` is wrapped, `norm` read in between
        ("DW204", b, "Rebuilt", "proj", 61),
    }


def test_config_fixture() -> None:
    e = "embed.py"
    assert findings("config_flags") == {
        # DW301: the seed defect and a config attribute flag; not `use_type_embed` (consulted)
        ("DW301", e, "VideoPatchEmbed", "pos_embedding", 12),
        ("DW301", e, "GatedBlock", "gate", 30),
        # DW302: `norm` used unguarded; `scale` guarded, `bias` behind a flag early return,
        # `proj` built in both branches, `EarlyExit.head` behind an `is None` early return
        ("DW302", e, "OptionalNorm", "norm", 54),
    }


def test_dataflow_fixture() -> None:
    b = "blocks.py"
    assert findings("forward_dataflow") == {
        # DW401: LayerNorm and Dropout outputs dropped; not the in-place ReLU, the Recorder
        # (forward returns nothing), BatchNorm (running stats), nor anything in `debug`
        ("DW401", b, "Block", "norm1", 27),
        ("DW401", b, "Block", "drop", 30),
        # DW402: `h` never read, `y` overwritten; not `prev` (read after the loop)
        ("DW402", b, "Block", "attn", 28),
        ("DW402", b, "Block", "aux", 34),
        # DW403: both keep-alive forms
        ("DW403", b, "Block", "head", 36),
        ("DW403", b, "Vision", "vision", 53),
    }


@pytest.mark.parametrize("folder", ["registration_rules", "config_flags", "forward_dataflow"])
def test_findings_mention_checkpoints_or_fix(folder: str) -> None:
    root = FIXTURES / folder
    files = {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py"))}
    for f in run_files(files, RULES):
        assert f.fingerprint and f.message
        if f.code in ("DW201", "DW202"):
            assert "strict=False" in f.message or "_load_from_state_dict" in f.message or "no checkpoint" in f.message

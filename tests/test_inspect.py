"""`deadweight inspect PATH::Class`: why a class is (not) judged, and each weight's verdict."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from deadweight.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "conventions" / "unresolved_base_evidence" / "mixins.py"


def _inspect(target: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["inspect", target, "--isolated", *args])
    return result.exit_code, result.output


def test_an_evidence_judged_class_says_why_and_lists_its_weights() -> None:
    code, out = _inspect(f"{FIXTURE}::LearnablePositionMixin", "--output-format", "json")
    assert code == 0
    (report,) = json.loads(out)
    assert report["is_module"] is True
    assert report["why"].startswith("judged a module because its base `sat.model.mixins.BaseMixin` is not resolved")
    assert report["entry_points"] == ["LearnablePositionMixin.position_embedding_forward"]
    assert [(w["name"], w["kind"], w["line"]) for w in report["weights"]] == [("pos_embedding", "parameter", 16)]
    assert report["weights"][0]["verdict"].startswith("DW101 medium: parameter `pos_embedding` is never used")


def test_a_skipped_class_names_its_unresolved_base() -> None:
    code, out = _inspect(f"{FIXTURE}::Settings")
    assert code == 0
    assert "module: no, not judged: its base `mmengine.model.BaseModule` is not resolved" in out
    assert "entry points: none" in out


def test_a_used_weight_and_a_missing_class() -> None:
    code, out = _inspect(f"{FIXTURE}::CachedStats")
    assert code == 0 and "buffer `mean` from CachedStats, line 50: used (used in CachedStats.forward)" in out
    code, out = _inspect(f"{FIXTURE}::Nope")
    assert code == 2 and "no class `Nope`" in out
    code, out = _inspect(str(FIXTURE))
    assert code == 2 and "expected PATH::CLASS" in out

"""What the fixture repositories report beyond their finding sets.

The finding set of each fixture (path, line, code, confidence) is written next to the code as
`# expect:` comments and checked by tests/test_fixture_expectations.py; this file checks the
rest of a finding: its span, its message, its related locations, and the worker policy.
"""

from __future__ import annotations

from pathlib import Path

from deadweight.api import check
from deadweight.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


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

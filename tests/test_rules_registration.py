"""The DW2xx/DW3xx/DW4xx rules: their defaults, and what their findings say on our fixtures.

Which lines of registration_rules, config_flags and forward_dataflow they report is written as
`# expect:` comments in those fixtures and checked by tests/test_fixture_expectations.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deadweight.rules.registry import builtin_rules
from deadweight.testing import run_files

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RULES = [r for r in builtin_rules() if r.code[:3] in ("DW2", "DW3", "DW4")]


def test_rule_set_and_defaults() -> None:
    by_code = {r.code: r for r in RULES}
    assert sorted(by_code) == [
        "DW201",
        "DW202",
        "DW203",
        "DW204",
        "DW301",
        "DW302",
        "DW303",
        "DW304",
        "DW401",
        "DW402",
        "DW403",
        "DW404",
    ]
    assert by_code["DW403"].severity == "info"
    assert sorted(c for c, r in by_code.items() if r.preview) == ["DW302", "DW303", "DW304"]
    for r in RULES:
        assert "strict=False" in r.fix or "checkpoint" in r.fix.lower(), r.code


@pytest.mark.parametrize("folder", ["registration_rules", "config_flags", "forward_dataflow"])
def test_findings_mention_checkpoints_or_fix(folder: str) -> None:
    root = FIXTURES / folder
    files = {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py"))}
    for f in run_files(files, RULES):
        assert f.fingerprint and f.message
        if f.code in ("DW201", "DW202"):
            assert "strict=False" in f.message or "_load_from_state_dict" in f.message or "no checkpoint" in f.message

"""Every rule's bad examples report exactly the marked lines; its good examples report nothing."""

from __future__ import annotations

import pytest

from deadweight.rules.base import Rule
from deadweight.rules.registry import builtin_rules
from deadweight.testing import Expected, expectations, run_files, split_files

RULES = builtin_rules()
BAD = [(r, i, ex) for r in RULES for i, ex in enumerate(r.bad)]
GOOD = [(r, i, ex) for r in RULES for i, ex in enumerate(r.good)]


def test_every_rule_is_documented_and_has_examples() -> None:
    assert RULES, "no built-in rules found"
    for rule in RULES:
        assert rule.code and rule.name and rule.summary and rule.rationale and rule.fix, rule
        assert rule.bad, f"{rule.code} has no bad example"
        assert rule.good, f"{rule.code} has no good example"
        assert any(expectations(split_files(ex)) for ex in rule.bad), f"{rule.code}: no `# expect:` marker"


@pytest.mark.parametrize(("rule", "index", "example"), BAD, ids=[f"{r.code}-bad{i}" for r, i, _ in BAD])
def test_bad_example_reports_marked_lines(rule: type[Rule], index: int, example: str) -> None:
    files = split_files(example)
    expected = {e for e in expectations(files) if e.code == rule.code}
    found = {Expected(f.path, f.line, f.code) for f in run_files(files, [rule])}
    assert found == expected


@pytest.mark.parametrize(("rule", "index", "example"), GOOD, ids=[f"{r.code}-good{i}" for r, i, _ in GOOD])
def test_good_example_reports_nothing(rule: type[Rule], index: int, example: str) -> None:
    findings = run_files(split_files(example), [rule])
    assert findings == []


def test_rules_reference_is_current() -> None:
    """docs/rules.md is generated from the rule classes; regenerate with
    `deadweight explain --all > docs/rules.md` after changing a rule's documentation."""
    from pathlib import Path

    from deadweight.explain import render_all
    from deadweight.rules.registry import all_rules

    doc = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
    assert doc.read_text(encoding="utf-8") == render_all(all_rules())

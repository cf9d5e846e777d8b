"""Every fixture repository reports exactly what its `# expect:` comments say.

One case per fixture folder, found on disk: adding a folder under fixtures/ (or under a group
such as fixtures/conventions/) is enough to test it. Each case runs the real pipeline on the
folder as its own project, at every confidence level and without a cache (as `deadweight check
fixtures/<name> --min-confidence low --no-cache` would), and compares (path, line, code,
confidence) with the comments; see fixtures/README.md for the grammar.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from deadweight.api import check
from deadweight.testing import (
    ExpectationError,
    Expected,
    check_fixture,
    fixture_expectations,
    fixture_settings,
    match,
    parse_marker,
    source_expectations,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# Folders whose sub-folders are the fixtures, each its own project, with the settings they share.
# conventions/: hard negatives of the DW1xx liveness rules; only DW1 is selected so that the
# registration, configuration and dataflow families cannot interfere.
GROUPS: dict[str, dict[str, Any]] = {"conventions": {"select": ("DW1",)}}

# Fixtures written for the DW2xx/DW3xx/DW4xx families: only those are selected, and selecting
# by prefix includes their preview rule (DW302), which the default set leaves out.
FAMILIES = {"select": ("DW2", "DW3", "DW4")}
SETTINGS: dict[str, dict[str, Any]] = {
    "registration_rules": FAMILIES,
    "config_flags": FAMILIES,
    "forward_dataflow": FAMILIES,
    "ddp_configs": {"select": ("DW1", "DW303", "DW304")},  # DW303 and DW304 are preview: selected by code
    "real_bugs": {"extend_select": ("DW303", "DW304")},  # the default rules, and the preview DW303, DW304
}


def fixture_cases() -> dict[str, tuple[Path, dict[str, Any]]]:
    cases: dict[str, tuple[Path, dict[str, Any]]] = {}
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        if folder.name in GROUPS:
            for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
                cases[f"{folder.name}/{sub.name}"] = (sub, GROUPS[folder.name])
        else:
            cases[folder.name] = (folder, SETTINGS.get(folder.name, {}))
    return cases


CASES = fixture_cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_reports_its_expectations(name: str) -> None:
    root, overrides = CASES[name]
    report = check_fixture(root, **overrides)
    assert report.ok, report.diff()


def test_fixture_discovery() -> None:
    """Every folder is a case with Python files in it, and the settings table names no stale folder."""
    assert len(CASES) >= 37
    assert set(SETTINGS) <= set(CASES)
    assert "conventions" not in CASES and "conventions/tied_weights" in CASES
    for name, (root, _) in CASES.items():
        assert any(root.rglob("*.py")), name
    assert sum(len(fixture_expectations(root)[0]) for root, _ in CASES.values()) >= 59


def _strip_markers(root: Path) -> None:
    for file in root.rglob("*.py"):
        text = file.read_text(encoding="utf-8")
        file.write_text(re.sub(r"[ \t]*# expect:[^\n]*", "", text), encoding="utf-8")


def test_expect_comments_change_nothing_that_is_reported(tmp_path: Path) -> None:
    """`# expect:` is not a suppression: without the comments every fixture reports the same."""
    for name, (root, overrides) in CASES.items():
        bare = tmp_path / name
        shutil.copytree(root, bare)
        _strip_markers(bare)
        assert not any(source_expectations(p.name, p.read_text()) for p in bare.rglob("*.py"))
        with_comments = check([root], fixture_settings(root, **overrides))
        without = check([bare], fixture_settings(bare, **overrides))
        assert [f.to_dict() for f in with_comments.findings] == [f.to_dict() for f in without.findings], name


# --------------------------------------------------------------------------- the harness can fail


def _copy(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return root


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_wrong_confidence_is_a_mismatch(tmp_path: Path) -> None:
    root = _copy(tmp_path, "cogvideo_i2v")
    _edit(root / "transformer.py", "# expect: DW101[high]", "# expect: DW101[medium]")
    report = check_fixture(root)
    assert not report.ok
    assert report.missing == (Expected("transformer.py", 13, "DW101", "medium"),)
    assert report.unexpected == (Expected("transformer.py", 13, "DW101", "high"),)
    assert "missing     transformer.py:13: DW101[medium]  (reported as DW101[high])" in report.diff()
    assert "self.pos_embedding = nn.Parameter" in report.diff()


def test_missing_and_unexpected_findings_are_mismatches(tmp_path: Path) -> None:
    root = _copy(tmp_path, "unused_layers")
    mlp = root / "mlp.py"
    _edit(mlp, "  # expect: DW105[high]", "")  # the dropout is still reported
    lines = mlp.read_text().splitlines()
    lines[0] += "  # expect: DW101[low]"  # nothing is reported on line 1
    mlp.write_text("\n".join(lines) + "\n")
    report = check_fixture(root)
    assert report.missing == (Expected("mlp.py", 1, "DW101", "low"),)
    assert report.unexpected == (Expected("mlp.py", 11, "DW105", "high"),)
    assert "1 missing, 1 unexpected" in report.diff()


def test_settings_are_part_of_a_fixture() -> None:
    """Run with the default rule set, config_flags' preview findings (DW302) go missing, and its
    DW301 fold into the DW101 of the weight the ignored flag creates."""
    report = check_fixture(FIXTURES / "config_flags")
    assert {e.code for e in report.missing} == {"DW301", "DW302"}


def test_expectation_without_confidence_matches_any(tmp_path: Path) -> None:
    root = _copy(tmp_path, "cogvideo_i2v")
    _edit(root / "transformer.py", "# expect: DW101[high]", "# expect: DW101")
    assert check_fixture(root).ok


def test_matching_counts_each_finding_once() -> None:
    a = Expected("a.py", 3, "DW101", "high")
    loose = Expected("a.py", 3, "DW101")
    assert match([a], [a]) == ([], [])
    assert match([a], [loose]) == ([], [])
    assert match([a], [a, loose]) == ([loose], [])
    assert match([a, a], [a]) == ([], [a])
    assert match([a], [Expected("a.py", 4, "DW101", "high")]) == ([Expected("a.py", 4, "DW101", "high")], [a])


def test_marker_grammar() -> None:
    assert parse_marker("# expect: DW101", "m.py", 3) == [Expected("m.py", 3, "DW101")]
    assert parse_marker("#expect: DW101[high]") == [Expected("<string>", 0, "DW101", "high")]
    assert parse_marker("# expect: DW105[medium], DW301[medium]  # a note", "m.py", 1) == [
        Expected("m.py", 1, "DW105", "medium"),
        Expected("m.py", 1, "DW301", "medium"),
    ]
    assert parse_marker("# expect: DW101 DW102", "m.py", 1) == [
        Expected("m.py", 1, "DW101"),
        Expected("m.py", 1, "DW102"),
    ]
    assert parse_marker("# noqa: E731") == []
    for bad in ("# expect: DW101[hihg]", "# expect: DW101 [high]", "# expect: dw101", "# expect:", "# expect: DW101[]"):
        with pytest.raises(ExpectationError):
            parse_marker(bad, "m.py", 7)


def test_only_comments_carry_expectations() -> None:
    source = 'def f():\n    """Mark a line with `# expect: DW101[high]`."""\n    x = 1  # expect: DW102[low]\n'
    assert source_expectations("m.py", source) == [Expected("m.py", 3, "DW102", "low")]

"""Baselines: record today's findings, hide them by fingerprint across edits that move lines,
drop fixed ones on rewrite (keeping reviewers' reasons), report stale entries, and refuse
missing or malformed files with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deadweight.filter import baseline as bl
from deadweight.findings import Finding, Result, Summary, fingerprint
from tests.test_cli import CLEAN, MLP, project, run

TWO = MLP.format(dropout_comment="").replace(
    "        self.dropout = nn.Dropout(p)\n",
    "        self.dropout = nn.Dropout(p)\n        self.act = nn.GELU()\n",
)


def entries(path: Path) -> list[dict[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 1
    return data["findings"]


def test_write_records_sorted_findings_and_exits_0(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": TWO, "clean.py": CLEAN})
    result = run("--write-baseline", "baseline.json", cwd=root)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "deadweight: wrote 2 findings to baseline.json\n"
    assert (root / "baseline.json").read_text(encoding="utf-8") == json.dumps(
        {
            "version": 1,
            "findings": [
                {
                    "fingerprint": fingerprint("DW105", "mlp.py", "MLP", "act"),
                    "code": "DW105",
                    "path": "mlp.py",
                    "class": "MLP",
                    "attribute": "act",
                },
                {
                    "fingerprint": fingerprint("DW105", "mlp.py", "MLP", "dropout"),
                    "code": "DW105",
                    "path": "mlp.py",
                    "class": "MLP",
                    "attribute": "dropout",
                },
            ],
        },
        indent=2,
    ) + "\n"


def test_round_trip_across_an_edit_that_moves_lines(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": TWO})
    assert run("--write-baseline", "baseline.json", cwd=root).exit_code == 0
    # Lines added above both findings: fingerprints carry no line numbers.
    (root / "mlp.py").write_text('"""Docstring."""\n\nimport os\n\n' + TWO, encoding="utf-8")
    hidden = run("--baseline", "baseline.json", "--output-format", "json", cwd=root)
    assert hidden.exit_code == 0
    report = json.loads(hidden.stdout)
    assert report["findings"] == []
    assert report["summary"]["baselined"] == 2
    assert report["summary"]["baseline_stale"] == 0
    assert report["summary"]["findings"] == 0
    assert hidden.stderr == ""
    text = run("--baseline", "baseline.json", cwd=root)
    assert text.stdout.strip() == "No dead weights found in 1 file; 2 findings hidden by the baseline."


def test_new_finding_is_reported_while_known_ones_stay_hidden(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment="")})
    assert run("--write-baseline", "baseline.json", cwd=root).exit_code == 0
    (root / "mlp.py").write_text(TWO, encoding="utf-8")
    result = run("--baseline", "baseline.json", "--output-format", "json", cwd=root)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(f["code"], f["attribute"]) for f in report["findings"]] == [("DW105", "act")]
    assert report["summary"]["baselined"] == 1
    assert report["summary"]["by_code"] == {"DW105": 1}
    assert report["summary"]["by_confidence"]["high"] == 1


def test_fixed_finding_is_stale_then_dropped_and_reasons_survive_rewrites(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": TWO})
    assert run("--write-baseline", "baseline.json", cwd=root).exit_code == 0
    path = root / "baseline.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data["findings"]:
        entry["reason"] = f"acknowledged: {entry['attribute']} is in released checkpoints"
    path.write_text(json.dumps(data), encoding="utf-8")
    # Fix one of the two: its entry is stale.
    (root / "mlp.py").write_text(TWO.replace("        self.act = nn.GELU()\n", ""), encoding="utf-8")
    result = run("--baseline", "baseline.json", "--output-format", "json", cwd=root)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["baseline_stale"] == 1
    assert result.stderr == (
        "deadweight: 1 baseline entry in " + str(path) + " no longer matches any finding (fixed, renamed or now "
        "suppressed); rewrite it with --write-baseline " + str(path) + " to drop it:\n"
        "  DW105 mlp.py MLP.act\n"
    )
    rewrite = run("--write-baseline", "baseline.json", cwd=root)
    assert rewrite.stderr == "deadweight: wrote 1 finding to baseline.json\n"
    assert entries(path) == [
        {
            "fingerprint": fingerprint("DW105", "mlp.py", "MLP", "dropout"),
            "code": "DW105",
            "path": "mlp.py",
            "class": "MLP",
            "attribute": "dropout",
            "reason": "acknowledged: dropout is in released checkpoints",
        }
    ]


def test_baseline_from_config(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment="")}, 'baseline = "ci/baseline.json"\n')
    assert run("--write-baseline", "ci/baseline.json", cwd=root).exit_code == 0
    sub = root / "ci"
    result = run("--output-format", "concise", str(root), cwd=sub)  # config path is relative to its file
    assert result.exit_code == 0
    assert result.stdout == ""


def test_baseline_with_file_arguments_does_not_call_other_files_stale(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment=""), "clean.py": CLEAN})
    assert run("--write-baseline", "baseline.json", cwd=root).exit_code == 0
    result = run("--baseline", "baseline.json", "clean.py", cwd=root)
    assert result.exit_code == 0
    assert result.stderr == ""


def test_write_baseline_refuses_partial_runs(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment="")})
    result = run("--write-baseline", "baseline.json", "mlp.py", cwd=root)
    assert result.exit_code == 2
    assert result.stderr == (
        "deadweight: error: --write-baseline records the whole project; do not combine it with file arguments or --diff-base\n"
    )
    assert not (root / "baseline.json").exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file (create it with --write-baseline {path})"),
        ("{", "not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)"),
        ("[]", 'expected a JSON object with "version" and "findings"'),
        ('{"version": 2, "findings": []}', "unsupported version 2 (expected 1)"),
        ('{"version": 1}', '"findings" must be a list'),
        ('{"version": 1, "findings": [{"code": "DW101"}]}', 'findings[0]: missing "fingerprint"'),
        ('{"version": 1, "findings": [{"fingerprint": "ab", "reason": 3}]}', 'findings[0]: "reason" must be a string'),
    ],
)
def test_missing_or_malformed_baseline_is_exit_2(tmp_path: Path, content: str | None, problem: str) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment="")})
    path = root / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run("--baseline", "baseline.json", cwd=root)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"deadweight: error: baseline {path}: {problem.format(path=path)}\n"


def test_write_baseline_refuses_to_overwrite_a_malformed_file(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment="")})
    (root / "baseline.json").write_text("not json", encoding="utf-8")
    result = run("--write-baseline", "baseline.json", cwd=root)
    assert result.exit_code == 2
    assert (root / "baseline.json").read_text(encoding="utf-8") == "not json"


def test_stale_suppressions_can_be_baselined_separately(tmp_path: Path) -> None:
    source = CLEAN.replace("self.fc = nn.Linear(dim, dim)", "self.fc = nn.Linear(dim, dim)  # noqa: DW105") + (
        "\n\nclass Other(Clean):  # deadweight: ignore[DW101]\n    pass\n"
    )
    root = project(tmp_path, {"clean.py": source})
    assert (
        run("--write-baseline", "baseline.json", cwd=root).stderr == "deadweight: wrote 2 findings to baseline.json\n"
    )
    assert [e["code"] for e in entries(root / "baseline.json")] == ["DW001", "DW001"]
    assert run("--baseline", "baseline.json", cwd=root).exit_code == 0


# --------------------------------------------------------------------------- the module API


def finding(code: str, path: str, cls: str, attr: str, confidence: str = "high") -> Finding:
    return Finding(code, "r", "warning", confidence, "m", path, 1, 1, 1, 2, cls, attr, cls).with_fingerprint()


def test_apply_scopes_stale_entries_to_reported_files_and_active_codes(tmp_path: Path) -> None:
    known = [finding("DW101", "a.py", "A", "x"), finding("DW105", "b.py", "B", "y"), finding("DW102", "a.py", "A", "z")]
    path = tmp_path / "baseline.json"
    assert bl.write(path, Result(str(tmp_path), known, [], Summary())) == 3
    new = finding("DW101", "a.py", "A", "new", confidence="medium")
    result = Result(str(tmp_path), [known[0], new], [], Summary(findings=2, by_code={"DW101": 2}))
    stale = bl.apply(path, result, only_files={"a.py"}, inactive_codes={"DW102"})
    assert stale == []  # b.py is not reported; DW102 did not run
    assert result.findings == [new]
    assert (result.summary.findings, result.summary.baselined, result.summary.baseline_stale) == (1, 1, 0)
    assert result.summary.by_code == {"DW101": 1}
    assert result.summary.by_confidence == {"medium": 1}
    everything = bl.apply(path, Result(str(tmp_path), [], [], Summary()))
    assert [e.describe() for e in everything] == ["DW101 a.py A.x", "DW102 a.py A.z", "DW105 b.py B.y"]


DISCARDS = """\
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        self.norm(x)
{more}        return self.norm(x)
"""


def test_findings_on_one_attribute_get_distinct_fingerprints_and_a_new_one_is_not_hidden(tmp_path: Path) -> None:
    """Three discarded calls of `self.norm` are three DW401: a baseline of one must not hide the others."""
    root = project(tmp_path, {"block.py": DISCARDS.format(more="")}, 'extend-select = ["DW401"]\n')
    assert run("--write-baseline", "baseline.json", cwd=root).exit_code == 0
    (root / "block.py").write_text(
        DISCARDS.format(more="        self.norm(x)\n        self.norm(x)\n"), encoding="utf-8"
    )
    full = json.loads(run("--output-format", "json", cwd=root).stdout)["findings"]
    prints = [f["fingerprint"] for f in full if f["code"] == "DW401"]
    assert len(prints) == 3 and len(set(prints)) == 3
    assert prints[0] == fingerprint("DW401", "block.py", "Block", "norm")  # the first keeps the plain one
    result = json.loads(run("--baseline", "baseline.json", "--output-format", "json", cwd=root).stdout)
    assert [(f["code"], f["line"]) for f in result["findings"]] == [("DW401", 11), ("DW401", 12)]
    assert result["summary"]["baselined"] == 1

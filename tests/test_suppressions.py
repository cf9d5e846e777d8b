"""Suppression comments: which comments are read, which are errors (DW002), which are stale or
unknown (DW001), and file-level `ignore-file`. The comment forms are read from tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deadweight.extract.comments import parse_suppressions
from deadweight.extract.facts import Suppression
from tests.test_cli import DROPOUT_MESSAGE, MLP, project, run


def findings(root: Path, *args: str) -> tuple[int, list[tuple[str, int, int, str]], dict[str, int]]:
    """(exit code, (code, line, column, message) of each finding, summary)."""
    result = run("--output-format", "json", *args, cwd=root)
    data = json.loads(result.stdout)
    return (
        result.exit_code,
        [(f["code"], f["line"], f["column"], f["message"]) for f in data["findings"]],
        data["summary"],
    )


def mlp(tmp_path: Path, comment: str, head: str = "") -> Path:
    return project(tmp_path, {"mlp.py": head + MLP.format(dropout_comment=comment)})


# --------------------------------------------------------------------------- reading comments


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1  # deadweight: ignore[DW101]\n", [Suppression(1, 8, 35, ("DW101",))]),
        ("x = 1  # deadweight: ignore[dw101, DW1]\n", [Suppression(1, 8, 40, ("DW101", "DW1"))]),
        ("x = 1  # deadweight: ignore\n", [Suppression(1, 8, 28, ())]),
        ("x = 1  # deadweight: ignore  kept for old configs\n", [Suppression(1, 8, 50, ())]),
        ("x = 1  # noqa: E501, DW105\n", [Suppression(1, 8, 27, ("DW105",))]),
        ("x = 1  # type: ignore  # deadweight: ignore[DW1]\n", [Suppression(1, 24, 49, ("DW1",))]),
        ("# deadweight: ignore-file[DW105]\n", [Suppression(1, 1, 33, ("DW105",), whole_file=True)]),
        ("# deadweight: ignore-file\n", [Suppression(1, 1, 26, (), whole_file=True)]),
    ],
)
def test_comments_that_suppress(source: str, expected: list[Suppression]) -> None:
    assert parse_suppressions(source) == (tuple(expected), ())


@pytest.mark.parametrize(
    "source",
    [
        'x = "# deadweight: ignore"\n',  # in a string literal
        'x = 1\n"""\n# deadweight: ignore[DW101]\n"""\n',  # in a docstring line
        "x = 1  # noqa\n",  # bare noqa belongs to other linters
        "x = 1  # noqa: F401\n",
        "x = 1  # deadweight ignore\n",  # no colon: not a directive
    ],
)
def test_text_that_is_not_a_suppression(source: str) -> None:
    assert parse_suppressions(source) == ((), ())


@pytest.mark.parametrize(
    ("comment", "reason"),
    [
        ("# deadweight: ignore(DW101)", "put the codes in square brackets, as in `ignore[DW101]`"),
        ("# deadweight: ignore DW101", "put the codes in square brackets, as in `ignore[DW101]`"),
        ("# deadweight: ignore: DW101", "put the codes in square brackets, as in `ignore[DW101]`"),
        ("# deadweight: ignore[]", "names no code"),
        ("# deadweight: ignore[ , ]", "names no code"),
        ("# deadweight: ignore[DW101", "has no closing `]`"),
        ("# deadweight: ignore[all]", "`all` is not a rule code"),
        ("# deadweight: ignored", "`# deadweight:` is followed by `ignored`"),
        ("# deadweight: skip", "`# deadweight:` is followed by `skip`"),
        ("# deadweight:", "`# deadweight:` is followed by nothing"),
        ("# deadweight: ignore-file(DW105)", "as in `ignore-file[DW101]`"),
    ],
)
def test_malformed_directives_are_recorded_not_read_as_bare(comment: str, reason: str) -> None:
    good, bad = parse_suppressions(f"x = 1  {comment}\n")
    assert good == ()
    assert [(b.line, b.column, b.end_column) for b in bad] == [(1, 8, 8 + len(comment))]
    assert reason in bad[0].reason


def test_a_file_tokenize_rejects_is_still_read_line_by_line() -> None:
    good, bad = parse_suppressions("x = (1  # deadweight: ignore[DW101]\n")
    assert good == (Suppression(1, 9, 36, ("DW101",)),)
    assert bad == ()


# --------------------------------------------------------------------------- through `check`


def test_malformed_suppression_is_dw002_and_silences_nothing(tmp_path: Path) -> None:
    code, found, summary = findings(mlp(tmp_path, "  # deadweight: ignore(DW105)"))
    assert code == 1
    assert found == [
        ("DW105", 8, 14, DROPOUT_MESSAGE),
        (
            "DW002",
            8,
            39,
            "malformed `# deadweight: ignore`: put the codes in square brackets, as in `ignore[DW101]`",
        ),
    ]
    assert summary["suppressed"] == 0


def test_empty_code_list_is_dw002_with_error_severity(tmp_path: Path) -> None:
    result = run("--output-format", "json", cwd=mlp(tmp_path, "  # deadweight: ignore[]"))
    data = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["rule"], f["severity"], f["confidence"]) for f in data] == [
        ("DW105", "unused-layer", "warning", "high"),
        ("DW002", "invalid-suppression", "error", "high"),
    ]


def test_the_marker_inside_a_string_is_not_a_comment(tmp_path: Path) -> None:
    code, found, summary = findings(mlp(tmp_path, '; self.tag = "# deadweight: ignore"'))
    assert code == 1
    assert found == [("DW105", 8, 14, DROPOUT_MESSAGE)]
    assert summary["suppressed"] == 0


def test_a_reason_after_a_bare_ignore_still_suppresses(tmp_path: Path) -> None:
    code, found, summary = findings(mlp(tmp_path, "  # deadweight: ignore  kept for old configs"))
    assert (code, found, summary["suppressed"]) == (0, [], 1)


def test_unknown_codes_are_reported_and_known_ones_still_work(tmp_path: Path) -> None:
    code, found, summary = findings(mlp(tmp_path, "  # deadweight: ignore[DW105, DW999]"))
    assert code == 1
    assert found == [
        ("DW001", 8, 39, "unused suppression: DW999 is not a deadweight rule code (see `deadweight rules`)")
    ]
    assert summary["suppressed"] == 1


def test_unknown_codes_in_noqa_are_reported(tmp_path: Path) -> None:
    _, found, _ = findings(mlp(tmp_path, "  # noqa: E501, DW105, DW9, DW777"))
    assert found == [
        ("DW001", 8, 39, "unused suppression: DW9, DW777 are not deadweight rule codes (see `deadweight rules`)")
    ]


def test_an_unknown_code_can_be_accepted_by_naming_dw001(tmp_path: Path) -> None:
    code, found, summary = findings(mlp(tmp_path, "  # deadweight: ignore[DW105, DW999, DW001]"))
    assert (code, found, summary["suppressed"]) == (0, [], 2)


def test_ignore_file_silences_its_codes_in_the_whole_file(tmp_path: Path) -> None:
    code, found, summary = findings(mlp(tmp_path, "", head="# deadweight: ignore-file[DW105]\n"))
    assert (code, found, summary["suppressed"]) == (0, [], 1)


def test_a_bare_ignore_file_silences_every_rule(tmp_path: Path) -> None:
    code, found, summary = findings(mlp(tmp_path, "", head="# deadweight: ignore-file\n"))
    assert (code, found, summary["suppressed"]) == (0, [], 1)


def test_ignore_file_for_another_code_is_stale_and_suppresses_nothing(tmp_path: Path) -> None:
    code, found, _ = findings(mlp(tmp_path, "", head="# deadweight: ignore-file[DW101]\n"))
    assert code == 1
    assert found == [
        ("DW001", 1, 1, "unused suppression: DW101 matches no finding in this file"),
        ("DW105", 9, 14, DROPOUT_MESSAGE),
    ]


def test_a_line_comment_is_preferred_so_a_redundant_ignore_file_is_stale(tmp_path: Path) -> None:
    code, found, summary = findings(
        mlp(tmp_path, "  # deadweight: ignore[DW105]", head="# deadweight: ignore-file[DW105]\n")
    )
    assert code == 1
    assert found == [("DW001", 1, 1, "unused suppression: DW105 matches no finding in this file")]
    assert summary["suppressed"] == 1


def test_dw002_can_be_turned_off_like_any_rule(tmp_path: Path) -> None:
    code, found, _ = findings(mlp(tmp_path, "  # deadweight: ignore[]"), "--ignore", "DW002")
    assert (code, [f[0] for f in found]) == (1, ["DW105"])


def test_codes_are_not_called_unknown_when_configured_plugins_were_not_loaded(tmp_path: Path) -> None:
    root = mlp(tmp_path, "  # deadweight: ignore[DW105, DW901]")
    (root / "pyproject.toml").write_text('[tool.deadweight]\nplugins = ["house_rules.py"]\n', encoding="utf-8")
    (root / "house_rules.py").write_text("raise SystemExit('must not run')\n", encoding="utf-8")
    code, found, summary = findings(root)
    assert (code, found, summary["suppressed"]) == (0, [], 1)


BLOCK = """\
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(self.norm(x))
"""
FAST = """\
from block import Block


class FastBlock(Block):{comment}
    def forward(self, x):
        return self.fc(x)
"""


def test_the_subclass_line_silences_an_inherited_finding_reported_in_the_base_file(tmp_path: Path) -> None:
    root = project(tmp_path, {"block.py": BLOCK, "fast.py": FAST.format(comment="  # deadweight: ignore[DW103]")})
    code, found, summary = findings(root)
    assert (code, found, summary["suppressed"]) == (0, [], 1)


SLOW = """\
from block import Block


class SlowBlock(Block):{comment}
    def forward(self, x):
        return self.fc(x) * 2
"""


def test_any_sibling_named_by_a_grouped_finding_silences_it_from_its_class_line(tmp_path: Path) -> None:
    """FastBlock and SlowBlock each drop `norm`: one DW103 names both, and the class line of the
    one it does not lead with silences it too (and is not stale)."""
    files = {"block.py": BLOCK, "fast.py": FAST.format(comment=""), "slow.py": SLOW.format(comment="")}
    code, found, _ = findings(project(tmp_path / "plain", files))
    assert (code, [(f[0], f[1]) for f in found]) == (1, [("DW103", 7)])
    files["slow.py"] = SLOW.format(comment="  # deadweight: ignore[DW103]")
    code, found, summary = findings(project(tmp_path / "silenced", files))
    assert (code, found, summary["suppressed"]) == (0, [], 1)


def test_a_same_named_class_elsewhere_does_not_silence_it(tmp_path: Path) -> None:
    other = "class FastBlock:  # deadweight: ignore[DW103]\n    pass\n"
    root = project(tmp_path, {"block.py": BLOCK, "fast.py": FAST.format(comment=""), "other/fast.py": other})
    code, found, _ = findings(root)
    assert code == 1
    assert [(f[0], f[1]) for f in found] == [("DW103", 7), ("DW001", 1)]

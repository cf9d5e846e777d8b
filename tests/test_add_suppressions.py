"""`check --add-suppressions`: a comment on every reported line, merged with what is there, never
where a comment cannot go; the next run passes and a second run changes nothing."""

from __future__ import annotations

from pathlib import Path

from deadweight import api
from tests.test_fix import LAYER, SETTINGS, cli, write_project


def suppressed(tmp_path: Path, source: str) -> tuple[str, api.FixOutcome]:
    root = write_project(tmp_path, {"m.py": source})
    outcome = api.add_suppressions([root], SETTINGS)
    return (root / "m.py").read_text(encoding="utf-8"), outcome


def test_a_comment_is_added_and_the_next_run_passes(tmp_path: Path) -> None:
    source = LAYER.format(line="self.dropout = nn.Dropout(p)", use="pass")
    text, outcome = suppressed(tmp_path, source)
    assert text == source.replace("nn.Dropout(p)\n", "nn.Dropout(p)  # deadweight: ignore[DW105]\n")
    assert (outcome.fixed, outcome.files, outcome.result.findings) == (1, ["m.py"], [])
    again = api.add_suppressions([tmp_path], SETTINGS)
    assert (again.fixed, again.files) == (0, [])


def test_codes_merge_into_an_existing_directive_and_other_comments_stay(tmp_path: Path) -> None:
    line = "self.dropout = nn.Dropout(p)  # noqa: E501  # deadweight: ignore[DW101]  keep"
    text, outcome = suppressed(tmp_path, LAYER.format(line=line, use="pass"))
    # the stale DW101 (DW001) and the DW105 are both named in the one directive
    assert "self.dropout = nn.Dropout(p)  # noqa: E501  # deadweight: ignore[DW101, DW001, DW105]  keep\n" in text
    assert outcome.result.findings == []


def test_a_malformed_directive_is_not_merged_into(tmp_path: Path) -> None:
    line = "self.dropout = nn.Dropout(p)  # deadweight: ignore(DW105)"
    text, outcome = suppressed(tmp_path, LAYER.format(line=line, use="pass"))
    assert f"{line}  # deadweight: ignore[DW002, DW105]\n" in text
    assert outcome.result.findings == []


def test_a_line_inside_a_multi_line_string_is_refused(tmp_path: Path) -> None:
    line = 'self.dropout = nn.Dropout(p); self.doc = """first\n        second"""'
    source = LAYER.format(line=line, use="pass")
    text, outcome = suppressed(tmp_path, source)
    assert text == source
    assert [(f.code, why) for f, why in outcome.unsuppressible] == [
        ("DW105", "the line ends inside a multi-line string")
    ]


def test_the_command_says_what_it_added(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"m.py": LAYER.format(line="self.dropout = nn.Dropout(p)", use="pass")})
    result = cli(root, "--add-suppressions")
    assert result.exit_code == 0
    assert "added 1 suppression in 1 file" in result.stderr
    assert cli(root).exit_code == 0

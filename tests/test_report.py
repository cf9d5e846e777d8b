"""Tests for the output formats: snapshots of every emitter plus the properties each must keep.

Snapshots live in tests/snapshots/. After an intended change to an output, regenerate them with
`DEADWEIGHT_UPDATE_SNAPSHOTS=1 pytest tests/test_report.py` and review the diff.
"""

from __future__ import annotations

import difflib
import io
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import deadweight
from deadweight.extract.facts import FileError
from deadweight.findings import Finding, Related, Result, Summary
from deadweight.report import FORMATS, emit
from deadweight.report.github import escape_data, escape_property
from deadweight.rules.base import Rule

SNAPSHOTS = Path(__file__).parent / "snapshots"
SARIF_SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"


# --- rules active in the run -------------------------------------------------------------------


class UnusedWeight(Rule):
    code = "DW101"
    name = "unused-weight"
    summary = "A weight that no method of the class ever consumes."
    rationale = "The weight is trained for and checkpointed but never reaches the computation."
    fix = "Use the weight in forward, or remove it and drop its key when loading old checkpoints."
    severity = "error"


class OverrideDropsWeight(Rule):
    code = "DW103"
    name = "override-drops-weight"
    summary = "A subclass's override stops consuming an inherited weight."
    rationale = "The subclass still creates and saves the weight, but its forward ignores it."
    fix = "Consume the weight in the override, or stop creating it in the subclass."


class MetadataOnlyWeight(Rule):
    code = "DW104"
    name = "metadata-only-weight"
    summary = "The weight is only inspected (`.shape`, `is None`), never used as a value."
    rationale = "Reading a weight's shape does not use its values, so it is never trained."
    fix = "Keep the shape as a plain int attribute and remove the parameter."


class UnusedLayer(Rule):
    code = "DW105"
    name = "unused-layer"
    summary = "A parameter-free layer defined and never applied."
    rationale = "A Dropout that is never called means the model trains without regularisation."
    fix = "Apply the layer in forward, or delete it."
    severity = "info"
    preview = True


RULES: list[type[Rule]] = [UnusedWeight, OverrideDropsWeight, MetadataOnlyWeight, UnusedLayer]


# --- a small result over real files ------------------------------------------------------------

VIT = """\
import torch
from torch import nn


class ViT(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.pos_embed = nn.Parameter(torch.zeros(1, 16, dim))
        self.proj = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):
        n = self.pos_embed.shape[1]
        return self.proj(x)
"""

POSITION = """\
class PositionMixin(BaseMixin):
    def __init__(self, learnable: bool) -> None:
        super().__init__()
        if learnable:
            self.pos_embedding = nn.Parameter(torch.zeros(1, 64, 128))  # é

    def position_embedding_forward(self, position_ids, **kw_args):
        return None
"""


def _finding(
    code: str,
    rule: str,
    severity: str,
    confidence: str,
    message: str,
    path: str,
    line: int,
    column: int,
    end_column: int,
    class_name: str,
    attribute: str,
    related: tuple[Related, ...] = (),
) -> Finding:
    return Finding(
        code=code,
        rule=rule,
        severity=severity,
        confidence=confidence,
        message=message,
        path=path,
        line=line,
        column=column,
        end_line=line,
        end_column=end_column,
        class_name=class_name,
        attribute=attribute,
        defined_in=class_name,
        related=related,
    ).with_fingerprint()


def make_result(root: Path) -> Result:
    """Three findings in two files (one with related notes), one unreadable file."""
    (root / "models").mkdir()
    (root / "models" / "vit.py").write_text(VIT, encoding="utf-8")
    (root / "mixins").mkdir()
    (root / "mixins" / "position.py").write_text(POSITION, encoding="utf-8")
    findings = [
        # Deliberately out of order: every emitter must sort.
        _finding(
            "DW105",
            "unused-layer",
            "info",
            "medium",
            "`dropout` (nn.Dropout) is never applied",
            "models/vit.py",
            10,
            14,
            21,
            "ViT",
            "dropout",
        ),
        _finding(
            "DW101",
            "unused-weight",
            "error",
            "high",
            "`pos_embedding` is created but no method of `PositionMixin` uses it",
            "mixins/position.py",
            5,
            18,
            31,
            "PositionMixin",
            "pos_embedding",
        ),
        _finding(
            "DW104",
            "metadata-only-weight",
            "warning",
            "medium",
            "`pos_embed` is only inspected, never used as a value",
            "models/vit.py",
            8,
            14,
            23,
            "ViT",
            "pos_embed",
            related=(
                Related("models/vit.py", 13, 13, "read only for `.shape`"),
                Related("models/vit.py", 12, 5, "`forward` does not use it"),
            ),
        ),
    ]
    summary = Summary(
        files=3,
        errors=1,
        findings=3,
        by_code={"DW101": 1, "DW104": 1, "DW105": 1},
        by_confidence={"high": 1, "medium": 2},
        hidden_low_confidence=2,
        suppressed=1,
        baselined=0,
        seconds=0.25,
    )
    errors = [FileError("broken.py", "could not parse: unexpected indent at line 3")]
    return Result(root=str(root), findings=findings, errors=errors, summary=summary)


def render(fmt: str, result: Result, *, color: bool = False) -> str:
    out = io.StringIO()
    emit(fmt, result, RULES, out, color=color)
    return out.getvalue()


def assert_snapshot(name: str, actual: str) -> None:
    """Compare with tests/snapshots/<name>; DEADWEIGHT_UPDATE_SNAPSHOTS=1 rewrites it."""
    path = SNAPSHOTS / name
    if os.environ.get("DEADWEIGHT_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        pytest.fail(f"snapshot {path} is missing; create it with DEADWEIGHT_UPDATE_SNAPSHOTS=1")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"snapshots/{name}",
                tofile="actual",
            )
        )
        pytest.fail(f"output differs from snapshot {name} (DEADWEIGHT_UPDATE_SNAPSHOTS=1 to accept):\n{diff}")


def normalise(text: str, root: Path) -> str:
    return text.replace(str(root), "<ROOT>")


@pytest.fixture(autouse=True)
def _cwd_is_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Human formats print paths relative to the working directory; run from the root."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def result(tmp_path: Path) -> Result:
    return make_result(tmp_path)


# --- snapshots ---------------------------------------------------------------------------------


def test_formats_are_registered() -> None:
    assert sorted(FORMATS) == ["concise", "github", "gitlab", "json", "junit", "sarif", "text"]


def test_unknown_format_names_the_choices(result: Result) -> None:
    with pytest.raises(ValueError, match="choose from: text, concise, json, sarif, github, gitlab, junit"):
        render("xml", result)


def test_text_snapshot(result: Result, tmp_path: Path) -> None:
    assert_snapshot("report.txt", normalise(render("text", result), tmp_path))


def test_concise_snapshot(result: Result, tmp_path: Path) -> None:
    assert_snapshot("report.concise.txt", normalise(render("concise", result), tmp_path))


def test_json_snapshot(result: Result, tmp_path: Path) -> None:
    document = json.loads(render("json", result))
    assert document["version"] == deadweight.__version__
    document["version"] = "<VERSION>"  # a release must not invalidate the snapshot
    assert_snapshot("report.json", normalise(json.dumps(document, indent=2) + "\n", tmp_path))


def test_sarif_snapshot(result: Result, tmp_path: Path) -> None:
    root_uri = tmp_path.as_uri() + "/"
    text = render("sarif", result)
    assert root_uri in text
    document = json.loads(text.replace(root_uri, "file:///<ROOT>/"))
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["version"] == deadweight.__version__
    driver["version"] = driver["semanticVersion"] = "<VERSION>"
    assert_snapshot("report.sarif", json.dumps(document, indent=2) + "\n")


def test_github_snapshot(result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert_snapshot("report.github.txt", normalise(render("github", result), tmp_path))


# --- text ---------------------------------------------------------------------------------------


def test_text_plain_shows_source_line_and_underline(result: Result) -> None:
    text = render("text", result)
    assert "\x1b" not in text
    lines = text.splitlines()
    source = next(i for i, line in enumerate(lines) if "self.pos_embed = nn.Parameter" in line)
    assert lines[source - 1].startswith("models/vit.py:8:14  DW104  ")
    assert lines[source - 1].endswith("[medium]")
    underline = lines[source + 1]
    caret = underline.index("^")
    assert underline[caret:] == "^" * len("pos_embed")
    assert lines[source][caret : caret + len("pos_embed")] == "pos_embed"
    assert "= note: models/vit.py:13: read only for `.shape`" in text
    assert "broken.py: could not parse: unexpected indent at line 3" in text
    assert text.rstrip().splitlines()[-1] == (
        "Found 3 findings (1 high, 2 medium) in 3 files; 2 low-confidence findings hidden "
        "(--min-confidence low to show); 1 finding suppressed by comments; "
        "1 file could not be analyzed."
    )


def test_text_color_highlights_instead_of_underlining(result: Result, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")  # rich emits no styles at all for TERM=dumb
    monkeypatch.delenv("COLORTERM", raising=False)
    text = render("text", result, color=True)
    assert "\x1b[1;31mpos_embed\x1b[0m" in text
    assert "^^^" not in text
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "self.pos_embed = nn.Parameter(torch.zeros(1, 16, dim))" in plain


def test_text_empty_result(tmp_path: Path) -> None:
    empty = Result(root=str(tmp_path), findings=[], errors=[], summary=Summary(files=12))
    assert render("text", empty) == "No dead weights found in 12 files.\n"


def test_text_counts_baselined_when_nothing_shown(tmp_path: Path) -> None:
    summary = Summary(files=1, baselined=4)
    empty = Result(root=str(tmp_path), findings=[], errors=[], summary=summary)
    assert render("text", empty) == "No dead weights found in 1 file; 4 findings hidden by the baseline.\n"


def test_text_tolerates_missing_and_undecodable_sources(tmp_path: Path) -> None:
    (tmp_path / "latin1.py").write_bytes(b"x = 1\n\tself.w\xe9ight = nn.Parameter(t)  # \x1b[31m\n")
    findings = [
        _finding("DW101", "unused-weight", "error", "high", "unused", "gone.py", 3, 1, 2, "A", "w"),
        _finding("DW101", "unused-weight", "error", "high", "unused", "latin1.py", 2, 7, 13, "B", "w\xe9ight"),
        _finding("DW101", "unused-weight", "error", "high", "unused", "latin1.py", 99, 1, 2, "C", "w"),
    ]
    partial = Result(root=str(tmp_path), findings=findings, errors=[], summary=Summary(files=2))
    text = render("text", partial)
    assert "gone.py:3:1  DW101  unused  [high]" in text
    assert "\x1b" not in text  # control characters from the scanned file never reach the terminal
    lines = text.splitlines()
    source = next(i for i, line in enumerate(lines) if "self.w\ufffdight" in line)
    # The tab is expanded, and the underline still sits under the attribute.
    caret = lines[source + 1].index("^")
    assert lines[source][caret : caret + 6] == "w\ufffdight"
    assert lines[source + 1][caret:] == "^" * 6


def test_text_span_over_several_lines_is_marked_to_end_of_line(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("self.blocks = nn.ModuleList([\n    Block(),\n])\n", encoding="utf-8")
    span = replace(
        _finding("DW101", "unused-weight", "error", "high", "unused", "m.py", 1, 1, 2, "A", "blocks"),
        end_line=3,
        end_column=3,
    )
    text = render("text", Result(root=str(tmp_path), findings=[span], errors=[], summary=Summary(files=1)))
    first = "self.blocks = nn.ModuleList(["
    assert f" 1 | {first}\n   | {'^' * len(first)}\n" in text


# --- concise ------------------------------------------------------------------------------------


def test_concise_is_sorted_one_line_each(result: Result) -> None:
    lines = render("concise", result).splitlines()
    assert lines == [
        "mixins/position.py:5:18: DW101 [high] `pos_embedding` is created but no method of `PositionMixin` uses it",
        "models/vit.py:8:14: DW104 [medium] `pos_embed` is only inspected, never used as a value",
        "models/vit.py:10:14: DW105 [medium] `dropout` (nn.Dropout) is never applied",
        "broken.py: error: could not parse: unexpected indent at line 3",
        "Found 3 findings; 1 file could not be analyzed.",
    ]


def test_concise_empty_prints_nothing(tmp_path: Path) -> None:
    empty = Result(root=str(tmp_path), findings=[], errors=[], summary=Summary(files=3))
    assert render("concise", empty) == ""


# --- json ---------------------------------------------------------------------------------------


def test_json_round_trips(result: Result) -> None:
    text = render("json", result)
    assert text.endswith("}\n")
    document = json.loads(text)
    assert list(document) == ["version", "findings", "errors", "summary"]
    rebuilt = []
    for item in document["findings"]:
        item["class_name"] = item.pop("class")
        item["related"] = tuple(Related(**related) for related in item["related"])
        rebuilt.append(Finding(**item))
    assert rebuilt == sorted(result.findings, key=Finding.sort_key)
    assert [FileError(**error) for error in document["errors"]] == result.errors
    assert document["summary"] == result.summary.to_dict()


# --- sarif --------------------------------------------------------------------------------------


def test_sarif_validates_against_schema(result: Result) -> None:
    assert SARIF_SCHEMA.exists(), f"SARIF schema missing from the repository: {SARIF_SCHEMA}"
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(render("sarif", result)), schema, cls=jsonschema.Draft7Validator)
    empty = Result(root=result.root, findings=[], errors=[], summary=Summary())
    jsonschema.validate(json.loads(render("sarif", empty)), schema, cls=jsonschema.Draft7Validator)


def test_sarif_rule_indexes_and_related(result: Result) -> None:
    run = json.loads(render("sarif", result))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["DW101", "DW103", "DW104", "DW105"]  # all active rules
    for sarif_result in run["results"]:
        assert rules[sarif_result["ruleIndex"]]["id"] == sarif_result["ruleId"]
    metadata = next(r for r in run["results"] if r["ruleId"] == "DW104")
    assert [loc["id"] for loc in metadata["relatedLocations"]] == [0, 1]
    assert metadata["level"] == "warning"
    assert next(r for r in run["results"] if r["ruleId"] == "DW105")["level"] == "note"
    notification = run["invocations"][0]["toolExecutionNotifications"][0]
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.py"


def test_sarif_lists_sub_codes_a_rule_emits(result: Result) -> None:
    sub = _finding("DW106", "unused-weight", "error", "low", "m", "a b.py", 1, 1, 2, "A", "w")
    result.findings.append(sub)
    run = json.loads(render("sarif", result))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    last = next(r for r in run["results"] if r["ruleId"] == "DW106")
    assert rules[last["ruleIndex"]]["id"] == "DW106"
    assert rules[last["ruleIndex"]]["name"] == "unused-weight"
    assert last["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a%20b.py"


# --- github -------------------------------------------------------------------------------------


def test_github_escapes_message_and_properties(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    odd = _finding(
        "DW101", "unused-weight", "warning", "high", "100% dead:\r\nsee a, b", "dir,x/a:b.py", 1, 1, 2, "A", "w"
    )
    one = Result(root=str(tmp_path), findings=[odd], errors=[], summary=Summary(files=1))
    assert render("github", one) == (
        "::warning file=dir%2Cx/a%3Ab.py,line=1,col=1,endLine=1,endColumn=2,"
        "title=deadweight DW101 (unused-weight)::100%25 dead:%0D%0Asee a, b\n"
    )


@given(st.text())
def test_github_escaping_is_reversible_and_one_line(text: str) -> None:
    codes = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}

    def unescape(value: str) -> str:
        return re.sub("%25|%0D|%0A|%3A|%2C", lambda match: codes[match.group(0)], value)

    for escaped in (escape_data(text), escape_property(text)):
        assert "\n" not in escaped and "\r" not in escaped
        assert unescape(escaped) == text
    assert ":" not in escape_property(text) and "," not in escape_property(text)


def test_github_paths_relative_to_cwd(result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path.parent)
    lines = render("github", result).splitlines()
    assert lines[0].startswith(f"::error file={tmp_path.name}/mixins/position.py,line=5,")
    assert lines[-1] == (
        f"::error file={tmp_path.name}/broken.py,title=deadweight::could not parse: unexpected indent at line 3"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the root is not inside the cwd: paths stay as reported
    assert render("github", result).splitlines()[0].startswith("::error file=mixins/position.py,")


def test_text_and_concise_paths_relative_to_cwd(
    result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path.parent)
    prefix = tmp_path.name
    assert render("concise", result).splitlines()[0].startswith(f"{prefix}/mixins/position.py:5:18: DW101 ")
    text = render("text", result)
    assert f"{prefix}/models/vit.py:8:14  DW104" in text
    assert f"= note: {prefix}/models/vit.py:13: read only for `.shape`" in text
    assert f"{prefix}/broken.py: could not parse" in text


def test_gitlab_snapshot_and_required_fields(result: Result, tmp_path: Path) -> None:
    """GitLab Code Quality: the fields its documentation requires, on every issue."""
    text = render("gitlab", result)
    assert_snapshot("report.gitlab.json", normalise(text, tmp_path))
    issues = json.loads(text)
    assert [i["check_name"] for i in issues] == ["DW101", "DW104", "DW105", "deadweight/unanalyzable-file"]
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert issues[0]["location"] == {"path": "mixins/position.py", "lines": {"begin": 5, "end": 5}}
    assert issues[0]["severity"] == "major"  # an error-severity rule


def test_junit_snapshot_and_structure(result: Result, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    text = render("junit", result)
    assert_snapshot("report.junit.xml", normalise(text, tmp_path))
    root = ET.fromstring(text)
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == ("testsuites", "4", "3", "1")
    suites = {s.get("name"): s for s in root}
    assert list(suites) == ["mixins/position.py", "models/vit.py", "unanalyzable files"]
    [case] = suites["mixins/position.py"]
    assert (case.get("name"), case.get("line")) == ("DW101 PositionMixin.pos_embedding", "5")
    assert case[0].tag == "failure" and case[0].get("type") == "DW101"
    assert suites["unanalyzable files"][0][0].tag == "error"


def test_junit_without_findings_has_one_passing_case_and_strips_controls(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    empty = ET.fromstring(render("junit", Result(root=str(tmp_path), findings=[], errors=[], summary=Summary())))
    assert [(s.get("name"), [c.get("name") for c in s]) for s in empty] == [("deadweight", ["no dead weights found"])]
    odd = Result(root=str(tmp_path), findings=[], errors=[FileError("a.py", "bad \x1b[31m byte")], summary=Summary())
    assert ET.fromstring(render("junit", odd))[0][0][0].get("message") == "bad \ufffd[31m byte"


def test_sarif_names_no_invented_web_address(result: Result) -> None:
    """There is no hosted documentation: the rule help points to `deadweight explain` and to
    docs/rules.md, whose headings give the anchors it names."""
    document = json.loads(render("sarif", result))
    text = json.dumps(document)
    assert "readthedocs" not in text and "helpUri" not in text and "informationUri" not in text
    headings = {
        line[3:].strip().lower().replace(" ", "-")
        for line in (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text().splitlines()
        if line.startswith("## ")
    }
    for rule in document["runs"][0]["tool"]["driver"]["rules"]:
        anchor = rule["help"]["markdown"].split("docs/rules.md#")[1].split(" ")[0]
        assert anchor in headings, anchor


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_wraps_messages_to_the_terminal_and_never_cuts_piped_output(
    result: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    terminal = _Terminal()
    emit("text", result, RULES, terminal, color=False)
    lines = terminal.getvalue().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("models/vit.py:8:14  DW104"))
    assert all(len(line) <= 60 for line in lines[header : header + 2])
    assert " ".join(lines[header : header + 2]).split()[2:] == (
        ["`pos_embed`", "is", "only", "inspected,", "never", "used", "as", "a", "value", "[medium]"]
    )
    piped = render("text", result)  # not a terminal: one line per finding, whatever its length
    assert "models/vit.py:8:14  DW104  `pos_embed` is only inspected, never used as a value  [medium]" in piped

"""`check --fix`, `--unsafe-fixes`, `--fix-only`, `--diff`: what each rule's fix does, when it is
refused, and the driver's guarantees (convergence, parsing, findings after = before - fixed,
encodings and line endings kept, a changed file never overwritten)."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner, Result

from deadweight import api
from deadweight.cli import main
from deadweight.findings import Finding
from deadweight.fix import plan as fix_plan
from deadweight.fix.edits import UNSAFE
from deadweight.fix.registry import FIXERS
from deadweight.rules.base import Rule
from deadweight.rules.registry import all_rules
from deadweight.settings import Settings
from deadweight.testing import split_files

SETTINGS = Settings(use_cache=False, jobs=1, python="none", min_confidence="low")
MARKER = re.compile(r"  # expect: [^\n]*")
FIXABLE = [r for r in all_rules() if r.fix_availability != "none"]


def write_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.deadweight]\n", encoding="utf-8")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def identities(findings: list[Finding]) -> Counter[tuple[str, str, str, str]]:
    return Counter((f.code, f.path, f.class_name, f.attribute or ",".join(f.codes)) for f in findings)


# --------------------------------------------------------------------------- every rule's fixes


@pytest.mark.parametrize("rule", FIXABLE, ids=lambda r: r.code)
def test_each_bad_example_is_fixed_to_its_documented_text(rule: type[Rule], tmp_path: Path) -> None:
    assert len(rule.fixed) == len(rule.bad)
    for i, (bad, fixed) in enumerate(zip(rule.bad, rule.fixed, strict=True)):
        root = write_project(tmp_path / str(i), split_files(bad))
        api.fix([root], SETTINGS, unsafe=True)
        got = {p: MARKER.sub("", (root / p).read_text(encoding="utf-8")) for p in split_files(bad)}
        assert got == split_files(fixed if fixed is not None else bad)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_declared_fix_availability_matches_what_the_rule_emits(rule: type[Rule], tmp_path: Path) -> None:
    assert rule.fix_availability in ("always", "sometimes", "none")
    assert rule.fix_applicability in ("safe", "unsafe")
    assert rule.fix_safety.strip()
    assert (rule.code in FIXERS) == (rule.fix_availability != "none")
    if rule.fix_availability == "none":
        assert rule.fixed == ()
        return
    emitted = []
    for i, bad in enumerate(rule.bad):
        root = write_project(tmp_path / str(i), split_files(bad))
        result = api.check([root], SETTINGS)
        plan = fix_plan.plan_fixes(result, unsafe=True)
        fixes = [f for file in plan.files for f in file.fixes if f.code == rule.code]
        emitted.extend(fixes)
        findings = [f for f in result.findings if f.code == rule.code]
        if rule.fix_availability == "always":
            assert sum(f.fixes for f in fixes) == len(findings)
    assert emitted, "a rule that declares a fix must fix at least one of its bad examples"
    assert {f.applicability for f in emitted} == {rule.fix_applicability}


@pytest.mark.parametrize("rule", FIXABLE, ids=lambda r: r.code)
def test_fixes_converge_parse_and_leave_exactly_the_unfixed_findings(rule: type[Rule], tmp_path: Path) -> None:
    for i, bad in enumerate(rule.bad):
        root = write_project(tmp_path / str(i), split_files(bad))
        before = api.check([root], SETTINGS)
        plan = fix_plan.plan_fixes(before, unsafe=True)
        outcome = api.fix([root], SETTINGS, unsafe=True)
        for path in split_files(bad):
            cst.parse_module((root / path).read_text(encoding="utf-8"))
        assert outcome.fixed == plan.fixed
        fixed = Counter({k: v for k, v in identities(before.findings).items() if k[0] == rule.code})
        assert identities(outcome.result.findings) == identities(before.findings) - fixed
        again = api.fix([root], SETTINGS, unsafe=True)
        assert (again.fixed, again.files) == (0, [])


# --------------------------------------------------------------------------- DW105 refusals

LAYER = """\
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        {line}

    def forward(self, x):
        {use}
        return self.fc(x)
"""


def fixed_text(tmp_path: Path, source: str, *, unsafe: bool = False) -> str:
    root = write_project(tmp_path, {"m.py": source})
    api.fix([root], SETTINGS, unsafe=unsafe)
    return (root / "m.py").read_text(encoding="utf-8")


def test_dw105_deletes_a_plain_layer_and_keeps_functional_calls(tmp_path: Path) -> None:
    source = LAYER.format(line="self.dropout = nn.Dropout(p * 0.5)", use="x = F.dropout(x)")
    assert fixed_text(tmp_path, source) == source.replace("        self.dropout = nn.Dropout(p * 0.5)\n", "")


@pytest.mark.parametrize(
    ("line", "use"),
    [
        ("self.dropout = nn.Dropout(rate())", "pass"),  # an argument that runs code
        ("self.dropout = nn.Dropout(p)", 'getattr(self, "dropout")'),  # named as a string
        ("self.dropout = nn.Dropout(p)", "other = x.dropout"),  # the name read elsewhere
        ("self.dropout = self.drop2 = nn.Dropout(p)", "pass"),  # two targets
        ("self.dropout = nn.Dropout(p); self.k = 1", "pass"),  # shares its line
        ("self.dropout = make_dropout(p) if p else nn.Identity()", "pass"),  # not a call
    ],
)
def test_dw105_fix_is_refused_when_the_code_around_it_is_not_mechanical(tmp_path: Path, line: str, use: str) -> None:
    source = LAYER.format(line=line, use=use)
    assert fixed_text(tmp_path, source) == source


def test_deleting_the_last_statement_of_a_block_leaves_pass(tmp_path: Path) -> None:
    source = LAYER.format(line="if p > 0:\n            self.dropout = nn.Dropout(p)", use="pass")
    assert fixed_text(tmp_path, source) == source.replace("self.dropout = nn.Dropout(p)", "pass")


# --------------------------------------------------------------------------- DW001 comments


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("self.fc = nn.Linear(dim, dim)  # deadweight: ignore[DW101, DW105]", "self.fc = nn.Linear(dim, dim)"),
        ("self.fc = nn.Linear(dim, dim)  # noqa: E501, DW101", "self.fc = nn.Linear(dim, dim)  # noqa: E501"),
        (
            "self.fc = nn.Linear(dim, dim)  # type: ignore  # deadweight: ignore",
            "self.fc = nn.Linear(dim, dim)  # type: ignore",
        ),
        (
            "self.fc = nn.Linear(dim, dim)  # deadweight: ignore[DW1]  kept  # note",
            "self.fc = nn.Linear(dim, dim)  # note",
        ),
        ("self.fc = nn.Linear(dim, dim)  # deadweight: ignore[DW999]", "self.fc = nn.Linear(dim, dim)"),
    ],
)
def test_dw001_removes_only_the_stale_codes(tmp_path: Path, line: str, fixed: str) -> None:
    source = LAYER.format(line="self.act = nn.GELU()", use="x = self.act(x)").replace(
        "self.fc = nn.Linear(dim, dim)", line
    )
    assert fixed_text(tmp_path, source) == source.replace(line, fixed)


def test_dw001_keeps_the_live_codes_of_a_comment(tmp_path: Path) -> None:
    source = LAYER.format(line="self.dropout = nn.Dropout(p)  # deadweight: ignore[DW105, DW101]", use="pass")
    assert "self.dropout = nn.Dropout(p)  # deadweight: ignore[DW105]\n" in fixed_text(tmp_path, source)


def test_dw001_deletes_a_stale_comment_that_stood_alone(tmp_path: Path) -> None:
    source = "# deadweight: ignore-file[DW101]\n" + LAYER.format(line="self.act = nn.GELU()", use="x = self.act(x)")
    assert fixed_text(tmp_path, source) == source.removeprefix("# deadweight: ignore-file[DW101]\n")


# --------------------------------------------------------------------------- the driver


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    source = LAYER.format(line="self.blocks = [nn.Linear(dim, dim)]", use="x = self.blocks[0](x)")
    assert fixed_text(tmp_path / "a", source) == source
    assert "self.blocks = nn.ModuleList([nn.Linear(dim, dim)])" in fixed_text(tmp_path / "b", source, unsafe=True)
    root = write_project(tmp_path / "c", {"m.py": source})
    assert api.fix([root], SETTINGS).unsafe_available == 1


def test_dw201_is_not_fixed_without_a_torch_nn_import(tmp_path: Path) -> None:
    source = LAYER.format(line="self.blocks = [nn.Linear(dim, dim)]", use="x = self.blocks[0](x)")
    source = source.replace("import torch.nn as nn\n", "from torch.nn import Linear, Module as M\nnn = None\n")
    assert fixed_text(tmp_path, source, unsafe=True) == source


def test_line_endings_encoding_and_bom_are_kept(tmp_path: Path) -> None:
    source = LAYER.format(line="self.dropout = nn.Dropout(p)", use="pass")
    root = write_project(tmp_path, {})
    (root / "crlf.py").write_bytes(b"\xef\xbb\xbf# caf\xc3\xa9\r\n" + source.replace("\n", "\r\n").encode("utf-8"))
    (root / "latin.py").write_bytes(("# -*- coding: latin-1 -*-\n# caf\xe9\n" + source).encode("latin-1"))
    api.fix([root], SETTINGS)
    crlf = (root / "crlf.py").read_bytes()
    assert crlf == b"\xef\xbb\xbf# caf\xc3\xa9\r\n" + source.replace(
        "        self.dropout = nn.Dropout(p)\n", ""
    ).replace("\n", "\r\n").encode("utf-8")
    latin = (root / "latin.py").read_bytes()
    assert latin.startswith(b"# -*- coding: latin-1 -*-\n# caf\xe9\n") and b"Dropout" not in latin


def test_a_file_changed_after_it_was_read_is_not_written(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"m.py": LAYER.format(line="self.dropout = nn.Dropout(p)", use="pass")})
    plan = fix_plan.plan_fixes(api.check([root], SETTINGS), unsafe=False)
    (root / "m.py").write_text("# edited meanwhile\n", encoding="utf-8")
    assert fix_plan.write(plan) == ([], [("m.py", "it changed since it was read; run again")])
    assert (root / "m.py").read_text(encoding="utf-8") == "# edited meanwhile\n"


def test_only_the_given_files_are_changed(tmp_path: Path) -> None:
    source = LAYER.format(line="self.dropout = nn.Dropout(p)", use="pass")
    root = write_project(tmp_path, {"a.py": source, "b.py": source})
    outcome = api.fix([root], SETTINGS, only_files={"a.py"})
    assert outcome.files == ["a.py"]
    assert (root / "b.py").read_text(encoding="utf-8") == source


def test_overlapping_fixes_are_applied_on_a_later_pass(tmp_path: Path) -> None:
    line = "self.blocks = [nn.Linear(dim, dim)]  # deadweight: ignore[DW101]"
    root = write_project(tmp_path, {"m.py": LAYER.format(line=line, use="x = self.blocks[0](x)")})
    outcome = api.fix([root], SETTINGS, unsafe=True)
    assert (outcome.fixed, outcome.passes) == (2, 2)  # the DW201 wrap and the DW001 edit share a line
    assert "        self.blocks = nn.ModuleList([nn.Linear(dim, dim)])\n" in (root / "m.py").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the command line


def cli(root: Path, *args: str) -> Result:
    old = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, ["check", "--no-cache", "-j", "1", *args])
    finally:
        os.chdir(old)


def test_diff_prints_the_fixes_and_writes_nothing(tmp_path: Path) -> None:
    source = LAYER.format(line="self.dropout = nn.Dropout(p)", use="pass")
    root = write_project(tmp_path, {"m.py": source})
    result = cli(root, "--diff")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == ["--- a/m.py", "+++ b/m.py"]
    assert "-        self.dropout = nn.Dropout(p)" in result.stdout.splitlines()
    assert "would fix 1 finding in 1 file" in result.stderr
    assert (root / "m.py").read_text(encoding="utf-8") == source
    clean = write_project(tmp_path / "clean", {"m.py": LAYER.format(line="pass", use="pass")})
    assert cli(clean, "--diff").exit_code == 0


def test_fix_reports_what_is_left_and_fix_only_reports_nothing(tmp_path: Path) -> None:
    line = "self.dropout = nn.Dropout(p)\n        self.blocks = [nn.Linear(dim, dim)]"
    root = write_project(tmp_path, {"m.py": LAYER.format(line=line, use="x = self.blocks[0](x)")})
    fixed = cli(root, "--fix", "--output-format", "concise")
    assert fixed.exit_code == 1  # the DW201 is only fixed with --unsafe-fixes
    assert [line.split(": ")[1].split()[0] for line in fixed.stdout.splitlines()[:-1]] == ["DW201"]
    assert "fixed 1 finding in 1 file" in fixed.stderr
    assert "1 more fix available with --unsafe-fixes" in fixed.stderr
    only = cli(root, "--fix-only", "--unsafe-fixes")
    assert (only.exit_code, only.stdout) == (0, "")
    assert cli(root).exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ("--unsafe-fixes",),
        ("--add-suppressions", "--fix"),
        ("--fix", "--write-baseline", "b.json"),
    ],
)
def test_contradictory_fix_options_are_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    root = write_project(tmp_path, {"m.py": LAYER.format(line="pass", use="pass")})
    result = cli(root, *args)
    assert result.exit_code == 2


def test_unsafe_applicability_constant_is_the_one_rules_declare() -> None:
    assert UNSAFE == "unsafe"


def test_dw105_deletes_only_torch_layers_never_a_project_class(tmp_path: Path) -> None:
    own = "class Rotary(nn.Module):\n    def forward(self, x):\n        return x\n\n\n"
    project_class = own + LAYER.format(line="self.rotary = Rotary()", use="pass")
    assert fixed_text(tmp_path / "own", project_class) == project_class
    imported = LAYER.format(line="self.pool = AvgPool1d(2, stride=2)", use="pass").replace(
        "import torch.nn.functional as F\n", "import torch.nn.functional as F\nfrom torch.nn import AvgPool1d\n"
    )
    assert "AvgPool1d(2" not in fixed_text(tmp_path / "imported", imported)

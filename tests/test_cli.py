"""The `deadweight check` command: exit codes, output files, settings, file arguments,
`--diff-base`, inline suppressions and stale-suppression reports (DW001).

Most tests drive click's CliRunner in-process (fast, exact); a few run the installed console
script in a subprocess, because that is what pre-commit and CI execute.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from deadweight.cli import main
from deadweight.gitdiff import GitError, changed_files

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

MLP = """\
import torch.nn as nn


class MLP(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(p){dropout_comment}

    def forward(self, x):
        return self.fc(x)
"""

CLEAN = """\
import torch.nn as nn


class Clean(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(x)
"""

DROPOUT_MESSAGE = (
    "layer `dropout` (`nn.Dropout`) is never used: no method reads it; it holds no parameters, "
    "so removing it changes no checkpoint key"
)


def project(root: Path, files: dict[str, str], config: str = "") -> Path:
    """A project with its own `[tool.deadweight]` table, so no outer config leaks in."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[tool.deadweight]\n{textwrap.dedent(config)}", encoding="utf-8")
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


def run(*args: str, cwd: Path) -> Result:
    """Invoke the CLI in `cwd` without a cache (tests must not share state)."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["check", "--no-cache", "-j", "1", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def concise(result: Result) -> list[str]:
    return result.stdout.splitlines()


# --------------------------------------------------------------------------- exit codes


def test_exit_1_with_findings_and_0_when_clean(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment=""), "clean.py": CLEAN})
    dirty = run("--output-format", "concise", ".", cwd=root)
    assert dirty.exit_code == 1
    assert concise(dirty) == [f"mlp.py:8:14: DW105 [high] {DROPOUT_MESSAGE}", "Found 1 finding."]
    clean = run("--output-format", "concise", "clean.py", cwd=root)
    assert clean.exit_code == 0
    assert clean.stdout == ""


def test_exit_zero_forces_0_but_still_reports(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment="")})
    result = run("--output-format", "concise", "--exit-zero", cwd=root)
    assert result.exit_code == 0
    assert concise(result)[0] == f"mlp.py:8:14: DW105 [high] {DROPOUT_MESSAGE}"


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["missing_dir"], "", "deadweight: error: missing_dir: no such file or directory"),
        (
            ["--select", "DW999"],
            "",
            "deadweight: error: select: unknown rule code or prefix 'DW999' (see `deadweight rules`)",
        ),
        (
            ["."],
            "jobs = -1\n",
            "deadweight: error: pyproject.toml: tool.deadweight.jobs: expected an integer >= 0, got -1",
        ),
        (
            ["."],
            "no-such-key = 1\n",
            "deadweight: error: pyproject.toml: tool.deadweight.no-such-key: unknown key (valid keys: ",
        ),
    ],
)
def test_exit_2_on_usage_and_config_errors(tmp_path: Path, args: list[str], config: str, message: str) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment="")}, config)
    result = run(*args, cwd=root)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_exit_2_on_unknown_option() -> None:
    result = CliRunner().invoke(main, ["check", "--no-such-option"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("Error: No such option '--no-such-option'.")


# --------------------------------------------------------------------------- -o and --show-settings


def test_output_file_receives_the_report_and_stdout_stays_empty(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment="")})
    result = run("--output-format", "json", "-o", "report.json", cwd=root)
    assert result.exit_code == 1
    assert result.stdout == ""
    report = json.loads((root / "report.json").read_text(encoding="utf-8"))
    assert [(f["code"], f["path"], f["line"], f["attribute"]) for f in report["findings"]] == [
        ("DW105", "mlp.py", 8, "dropout")
    ]
    assert report["summary"]["findings"] == 1


def test_output_file_that_cannot_be_written_is_exit_2(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment="")})
    result = run("-o", "no/such/dir/report.txt", cwd=root)
    assert result.exit_code == 2
    assert result.stderr.startswith("deadweight: error: cannot write no/such/dir/report.txt: ")


def test_show_settings_prints_resolved_config_and_exits_0(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": CLEAN}, 'ignore = ["DW2"]\nmin-confidence = "high"\n')
    result = run("--show-settings", "--select", "DW1", cwd=root)
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert shown["select"] == ["DW1"]
    assert shown["ignore"] == ["DW2"]
    assert shown["min-confidence"] == "high"


# --------------------------------------------------------------------------- explicit files


def test_explicit_files_use_whole_project_facts_but_report_only_those_files(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "cross_file", root)
    project(root, {})
    # The finding in classifier.py needs the base class from backbones/base.py to be known.
    only = run("--output-format", "concise", "vision/classifier.py", cwd=root)
    assert only.exit_code == 1
    assert [line.split(": ")[0] for line in concise(only)] == ["vision/classifier.py:9:14", "Found 1 finding."]
    other = run("--output-format", "concise", "vision/backbones/base.py", cwd=root)
    assert other.exit_code == 0
    assert other.stdout == ""


def test_explicit_file_given_from_another_directory(tmp_path: Path) -> None:
    root = project(tmp_path / "proj", {"pkg/mlp.py": MLP.format(dropout_comment=""), "pkg/clean.py": CLEAN})
    result = run(
        "--output-format", "concise", str(root / "pkg" / "mlp.py"), str(root / "pkg" / "clean.py"), cwd=tmp_path
    )
    assert result.exit_code == 1
    # printed relative to the working directory, so the path opens from the shell
    assert concise(result) == [f"proj/pkg/mlp.py:8:14: DW105 [high] {DROPOUT_MESSAGE}", "Found 1 finding."]


# --------------------------------------------------------------------------- suppressions


def codes_and_lines(result: Result) -> list[tuple[str, int]]:
    return [(f["code"], f["line"]) for f in json.loads(result.stdout)["findings"]]


def test_line_suppression_hides_and_is_counted(tmp_path: Path) -> None:
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment="  # deadweight: ignore[DW105]")})
    result = run("--output-format", "json", cwd=root)
    assert result.exit_code == 0
    assert codes_and_lines(result) == []
    assert json.loads(result.stdout)["summary"]["suppressed"] == 1


def test_noqa_and_class_level_suppression(tmp_path: Path) -> None:
    noqa = project(tmp_path / "a", {"mlp.py": MLP.format(dropout_comment="  # noqa: DW105")})
    assert run("--output-format", "json", cwd=noqa).exit_code == 0
    source = MLP.format(dropout_comment="").replace(
        "class MLP(nn.Module):", "class MLP(nn.Module):  # deadweight: ignore[DW1]"
    )
    by_class = project(tmp_path / "b", {"mlp.py": source})
    result = run("--output-format", "json", cwd=by_class)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["suppressed"] == 1


def test_stale_suppression_is_reported_as_dw001(tmp_path: Path) -> None:
    source = MLP.format(dropout_comment="  # noqa: DW105, DW101").replace(
        "self.fc = nn.Linear(dim, dim)", "self.fc = nn.Linear(dim, dim)  # deadweight: ignore"
    )
    root = project(tmp_path, {"mlp.py": source})
    result = run("--output-format", "json", cwd=root)
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [
        (
            f["code"],
            f["rule"],
            f["severity"],
            f["confidence"],
            f["line"],
            f["column"],
            f["class"],
            f["attribute"],
            f["message"],
        )
        for f in findings
    ] == [
        (
            "DW001",
            "unused-suppression",
            "warning",
            "high",
            7,
            40,
            "",
            "",
            "unused suppression: `# deadweight: ignore` matches no finding on this line",
        ),
        (
            "DW001",
            "unused-suppression",
            "warning",
            "high",
            8,
            39,
            "",
            "",
            "unused suppression: DW101 matches no finding on this line",
        ),
    ]
    assert findings[0]["fingerprint"] != findings[1]["fingerprint"]


def test_stale_class_level_suppression(tmp_path: Path) -> None:
    source = CLEAN.replace("class Clean(nn.Module):", "class Clean(nn.Module):  # deadweight: ignore[DW101]")
    root = project(tmp_path, {"clean.py": source})
    result = run("--output-format", "concise", cwd=root)
    assert result.exit_code == 1
    assert concise(result) == [
        "clean.py:4:26: DW001 [high] unused suppression: DW101 matches no finding on this line or in this class",
        "Found 1 finding.",
    ]


def test_suppression_for_a_deselected_code_is_not_stale(tmp_path: Path) -> None:
    source = CLEAN.replace("self.fc = nn.Linear(dim, dim)", "self.fc = nn.Linear(dim, dim)  # noqa: DW105")
    root = project(tmp_path, {"clean.py": source})
    assert run("--output-format", "concise", cwd=root).exit_code == 1  # DW105 selected: stale
    deselected = run("--output-format", "concise", "--ignore", "DW105", cwd=root)
    assert deselected.exit_code == 0
    assert deselected.stdout == ""
    no_dw001 = run("--output-format", "concise", "--ignore", "DW001", cwd=root)
    assert no_dw001.exit_code == 0


def test_stale_suppression_can_itself_be_silenced_by_naming_dw001(tmp_path: Path) -> None:
    source = CLEAN.replace("self.fc = nn.Linear(dim, dim)", "self.fc = nn.Linear(dim, dim)  # noqa: DW105, DW001")
    root = project(tmp_path, {"clean.py": source})
    result = run("--output-format", "json", cwd=root)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["suppressed"] == 1


def test_non_deadweight_noqa_is_never_stale(tmp_path: Path) -> None:
    source = CLEAN.replace("self.fc = nn.Linear(dim, dim)", "self.fc = nn.Linear(dim, dim)  # noqa: E501")
    root = project(tmp_path, {"clean.py": source + "x = 1  # noqa\n"})
    assert run("--output-format", "concise", cwd=root).exit_code == 0


def test_per_file_ignores_also_silence_dw001(tmp_path: Path) -> None:
    source = CLEAN.replace("self.fc = nn.Linear(dim, dim)", "self.fc = nn.Linear(dim, dim)  # noqa: DW105")
    root = project(tmp_path, {"clean.py": source}, '[tool.deadweight.per-file-ignores]\n"clean.py" = ["DW001"]\n')
    assert run("--output-format", "concise", cwd=root).exit_code == 0


# --------------------------------------------------------------------------- --diff-base


def git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repo whose project root is a subdirectory (`proj/`), with one committed finding."""
    root = project(tmp_path / "proj", {"old.py": MLP.format(dropout_comment=""), "clean.py": CLEAN})
    (tmp_path / "README").write_text("outside the project\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "init")
    return root


def test_changed_files_include_uncommitted_and_untracked_relative_to_root(repo: Path) -> None:
    assert changed_files("HEAD", repo) == set()
    (repo / "clean.py").write_text(CLEAN + "\n")
    (repo / "new.py").write_text(CLEAN)
    (repo.parent / "README").write_text("changed, but outside the project\n")
    assert changed_files("HEAD", repo) == {"clean.py", "new.py"}


def test_changed_files_since_merge_base_of_a_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "feature.py").write_text(CLEAN)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")
    assert changed_files("main", repo) == {"feature.py"}


def test_changed_files_errors(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(GitError, match=r"^--diff-base: unknown git revision 'no-such-rev'$"):
        changed_files("no-such-rev", repo)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-nogit"
    elsewhere.mkdir()
    with pytest.raises(GitError, match=r"is not inside a git repository$"):
        changed_files("HEAD", elsewhere)


def test_diff_base_reports_only_changed_files(repo: Path) -> None:
    unchanged = run("--output-format", "concise", "--diff-base", "HEAD", cwd=repo)
    assert unchanged.exit_code == 0
    assert unchanged.stdout == ""
    (repo / "new.py").write_text(MLP.format(dropout_comment=""))
    changed = run("--output-format", "concise", "--diff-base", "HEAD", cwd=repo)
    assert changed.exit_code == 1
    assert concise(changed) == [f"new.py:8:14: DW105 [high] {DROPOUT_MESSAGE}", "Found 1 finding."]
    full = run("--output-format", "concise", cwd=repo)
    assert [line.split(":")[0] for line in concise(full)[:-1]] == ["new.py", "old.py"]


def test_diff_base_errors_exit_2(repo: Path, tmp_path: Path) -> None:
    bad_rev = run("--diff-base", "no-such-rev", cwd=repo)
    assert bad_rev.exit_code == 2
    assert bad_rev.stderr == "deadweight: error: --diff-base: unknown git revision 'no-such-rev'\n"
    nogit = project(tmp_path.parent / f"{tmp_path.name}-plain", {"clean.py": CLEAN})
    not_repo = run("--diff-base", "HEAD", cwd=nogit)
    assert not_repo.exit_code == 2
    assert not_repo.stderr.endswith("is not inside a git repository\n")


# --------------------------------------------------------------------------- the real console script


def console_script() -> str:
    script = Path(sys.executable).with_name("deadweight")
    if not script.exists():
        pytest.skip("the deadweight console script is not installed next to this interpreter")
    return str(script)


def test_console_script_exit_codes_and_output(tmp_path: Path) -> None:
    script = console_script()
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment=""), "clean.py": CLEAN})
    dirty = subprocess.run(
        [script, "check", "--no-cache", "--output-format", "concise", "."], cwd=root, capture_output=True, text=True
    )
    assert dirty.returncode == 1
    assert dirty.stdout.splitlines() == [f"mlp.py:8:14: DW105 [high] {DROPOUT_MESSAGE}", "Found 1 finding."]
    clean = subprocess.run([script, "check", "--no-cache", "clean.py"], cwd=root, capture_output=True, text=True)
    assert clean.returncode == 0
    zero = subprocess.run(
        [script, "check", "--no-cache", "--exit-zero", "-o", "out.txt", "--output-format", "github"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert zero.returncode == 0
    assert zero.stdout == ""
    assert (root / "out.txt").read_text().startswith("::warning file=mlp.py,line=8,")
    usage = subprocess.run([script, "check", "--select", "XX1"], cwd=root, capture_output=True, text=True)
    assert usage.returncode == 2
    assert (
        usage.stderr
        == "deadweight: error: select: expected a rule code or prefix such as 'DW101', 'DW1' or 'DW', got 'XX1'\n"
    )


def test_an_internal_error_exits_2_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in deadweight must not look like findings (exit 1) or dump a traceback."""
    from click.testing import CliRunner

    from deadweight import api
    from deadweight.cli import main

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "check", broken)
    (tmp_path / "m.py").write_text("x = 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--isolated"])
    assert result.exit_code == 2
    assert "deadweight: internal error: RuntimeError: boom" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github"])
def test_a_closed_pipe_keeps_the_runs_exit_code_and_prints_nothing(tmp_path: Path, output_format: str) -> None:
    """`deadweight check | head`: the reader closes the pipe before the report is written.
    The exit code is the run's own (1: findings), every time, with no traceback."""
    script = console_script()
    root = project(tmp_path, {"mlp.py": MLP.format(dropout_comment=""), "clean.py": CLEAN})
    for _ in range(3):
        proc = subprocess.Popen(
            [script, "check", str(root), "--no-cache", "--output-format", output_format],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # a real pipe whose reader is gone
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 1
        assert "Traceback" not in err and "BrokenPipe" not in err and "internal error" not in err


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group (workers too); 1 would mean "findings"."""
    script = console_script()
    block = "\n".join(
        f"class B{j}(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        f"        self.a = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return self.a(x)\n"
        for j in range(20)
    )
    files = {f"m{i}.py": "import torch.nn as nn\n\n" + block for i in range(1500)}
    root = project(tmp_path, files)
    proc = subprocess.Popen(
        [script, "check", str(root), "-j", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not (root / ".deadweight_cache").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    if proc.returncode == 0 and b"No dead weights" in out:
        pytest.skip("the run finished before the interrupt arrived")
    assert proc.returncode == 130, err
    assert err.decode().strip().splitlines()[-1] == "deadweight: interrupted"
    assert b"Traceback" not in err


_INTERRUPTED_IMPORT = """
import sys


class Interrupt:
    \"\"\"Stands for a Ctrl-C that arrives while the command line is being imported.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name == "deadweight.cli":
            raise KeyboardInterrupt
        return None


sys.meta_path.insert(0, Interrupt())
from deadweight.console import run

run()
"""


def test_ctrl_c_while_the_command_line_is_imported_is_one_line_and_130(tmp_path: Path) -> None:
    """Importing click, rich and the engine takes a while; the console script catches a Ctrl-C
    there too, instead of ending with a traceback from inside an import."""
    done = subprocess.run([sys.executable, "-c", _INTERRUPTED_IMPORT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130
    assert done.stderr == "deadweight: interrupted\n"
    assert done.stdout == ""


def test_the_console_script_and_python_m_use_the_import_guarding_entry_point() -> None:
    from importlib.metadata import entry_points

    import deadweight.__main__ as dunder_main
    from deadweight import console

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "deadweight"]
    assert script.value == "deadweight.console:run"
    assert dunder_main.run is console.run


def test_a_file_that_cannot_be_analyzed_fails_the_run(tmp_path: Path) -> None:
    """Its weights were never judged: "no findings" would claim what was not checked."""
    root = project(tmp_path, {"broken.py": "def f(:\n    pass\n"})
    only_bad = run("--output-format", "concise", ".", cwd=root)
    assert only_bad.exit_code == 1
    assert only_bad.stdout == (
        "broken.py: error: syntax error at line 1, column 7: invalid syntax\n"
        "Found 0 findings; 1 file could not be analyzed.\n"
    )
    github = run("--output-format", "github", ".", cwd=root)
    assert github.exit_code == 1  # an ::error annotation on a failing step, not a passing one
    assert github.stdout.startswith("::error file=broken.py,title=deadweight::syntax error at line 1")
    assert run("--exit-zero", ".", cwd=root).exit_code == 0
    # Excluding the file is the way to accept it.
    assert (
        run("--output-format", "concise", ".", cwd=project(root, {}, 'extend-exclude = ["broken.py"]')).exit_code == 0
    )


def test_with_files_as_arguments_only_their_own_errors_fail_the_run(tmp_path: Path) -> None:
    """pre-commit passes the changed files: a broken file elsewhere is not this commit's doing
    (it is still listed)."""
    root = project(tmp_path, {"broken.py": "def f(:\n    pass\n", "clean.py": CLEAN})
    clean = run("--output-format", "concise", "clean.py", cwd=root)
    assert clean.exit_code == 0, clean.stdout
    assert "broken.py: error: syntax error" in clean.stdout
    assert run("--output-format", "concise", "broken.py", cwd=root).exit_code == 1


def test_a_folder_without_python_files_warns_and_leaves_no_cache(tmp_path: Path) -> None:
    root = project(tmp_path, {"docs/readme.md": "# not python\n"})
    result = CliRunner().invoke(main, ["check", str(root / "docs")], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stderr == (
        f"deadweight: warning: no Python files found under {root / 'docs'} (check the path and `exclude`)\n"
    )
    assert not (root / ".deadweight_cache").exists() and not (root / "docs" / ".deadweight_cache").exists()
    # A folder with Python files gets its cache, and no warning (the control).
    (root / "docs" / "conf.py").write_text(CLEAN, encoding="utf-8")
    with_files = CliRunner().invoke(main, ["check", str(root / "docs")], catch_exceptions=False)
    assert "no Python files" not in with_files.stderr
    assert (root / ".deadweight_cache").exists()


NET = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.unused = nn.Linear(2, 2)
        self.layers = [nn.Linear(2, 2)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.fc(x)
"""


def located(result: Result) -> list[str]:
    """`path:code` per finding line of a concise report."""
    return [f"{line.split(':')[0]}:{line.split(' ')[1]}" for line in concise(result)[:-1]]


def test_rule_and_path_options_accumulate_and_extend_like_ruff(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {"net.py": NET, "gen/net.py": NET, "third_party/net.py": NET, "build/net.py": NET},
        'extend-exclude = ["gen"]\nper-file-ignores = { "third_party/*" = ["DW2"] }\n',
    )
    report = ["--output-format", "concise"]
    # Repeated options accumulate (the last one used to win), commas split.
    repeated = run(*report, "--select", "DW2", "--select", "DW101", ".", cwd=root)
    assert located(repeated) == ["net.py:DW101", "net.py:DW201", "third_party/net.py:DW101"]
    assert located(run(*report, "--select", "DW2,DW101", ".", cwd=root)) == located(repeated)
    assert located(run(*report, "--ignore", "DW1", "--ignore", "DW2", ".", cwd=root)) == []
    # An empty list is a usage error, not "run no rules and pass".
    for empty in ("", " , "):
        bad = run("--select", empty, ".", cwd=root)
        assert bad.exit_code == 2
        assert bad.stderr == f"deadweight: error: --select: expected at least one value, got {empty!r}\n"
    # --extend-exclude adds to the configured list; --exclude replaces the default list
    # (`build/` among it), while the configured extend-exclude still applies.
    assert located(run(*report, "--extend-exclude", "third_party", ".", cwd=root)) == ["net.py:DW101", "net.py:DW201"]
    replaced = run(*report, "--exclude", "third_party", ".", cwd=root)
    assert located(replaced) == ["build/net.py:DW101", "build/net.py:DW201", "net.py:DW101", "net.py:DW201"]
    # --extend-per-file-ignores adds a pattern; --per-file-ignores replaces the table.
    extended = run(*report, "--extend-per-file-ignores", "/net.py:DW101", ".", cwd=root)
    assert located(extended) == ["net.py:DW201", "third_party/net.py:DW101"]
    table = run(*report, "--per-file-ignores", "/net.py:DW201", ".", cwd=root)
    assert located(table) == ["net.py:DW101", "third_party/net.py:DW101", "third_party/net.py:DW201"]
    malformed = run("--per-file-ignores", "tests", ".", cwd=root)
    assert malformed.exit_code == 2
    assert "expected PATTERN:CODES such as 'tests/*:DW101,DW102', got 'tests'" in malformed.stderr


def test_per_file_ignores_use_the_exclude_syntax(tmp_path: Path) -> None:
    """gitignore-style, as `exclude` and as validation: a directory pattern covers everything
    below it, a bare name matches at any depth, and `*` does not cross a `/`."""
    root = project(
        tmp_path,
        {"tests/unit/net.py": NET, "pkg/conftest.py": NET, "models/a/net.py": NET, "models/net.py": NET},
        'per-file-ignores = { "tests/" = ["DW1"], "conftest.py" = ["DW1"], "models/*.py" = ["DW1"] }\n',
    )
    shown = located(run("--output-format", "concise", "--select", "DW101", ".", cwd=root))
    # fnmatch on the full path used to drop nothing for `tests/` and `conftest.py`, and to
    # drop models/a/net.py through `models/*.py`.
    assert shown == ["models/a/net.py:DW101"]


def test_diff_base_reports_a_finding_in_an_unchanged_file_that_the_change_caused(repo: Path) -> None:
    (repo / "block.py").write_text(
        "import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self, dim):\n"
        "        super().__init__()\n        self.norm = nn.LayerNorm(dim)\n        self.fc = nn.Linear(dim, dim)\n\n"
        "    def forward(self, x):\n        return self.fc(self.norm(x))\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "block")
    assert run("--diff-base", "HEAD", ".", cwd=repo).exit_code == 0
    (repo / "fast.py").write_text(
        "from block import Block\n\n\nclass FastBlock(Block):\n    def forward(self, x):\n        return self.fc(x)\n"
    )
    changed = run("--diff-base", "HEAD", "--output-format", "json", ".", cwd=repo)
    assert changed.exit_code == 1
    data = json.loads(changed.stdout)
    [finding] = data["findings"]
    assert (finding["code"], finding["path"], finding["line"], finding["class"]) == (
        "DW103",
        "block.py",
        7,
        "FastBlock",
    )
    assert finding["related"][0] == {
        "path": "fast.py",
        "line": 5,
        "column": 9,
        "message": "`FastBlock.forward` no longer reaches `norm` (in a given or changed file)",
    }
    assert (data["summary"]["reported_files"], data["summary"]["reported_through_related"]) == (1, 1)
    # A change elsewhere that involves neither location reports nothing.
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fast")
    (repo / "clean.py").write_text(CLEAN + "\n")
    unrelated = run("--diff-base", "HEAD", "--output-format", "json", ".", cwd=repo)
    assert json.loads(unrelated.stdout)["findings"] == []


def test_text_and_concise_paths_open_from_the_working_directory(tmp_path: Path) -> None:
    """As ruff prints them: relative to the cwd when the project lies inside it, else absolute;
    JSON keeps root-relative paths next to the root."""
    root = project(tmp_path / "proj", {"models/net.py": NET})
    (root / "docs").mkdir()
    from_parent = run("--output-format", "concise", "--select", "DW101", "proj", cwd=tmp_path)
    assert concise(from_parent)[0].startswith("proj/models/net.py:8:14: DW101 ")
    text = run("--select", "DW101", "proj", cwd=tmp_path)
    assert "proj/models/net.py:8:14  DW101" in text.stdout
    from_inside = run("--output-format", "concise", "--select", "DW101", "..", cwd=root / "docs")
    assert concise(from_inside)[0].startswith(f"{(root / 'models' / 'net.py').as_posix()}:8:14: DW101 ")
    data = json.loads(run("--output-format", "json", "--select", "DW101", "proj", cwd=tmp_path).stdout)
    assert data["findings"][0]["path"] == "models/net.py"


UNKNOWN_LAYER = """\
import torch.nn as nn

from layers import build_layer


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.extra = build_layer(2)

    def forward(self, x):
        return self.fc(x)
"""


def test_fail_on_separates_what_is_shown_from_what_fails(tmp_path: Path) -> None:
    root = project(tmp_path, {"net.py": UNKNOWN_LAYER})
    shown = run("--output-format", "concise", "--fail-on", "high", ".", cwd=root)
    assert shown.exit_code == 0  # the medium finding is shown, and does not fail the run
    assert concise(shown)[0].startswith("net.py:10:14: DW101 [medium] submodule `extra` (`build_layer`)")
    assert run("--fail-on", "medium", ".", cwd=root).exit_code == 1
    assert run(".", cwd=root).exit_code == 1  # default: every shown finding fails
    # A floor below what is shown cannot fail on hidden findings.
    assert run("--min-confidence", "high", "--fail-on", "low", ".", cwd=root).exit_code == 0
    configured = project(tmp_path, {}, 'fail-on = "high"\n')
    assert run(".", cwd=configured).exit_code == 0
    bad = run("--fail-on", "hgih", ".", cwd=root)
    assert bad.exit_code == 2


def test_statistics_counts_findings_per_rule(tmp_path: Path) -> None:
    root = project(tmp_path, {"net.py": NET, "gen/net.py": NET, "broken.py": "def f(:\n    pass\n"})
    stats = run("--statistics", ".", cwd=root)
    assert stats.exit_code == 1  # the same exit code as the full report
    assert stats.stdout == (
        "2\tDW101\tunused-weight\t(2 high)\n2\tDW201\tunregistered-submodules\t(2 high)\n1 file could not be analyzed\n"
    )
    data = json.loads(run("--statistics", "--output-format", "json", ".", cwd=root).stdout)
    assert data == [
        {"code": "DW101", "name": "unused-weight", "count": 2, "by_confidence": {"high": 2}},
        {"code": "DW201", "name": "unregistered-submodules", "count": 2, "by_confidence": {"high": 2}},
    ]
    clean = project(tmp_path / "clean", {"clean.py": CLEAN})
    empty = run("--statistics", ".", cwd=clean)
    assert (empty.exit_code, empty.stdout) == (0, "")


def test_quiet_shows_only_findings_and_silent_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, {"net.py": NET, "broken.py": "def f(:\n    pass\n", "docs/readme.md": "x\n"})
    full = run("--output-format", "concise", "--select", "DW101", ".", cwd=root)
    assert concise(full)[-1] == "Found 1 finding; 1 file could not be analyzed."
    quiet = run("--output-format", "concise", "--select", "DW101", "-q", ".", cwd=root)
    assert quiet.exit_code == 1
    assert concise(quiet) == [
        concise(full)[0],
        "broken.py: error: syntax error at line 1, column 7: invalid syntax",
    ]
    text = run("--select", "DW101", "-q", ".", cwd=root)
    assert "net.py:8:14  DW101" in text.stdout
    assert "Found 1 finding" not in text.stdout and "Code " not in text.stdout
    # warnings go too: the folder without Python files
    assert run("-q", "docs", cwd=root).stderr == ""
    assert "no Python files found" in run("docs", cwd=root).stderr
    silent = run("--select", "DW101", "--silent", ".", cwd=root)
    assert (silent.exit_code, silent.stdout, silent.stderr) == (1, "", "")
    written = run("--silent", "--output-format", "json", "-o", "report.json", ".", cwd=root)
    assert written.exit_code == 1 and json.loads((root / "report.json").read_text())["findings"]

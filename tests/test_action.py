"""The composite GitHub Action (action.yml): valid metadata, and its run step works locally.

GitHub evaluates `${{ ... }}` expressions before bash sees the script; the test does the same
with the inputs' defaults, then runs the step with bash against a fixture, using the deadweight
installed next to this interpreter (the install step itself needs a runner and PyPI).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (pre-commit depends on it)")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def load() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def render(text: str, context: dict[str, str]) -> str:
    """Substitute `${{ name }}` like the runner does; an unknown name fails the test."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in context, f"action.yml uses ${{{{ {name} }}}}, which the test does not provide"
        return context[name]

    return EXPRESSION.sub(value, text)


def test_metadata_is_a_valid_composite_action() -> None:
    action = load()
    assert action["name"] == "deadweight"
    assert action["description"]
    inputs = action["inputs"]
    assert {name: spec["default"] for name, spec in inputs.items()} == {
        "paths": ".",
        "args": "",
        "output-format": "github",
        "python-version": "",
    }
    assert all(spec["required"] is False and spec["description"] for spec in inputs.values())
    runs = action["runs"]
    assert runs["using"] == "composite"
    steps = {step["name"]: step for step in runs["steps"]}
    setup = steps["Set up Python for deadweight"]
    # The job's Python is changed only when the user asks for a version.
    assert setup["uses"].startswith("actions/setup-python@v")
    assert setup["if"] == "${{ inputs.python-version != '' }}"
    assert setup["with"] == {"python-version": "${{ inputs.python-version }}"}
    cache = steps["Cache pip downloads and deadweight's facts cache"]
    assert cache["uses"].startswith("actions/cache@v")
    assert cache["with"]["path"].split() == ["~/.cache/pip", ".deadweight_cache"]
    assert "${{ steps.meta.outputs.version }}" in cache["with"]["key"]
    install = steps["Install deadweight"]
    assert "python -m venv" in install["run"] and "pip install" in install["run"]
    assert install["env"] == {"DEADWEIGHT_SOURCE": "${{ github.action_path }}"}
    for step in runs["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"  # composite run steps must name their shell
            assert "${{" not in step["run"]  # inputs reach scripts only through env
    # Every declared input is used by some step.
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    for name in inputs:
        assert f"inputs.{name}" in text, name


def test_version_step_reads_the_package_version(tmp_path: Path) -> None:
    action = load()
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "meta")
    out = tmp_path / "output"
    env = {**os.environ, "DEADWEIGHT_SOURCE": str(REPO), "GITHUB_OUTPUT": str(out)}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from deadweight import __version__

    assert out.read_text() == f"version={__version__}\n"


def run_step(step: dict[str, Any], inputs: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    context = {f"inputs.{name}": value for name, value in inputs.items()}
    context["github.action_path"] = str(REPO)
    env = {**os.environ, **{key: render(str(value), context) for key, value in step.get("env", {}).items()}}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["CI"] = "true"
    script = render(step["run"], context)
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True)


def test_run_step_with_default_inputs_annotates_findings(tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not available")
    if not (Path(sys.executable).parent / "deadweight").exists():
        pytest.skip("the deadweight console script is not installed next to this interpreter")
    action = load()
    step = action["runs"]["steps"][-1]
    defaults = {name: spec["default"] for name, spec in action["inputs"].items()}
    workspace = tmp_path / "workspace"
    shutil.copytree(FIXTURES / "unused_layers", workspace)
    done = run_step(step, defaults, workspace)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split("::")[1].split(",")[0:2] for line in lines] == [
        ["warning file=mlp.py", "line=11"],
        ["warning file=mlp.py", "line=12"],
    ]
    assert all(line.startswith("::warning file=mlp.py,line=") for line in lines)


def test_run_step_passes_args_and_paths(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "deadweight").exists():
        pytest.skip("the deadweight console script is not installed next to this interpreter")
    action = load()
    step = action["runs"]["steps"][-1]
    workspace = tmp_path / "workspace"
    shutil.copytree(FIXTURES / "unused_layers", workspace / "models dir")
    inputs = {
        "paths": "models*",
        "args": "--exit-zero --no-cache",
        "output-format": "concise",
        "python-version": "",
    }
    done = run_step(step, inputs, workspace)
    # `models*` is not globbed (noglob): the path does not exist, a usage error.
    assert done.returncode == 2
    assert done.stderr == "deadweight: error: models*: no such file or directory\n"
    inputs["paths"] = "."
    done = run_step(step, inputs, workspace)
    assert done.returncode == 0  # --exit-zero from `args`
    assert done.stdout.splitlines()[0].startswith("models dir/mlp.py:11:14: DW105 ")

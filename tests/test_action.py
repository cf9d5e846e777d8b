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
        "python-version": "3.12",
        "version": "",
    }
    assert all(spec["required"] is False and spec["description"] for spec in inputs.values())
    runs = action["runs"]
    assert runs["using"] == "composite"
    steps = runs["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@v")
    assert steps[0]["with"] == {"python-version": "${{ inputs.python-version }}"}
    for step in steps[1:]:
        assert step["shell"] == "bash"  # composite run steps must name their shell
    assert '"${{ github.action_path }}"' in steps[1]["run"]
    assert "pip install" in steps[1]["run"]
    # Inputs reach the script only through env, never spliced into the script text.
    assert "${{" not in steps[2]["run"]


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
        "python-version": "3.12",
        "version": "",
    }
    done = run_step(step, inputs, workspace)
    # `models*` is not globbed (noglob): the path does not exist, a usage error.
    assert done.returncode == 2
    assert done.stderr == "deadweight: error: models*: no such file or directory\n"
    inputs["paths"] = "."
    done = run_step(step, inputs, workspace)
    assert done.returncode == 0  # --exit-zero from `args`
    assert done.stdout.splitlines()[0].startswith("models dir/mlp.py:11:14: DW105 ")

"""Base classes from installed packages, read from the analyzed project's environment.

The environment under tests/data/environment/venv is written by us: a framework package whose
base class is re-exported from its `__init__`, a stand-in for torch's package layout, and a
`.pth` file with a path line (followed) and an import line (never executed).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deadweight.api import check
from deadweight.engine.environment import read_environment
from deadweight.settings import Settings

VENV = Path(__file__).parent / "data" / "environment" / "venv"

MODEL = """import torch.nn as nn
from fakefw import BaseModule
from otherfw import Layer


class Head(BaseModule):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(x)


class Plain(BaseModule):
    def __init__(self, dim):
        self.proj = nn.Linear(dim, dim)


class Encoder(nn.TransformerEncoderLayer):
    def __init__(self, dim):
        super().__init__(dim)
        self.extra = nn.Linear(dim, dim)


class Adapter(Layer):
    def __init__(self):
        super().__init__()
        self.gate = nn.Linear(2, 2)

    def forward(self, x):
        return x
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.py").write_text(MODEL, encoding="utf-8")
    return tmp_path


def _findings(root: Path, python: str | None) -> set[tuple[str, str, str, int, str]]:
    result = check([root], Settings(python=python, use_cache=False, jobs=1, min_confidence="low"))
    return {(f.code, f.class_name, f.attribute, f.line, str(f.confidence)) for f in result.findings}


def test_search_path_from_site_packages_and_pth_path_lines() -> None:
    env = read_environment(VENV, "test")
    assert env.warnings == []
    assert env.search_path == [
        (VENV / "lib" / "python3.11" / "site-packages").resolve(),
        (VENV / "extra").resolve(),
    ]
    assert read_environment(VENV / "bin" / "python", "test").search_path == env.search_path


def test_bases_resolve_through_the_environment(project: Path) -> None:
    got = _findings(project, str(VENV))
    assert got == {
        ("DW101", "Head", "proj", 10, "high"),  # BaseModule resolved to nn.Module: certain
        ("DW101", "Plain", "proj", 18, "low"),  # judged although its own code proves nothing; no entry point
        # The inherited forward is the entry point; `self_attn` (read by the inherited `_sa_block`)
        # and the base's own `unused_in_base` belong to the environment and are never reported.
        ("DW101", "Encoder", "extra", 24, "high"),
        ("DW101", "Adapter", "gate", 30, "high"),  # base found through the .pth path line
    }
    assert not (project / "PTH_IMPORT_EXECUTED").exists() and not Path("PTH_IMPORT_EXECUTED").exists()


def test_without_the_environment_evidence_decides(project: Path) -> None:
    got = _findings(project, None)
    assert got == {
        ("DW101", "Head", "proj", 10, "medium"),  # super().__init__() plus a torch layer
        # torch is not readable here: the generated table says what the inherited forward reads
        ("DW101", "Encoder", "extra", 24, "high"),
        ("DW101", "Adapter", "gate", 30, "medium"),
    }
    result = check([project], Settings(use_cache=False, jobs=1))
    assert result.summary.not_judged == [
        {"base": "fakefw.BaseModule", "classes": 1, "example": "model.py::Plain"},
    ]


def test_a_broken_environment_is_a_warning_and_the_run_goes_on(project: Path, tmp_path: Path) -> None:
    result = check([project], Settings(python=str(tmp_path / "missing"), use_cache=False, jobs=1))
    assert [w.split(" (")[0] for w in result.warnings] == [f"environment {tmp_path / 'missing'}"]
    assert {(f.class_name, f.attribute) for f in result.findings} == {
        ("Head", "proj"),
        ("Adapter", "gate"),
        ("Encoder", "extra"),  # judged through the generated torch table
    }
    empty = tmp_path / "empty-env"
    empty.mkdir()
    result = check([project], Settings(python=str(empty), use_cache=False, jobs=1))
    assert "has no site-packages" in result.warnings[0]


def test_an_unparsable_environment_file_is_a_warning(project: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    shutil.copytree(VENV, venv)
    (venv / "lib" / "python3.11" / "site-packages" / "fakefw" / "base.py").write_text("class (:\n", encoding="utf-8")
    result = check([project], Settings(python=str(venv), use_cache=False, jobs=1))
    assert any("fakefw/base.py" in w and "syntax error" in w for w in result.warnings)
    assert ("Head", "proj") in {(f.class_name, f.attribute) for f in result.findings}  # evidence still judges it


def test_cli_python_option_and_config_key(project: Path) -> None:
    def run(*args: str) -> dict[str, object]:
        out = subprocess.run(
            [sys.executable, "-m", "deadweight", "check", str(project), "--output-format", "json", "--no-cache", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 1, out.stderr
        data: dict[str, object] = json.loads(out.stdout)
        return data

    with_env = run("--python", str(VENV))
    assert {f["class"] for f in with_env["findings"]} == {"Head", "Encoder", "Adapter"}  # type: ignore[index, union-attr]
    (project / "pyproject.toml").write_text('[tool.deadweight]\npython = "venv"\n', encoding="utf-8")
    shutil.copytree(VENV, project / "venv")
    from_config = run()
    assert from_config["findings"] == with_env["findings"]
    assert run("--python", "none")["summary"]["environment_files"] == 0  # type: ignore[index]


def test_python_given_as_the_venvs_interpreter_symlink(project: Path, tmp_path: Path) -> None:
    """`--python .venv/bin/python`, as mypy's --python-executable: the symlink points at the base
    interpreter, and following it would read the base installation instead of the venv."""
    venv = tmp_path / "env"
    shutil.copytree(VENV, venv)
    (venv / "bin").mkdir(exist_ok=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "deadweight",
            "check",
            str(project),
            "--output-format",
            "json",
            "--no-cache",
            "--python",
            str(venv / "bin" / "python"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    data = json.loads(out.stdout)
    assert data["summary"]["environment_files"] > 0
    assert {f["class"] for f in data["findings"]} == {"Head", "Encoder", "Adapter"}


def test_torch_table_judges_an_inherited_torch_forward(tmp_path: Path) -> None:
    """Without torch installed: a subclass that keeps nn.TransformerEncoderLayer's forward is
    judged against the table generated from torch's sources (tools/torch_nn_table.py)."""
    (tmp_path / "layer.py").write_text(
        "import torch.nn as nn\n\n\n"
        "class Layer(nn.TransformerEncoderLayer):\n"
        "    def __init__(self, dim):\n"
        "        super().__init__(dim, 4)\n"
        "        self.self_attn = nn.MultiheadAttention(dim, 4)\n"
        "        self.adapter = nn.Linear(dim, dim)\n",
        encoding="utf-8",
    )
    assert _findings(tmp_path, None) == {("DW101", "Layer", "adapter", 8, "high")}  # self_attn: read by _sa_block


def test_dynamic_access_in_installed_framework_code_lowers_nothing(tmp_path: Path) -> None:
    """torchmetrics-like bases sync their states by name in forward; that is the framework's
    bookkeeping, not a use of the subclass's weights."""
    site = tmp_path / "env" / "lib" / "python3.11" / "site-packages" / "metricfw"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text(
        "import torch.nn as nn\n\n\n"
        "class Metric(nn.Module):\n"
        "    def forward(self, x):\n"
        "        for name in self._defaults:\n"
        "            getattr(self, name)\n"
        "        return self.update(x)\n",
        encoding="utf-8",
    )
    project = tmp_path / "proj"
    project.mkdir()
    (project / "m.py").write_text(
        "import torch\nimport torch.nn as nn\nfrom metricfw import Metric\n\n\n"
        "class Score(Metric):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.register_buffer('weights', torch.ones(3))\n"
        "        self.register_buffer('unused', torch.ones(3))\n\n"
        "    def update(self, x):\n"
        "        return x * self.weights\n",
        encoding="utf-8",
    )
    assert _findings(project, str(tmp_path / "env")) == {("DW101", "Score", "unused", 10, "high")}


def test_star_imports_fanning_out_stay_bounded(tmp_path: Path) -> None:
    """A package whose `__init__` star-imports many submodules that star-import each other
    (transformers' `models/__init__`) is read once per module, and a name is followed through
    star imports only as a plain name: the run ends fast, with the base resolved."""
    from deadweight.engine.environment import Environment
    from deadweight.engine.external import Loader
    from deadweight.extract.file import extract

    site = tmp_path / "site"
    pkg = site / "zoo" / "models"
    n = 30
    for i in range(n):
        (pkg / f"m{i}").mkdir(parents=True)
        lines = [f"from ..m{j} import *\n" for j in range(n)]
        (pkg / f"m{i}" / "__init__.py").write_text("from .configuration import *\n" + "".join(lines))
    (pkg / "m7" / "layer.py").write_text("import torch.nn as nn\n\nclass Base(nn.Module):\n    pass\n")
    (pkg / "m7" / "__init__.py").write_text("from .layer import Base\n")
    (pkg / "__init__.py").write_text("".join(f"from .m{i} import *\n" for i in range(n)))
    (site / "zoo" / "__init__.py").write_text("from .models import *\n")
    code = (
        "from zoo import Base\nfrom zoo.models import m0\n\n"
        "class Head(Base):\n    pass\n\nclass Other(m0.configuration.Missing):\n    pass\n"
    )
    facts = extract("head.py", code.encode(), "head").facts
    assert facts is not None
    loader = Loader(Environment(prefix=None, search_path=[site]), [facts], extract)
    files = loader.run([facts])
    assert "zoo.models.m7.layer" in {f.module for f in files}
    assert len(loader.loaded) < 4 * n

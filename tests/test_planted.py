"""The planted-weight recall harness (bench/planted.py) on a three-class repository.

The harness's numbers are only worth reading if its bookkeeping is exact: which class lands in
which population, what counts as found, why a miss is a miss, and that the corpus it plants
into is never modified. A tiny repository makes every one of those an exact count.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "planted.py"

MODELS = """\
import torch
from torch import nn
from external_pkg import *


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x):
        return self.proj(x)


class Buffered(Base):  # `Base` comes from a star import of a package outside the repo
    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.ones(1))

    def forward(self, x):
        return x * self.scale


class Holder:
    def __init__(self, dim):
        self.head = nn.Linear(dim, dim)
"""


@pytest.fixture(scope="module")
def planted() -> ModuleType:
    spec = importlib.util.spec_from_file_location("planted", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["planted"] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


def test_three_classes(planted: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "pkg").mkdir(parents=True)
    (corpus / "pkg" / "models.py").write_text(MODELS)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    result = planted.run_corpus(corpus, jobs=1)

    assert planted.counts(result.plants, planted.MODULES) == {"planted": 2, "default": 2, "low": 0, "none": 0}
    assert planted.counts(result.plants, planted.CREATES_WEIGHTS) == {"planted": 2, "default": 1, "low": 0, "none": 1}
    by_class = {p.site.qualname: p for p in result.plants}
    assert set(by_class) == {"Plain", "Buffered", "Holder"}
    assert by_class["Plain"].populations == (planted.MODULES, planted.CREATES_WEIGHTS)
    assert by_class["Buffered"].populations == (planted.MODULES,)
    assert by_class["Holder"].populations == (planted.CREATES_WEIGHTS,)
    assert by_class["Plain"].codes == ("DW101",)
    assert planted.misses_by_reason(result.plants, planted.MODULES) == []
    assert planted.misses_by_reason(result.plants, planted.CREATES_WEIGHTS) == [
        ("class not judged as a module", 1, ["pkg/models.py:Holder"])
    ]
    assert (corpus / "pkg" / "models.py").read_text() == MODELS  # planted through a new file, not the link
    assert list(scratch.iterdir()) == []  # the copy is gone
    assert "| modules | 2 | 2 | 0 | 0 | 100.0% |" in planted.render_corpus(result)


def test_plant_placement(planted: ModuleType, tmp_path: Path) -> None:
    """Indented like its siblings, before a final return, one-line bodies opened up, and
    `torch.nn` with an added `import torch` when the file binds neither `nn` nor `torch`."""
    source = '''"""Doc."""
from __future__ import annotations


class A(Base):
    def __init__(this, flag):
        if flag:
            return
        this.x = 1
        return


class B(Base):
    def __init__(self): super().__init__()  # one line
'''
    path = tmp_path / "m.py"
    path.write_text(source)
    scan = planted.scan_source("m.py", source.encode())
    plants = [planted.Plant(n, site, (planted.MODULES,)) for n, site in enumerate(scan.classes, 1)]
    assert planted.plant_file(path, scan, plants) == []
    assert (
        path.read_text()
        == '''"""Doc."""
from __future__ import annotations
import torch


class A(Base):
    def __init__(this, flag):
        if flag:
            return
        this.x = 1
        this.dwplanted1 = torch.nn.Linear(2, 2)
        return


class B(Base):
    def __init__(self):
        super().__init__()  # one line
        self.dwplanted2 = torch.nn.Linear(2, 2)
'''
    )


def test_low_reason_patterns(planted: ModuleType) -> None:
    msg = "submodule `dwplanted3` (`nn.Linear`) is never used: no method reads it; removing it drops the checkpoint keys `dwplanted3.*` (low confidence: `getattr(self, <name>)` in `Net.forward` may reach it by name)"
    assert planted.low_reason("DW101", msg) == "`getattr(self, <name>)` may reach it by name"
    nested = "submodule `x` (`nn.Linear`) is never used (low confidence: no class that has it defines an entry point to judge against; `A` is judged a module because its base `B` is not resolved and its `__init__` calls `super().__init__()`)"
    assert planted.low_reason("DW101", nested) == "no class that has it defines an entry point to judge against"
    bare = "submodule `dwplanted4` (`nn.Linear`) is never used: no method reads it; removing it drops the checkpoint keys `dwplanted4.*`"
    assert planted.low_reason("DW101", bare) == (
        "DW101 at low, no reason stated: “submodule `…` (`…`) is never used: no method reads it”"
    )

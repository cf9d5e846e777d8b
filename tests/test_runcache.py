"""The whole-run cache: an unchanged project returns the previous result without linking;
any change to a file, a setting or the selected rules is a miss; a damaged entry is a miss."""

from __future__ import annotations

from pathlib import Path

import pytest

from deadweight import api
from deadweight.settings import Settings

MODEL = """
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.fc(x)
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.py").write_text(MODEL)
    return tmp_path


def _run(root: Path, monkeypatch: pytest.MonkeyPatch, **kw: object) -> tuple[list[tuple[str, int]], int]:
    calls = []
    real = api._link

    def counting(*a: object, **k: object):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "_link", counting)
    settings = Settings(project_root=str(root), jobs=1, **kw)  # type: ignore[arg-type]
    result = api.check([root], settings)
    return [(f.code, f.line) for f in result.findings], len(calls)


def test_unchanged_project_is_served_from_the_run_cache(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, linked = _run(project, monkeypatch)
    again, relinked = _run(project, monkeypatch)
    assert first == again == [("DW105", 8)]
    assert (linked, relinked) == (1, 0)


def test_edit_setting_and_damage_are_misses(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(project, monkeypatch)
    (project / "model.py").write_text(MODEL.replace("return self.fc(x)", "return self.drop(self.fc(x))"))
    assert _run(project, monkeypatch) == ([], 1)
    assert _run(project, monkeypatch, min_confidence="high") == ([], 1)
    for entry in (project / ".deadweight_cache" / "runs").glob("*.json"):
        entry.write_text("{not json")
    assert _run(project, monkeypatch) == ([], 1)


def test_no_cache_never_reads_or_writes_runs(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(project, monkeypatch, use_cache=False)[1] == 1
    assert _run(project, monkeypatch, use_cache=False)[1] == 1
    assert not (project / ".deadweight_cache").exists()

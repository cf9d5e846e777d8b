"""Digests remembered by `stat`: an unchanged file is not read again, any change to its stamp
(content, size, mtime, inode, ctime) is, a racily recent file is never trusted, and a damaged
memo costs only speed. The end-to-end cases drive `api.check` and count the files it reads."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from deadweight import api
from deadweight.engine import contenthash
from deadweight.engine.contenthash import ContentHashes
from deadweight.settings import Settings

OLD = time.time() - 3600  # an hour ago


@pytest.fixture(autouse=True)
def _no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by a test are seconds old: trust them (one test puts the window back)."""
    monkeypatch.setattr(contenthash, "RACY_SECONDS", 0.0)


def _old_file(path: Path, text: str) -> str:
    path.write_text(text)
    os.utime(path, (OLD, OLD))
    return str(path)


def test_an_unchanged_file_is_not_read_by_the_next_run(tmp_path: Path) -> None:
    f = _old_file(tmp_path / "a.py", "x = 1\n")
    first = ContentHashes(tmp_path / "cache")
    assert first.digest(f) == hashlib.sha256(b"x = 1\n").digest()
    assert first.reads == 1
    first.save()
    second = ContentHashes(tmp_path / "cache")
    assert second.digest(f) == hashlib.sha256(b"x = 1\n").digest()
    assert second.reads == 0
    assert second.remembered(f) == hashlib.sha256(b"x = 1\n").digest()


def test_same_size_same_mtime_but_new_content_is_read_again(tmp_path: Path) -> None:
    f = _old_file(tmp_path / "a.py", "x = 1\n")
    first = ContentHashes(tmp_path / "cache")
    first.digest(f)
    first.save()
    time.sleep(0.01)
    _old_file(tmp_path / "a.py", "x = 2\n")  # mtime put back: only ctime tells
    second = ContentHashes(tmp_path / "cache")
    assert second.remembered(f) is None
    assert second.digest(f) == hashlib.sha256(b"x = 2\n").digest()
    assert second.reads == 1


def test_a_racily_recent_file_is_not_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contenthash, "RACY_SECONDS", 2.0)
    f = tmp_path / "a.py"
    f.write_text("x = 1\n")  # written now: within the window of the save
    first = ContentHashes(tmp_path / "cache")
    first.digest(str(f))
    first.save()
    second = ContentHashes(tmp_path / "cache")
    assert second.remembered(str(f)) is None
    second.digest(str(f))
    assert second.reads == 1


def test_a_missing_file_has_no_digest_and_a_damaged_memo_is_empty(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "content-hashes.json").write_text("{not json")
    memo = ContentHashes(cache)
    assert memo.digest(str(tmp_path / "gone.py")) is None
    assert memo.remembered(str(tmp_path / "gone.py")) is None
    _old_file(tmp_path / "a.py", "y = 3\n")
    memo.digest(str(tmp_path / "a.py"))
    memo.save()  # rewrites the damaged memo
    assert ContentHashes(cache).remembered(str(tmp_path / "a.py")) == hashlib.sha256(b"y = 3\n").digest()


def test_without_a_directory_nothing_is_kept(tmp_path: Path) -> None:
    f = _old_file(tmp_path / "a.py", "x = 1\n")
    memo = ContentHashes(None)
    memo.digest(f)
    memo.save()
    assert not list(tmp_path.glob("**/content-hashes.json"))


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


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counts: list[int] = []
    real = ContentHashes.save

    def save(self: ContentHashes) -> None:
        counts.append(self.reads)
        real(self)

    monkeypatch.setattr(ContentHashes, "save", save)
    return counts


def test_a_run_after_an_edit_reads_only_the_edited_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.py", "b.py", "c.py"):
        _old_file(tmp_path / name, MODEL.replace("MLP", name[0].upper() + "MLP"))
    settings = Settings(cache_dir=str(tmp_path / "cache"))
    reads = _reads(monkeypatch)
    first = api.check([tmp_path], settings)
    _old_file(tmp_path / "b.py", MODEL.replace("MLP", "BMLP").replace("self.fc(x)", "self.drop(self.fc(x))"))
    second = api.check([tmp_path], settings)
    third = api.check([tmp_path], settings)
    assert reads == [3, 1, 0]  # all, then the edited one (for the run key and its facts), then none
    assert [(f.class_name, f.attribute) for f in first.findings] == [
        ("AMLP", "drop"),
        ("BMLP", "drop"),
        ("CMLP", "drop"),
    ]
    assert [(f.class_name, f.attribute) for f in second.findings] == [("AMLP", "drop"), ("CMLP", "drop")]
    assert third.findings == second.findings

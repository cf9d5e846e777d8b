"""Content digests of the project's files, remembered between runs by what `stat` says.

Every run keys its caches by content: the run cache by the digest of every file, the facts
cache by each file's digest. Reading and hashing 2,900 files costs a warm run on transformers
about 0.1 s, a third of what it does in all. Like git's index, this keeps `(size, mtime_ns,
inode, ctime_ns)` beside each digest, and a file whose `stat` still says the same is not read
again. The digest stays the truth: any difference in those fields means the file is read and
hashed. A file changed within `RACY_SECONDS` of the moment the memo is saved is not
remembered (git's "racily clean" entries): a second write in the same timestamp tick would
leave its `stat` unchanged. The test is on ctime, which every write sets and no tool can set
back (a checkout or `touch -d` restoring an old mtime still moves ctime).

The memo is a cache: a missing, damaged or unwritable one costs only speed, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

FORMAT = 1
RACY_SECONDS = 2.0
_NAME = "content-hashes.json"

_Stamp = tuple[int, int, int, int]  # size, mtime_ns, inode, ctime_ns


def _stamp(info: os.stat_result) -> _Stamp:
    return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)


class ContentHashes:
    """`digest(path)`: sha256 of the file's bytes, read only when its `stat` changed."""

    def __init__(self, directory: Path | None) -> None:
        self._file = directory / _NAME if directory is not None else None
        self._known: dict[str, tuple[_Stamp, bytes]] = {}
        self._seen: dict[str, tuple[_Stamp, bytes]] = {}
        self.reads = 0  # files read and hashed this run (for tests and `bench/`)
        if self._file is not None:
            self._known = _load(self._file)

    def digest(self, abspath: str) -> bytes | None:
        """The file's digest, or None when it cannot be stat'ed or read (the caller reports it)."""
        try:
            info = os.stat(abspath)
        except OSError:
            return None
        known = self._unchanged(abspath, info)
        if known is not None:
            return known
        try:
            with open(abspath, "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        return self.record(abspath, data, info)

    def remembered(self, abspath: str) -> bytes | None:
        """The digest if `stat` says the file is unchanged since it was hashed, else None
        (without reading it: the caller reads it anyway and then `record`s it)."""
        if abspath not in self._seen and abspath not in self._known:
            return None
        try:
            return self._unchanged(abspath, os.stat(abspath))
        except OSError:
            return None

    def _unchanged(self, abspath: str, info: os.stat_result) -> bytes | None:
        """The digest remembered for this stamp (this run's first, then the memo's), or None."""
        known = self._seen.get(abspath) or self._known.get(abspath)
        if known is None or known[0] != _stamp(info):
            return None
        self._seen[abspath] = known
        return known[1]

    def record(self, abspath: str, data: bytes, info: os.stat_result | None = None) -> bytes:
        """Hash bytes just read from `abspath` and remember them under the file's `stat`.

        `info` must come from before the read (a write after the stat then changes the stamp
        the next run sees, so it is re-read); without it the stamp is taken now, and an entry
        whose stamp cannot be had is not remembered."""
        self.reads += 1
        value = hashlib.sha256(data).digest()
        if info is None:
            try:
                info = os.stat(abspath)
            except OSError:
                return value
            if info.st_size != len(data):
                return value  # changed since it was read: do not remember
        self._seen[abspath] = (_stamp(info), value)
        return value

    def save(self) -> None:
        """Remember the digests of this run's files, except the racily recent ones."""
        if self._file is None or self._seen == self._known:
            return
        newest = time.time_ns() - int(RACY_SECONDS * 1e9)
        entries = {path: [*stamp, value.hex()] for path, (stamp, value) in self._seen.items() if stamp[3] < newest}
        payload = json.dumps({"format": FORMAT, "files": entries}, separators=(",", ":"))
        with contextlib.suppress(OSError):
            self._file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._file.parent, prefix=".tmp-hashes-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(payload)
                os.replace(tmp, self._file)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


def _load(file: Path) -> dict[str, tuple[_Stamp, bytes]]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return {}
        out: dict[str, tuple[_Stamp, bytes]] = {}
        for path, (size, mtime, ino, ctime, value) in data["files"].items():
            out[path] = ((int(size), int(mtime), int(ino), int(ctime)), bytes.fromhex(value))
        return out
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}

"""Baseline files: accept today's findings as known debt, fail only on new ones.

A large model repository cannot fix every dead weight before adopting the check (removing a
weight renames keys of released checkpoints). The baseline records the findings of one run by
fingerprint (rule + path + class + attribute, never a line number), so edits that only move
lines keep them hidden. Each entry may carry a human `reason`; rewriting the baseline keeps the
reason of every entry that still matches and drops the entries whose finding was fixed, so the
file shrinks as debt is paid and never silently accumulates. Entries that match nothing in a
run are counted as stale and reported, so a reviewer notices the file rotting.

File format (sorted, stable under rewrites so diffs stay small)::

    {"version": 1, "findings": [{"fingerprint": "...", "code": "DW101", "path": "a/b.py",
                                 "class": "Block", "attribute": "pos", "reason": "..."}]}
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from deadweight.findings import Finding, Result

VERSION = 1


class BaselineError(Exception):
    """A baseline file is missing or malformed; the CLI prints it and exits 2."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One accepted finding. `reason` is the reviewer's note, kept across rewrites."""

    fingerprint: str
    code: str
    path: str
    class_name: str
    attribute: str
    reason: str | None = None

    def to_dict(self) -> dict[str, str]:
        out = {
            "fingerprint": self.fingerprint,
            "code": self.code,
            "path": self.path,
            "class": self.class_name,
            "attribute": self.attribute,
        }
        if self.reason:
            out["reason"] = self.reason
        return out

    def sort_key(self) -> tuple[str, str, str, str, str]:
        return (self.path, self.class_name, self.attribute, self.code, self.fingerprint)

    def describe(self) -> str:
        """`DW101 path.py Class.attr`, for the stale-entry note."""
        owner = ".".join(p for p in (self.class_name, self.attribute) if p)
        return f"{self.code} {self.path}" + (f" {owner}" if owner else "")


def load(path: Path) -> list[Entry]:
    """Read and validate a baseline file; every problem is a BaselineError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"baseline {path}: no such file (create it with --write-baseline {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"baseline {path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise BaselineError(f'baseline {path}: expected a JSON object with "version" and "findings"')
    if data.get("version") != VERSION:
        raise BaselineError(f"baseline {path}: unsupported version {data.get('version')!r} (expected {VERSION})")
    items = data.get("findings")
    if not isinstance(items, list):
        raise BaselineError(f'baseline {path}: "findings" must be a list')
    entries = []
    for i, item in enumerate(items):
        where = f"baseline {path}: findings[{i}]"
        if not isinstance(item, dict):
            raise BaselineError(f"{where}: expected an object")
        fp = item.get("fingerprint")
        if not isinstance(fp, str) or not fp:
            raise BaselineError(f'{where}: missing "fingerprint"')
        fields = {}
        for key in ("code", "path", "class", "attribute"):
            value = item.get(key, "")
            if not isinstance(value, str):
                raise BaselineError(f'{where}: "{key}" must be a string')
            fields[key] = value
        reason = item.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise BaselineError(f'{where}: "reason" must be a string')
        entries.append(Entry(fp, fields["code"], fields["path"], fields["class"], fields["attribute"], reason))
    return entries


def write(path: Path, result: Result) -> int:
    """Record `result.findings` as the baseline at `path`; return how many entries were written.

    Reasons of entries that still match are kept; entries whose finding is gone are dropped.
    An existing file that cannot be read as a baseline is an error rather than being
    overwritten, because it may hold reviewers' reasons.
    """
    reasons: dict[str, str] = {}
    if path.exists():
        reasons = {e.fingerprint: e.reason for e in load(path) if e.reason}
    entries: dict[str, Entry] = {}
    for f in result.findings:
        entries.setdefault(
            f.fingerprint, Entry(f.fingerprint, f.code, f.path, f.class_name, f.attribute, reasons.get(f.fingerprint))
        )
    ordered = sorted(entries.values(), key=Entry.sort_key)
    text = (
        json.dumps({"version": VERSION, "findings": [e.to_dict() for e in ordered]}, indent=2, ensure_ascii=False)
        + "\n"
    )
    _atomic_write(path, text)
    return len(ordered)


def apply(
    path: Path,
    result: Result,
    *,
    only_files: Collection[str] | None = None,
    inactive_codes: Collection[str] = (),
) -> list[Entry]:
    """Hide the findings recorded in the baseline; return the stale entries.

    `result` is updated in place: findings removed, `summary.baselined` and the per-code and
    per-confidence counts adjusted, `summary.baseline_stale` set. An entry is stale only if the
    run could have produced its finding: its file is in the reported set (`only_files`) and its
    code is not that of a rule switched off in this run (`inactive_codes`), so a pre-commit run on one file or a `--select`
    run does not call the rest of the baseline stale.
    """
    entries = load(path)
    known = {e.fingerprint for e in entries}
    kept: list[Finding] = []
    matched: set[str] = set()
    for f in result.findings:
        if f.fingerprint in known:
            matched.add(f.fingerprint)
        else:
            kept.append(f)
    summary = result.summary
    summary.baselined += len(result.findings) - len(kept)
    result.findings[:] = kept
    summary.recount(kept)
    stale = [
        e
        for e in sorted(entries, key=Entry.sort_key)
        if e.fingerprint not in matched
        and (only_files is None or e.path in only_files)
        and e.code not in inactive_codes
    ]
    summary.baseline_stale = len(stale)
    return stale


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so an interrupted run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

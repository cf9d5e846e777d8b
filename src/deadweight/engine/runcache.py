"""The result of a whole run, cached by everything it depends on.

A pre-commit hook re-runs deadweight on an unchanged project many times a day. The facts cache
already skips parsing, but linking and the rules still cost seconds on a zoo the size of
transformers. When no file, setting, rule or engine source changed, the previous Result is
the answer: this module keys it by the content hash of every analyzed file plus the settings,
the selected rules and the source of the engine itself (so a development build never serves
a stale result), and stores one entry per (root, settings, reported files) combination so the
directory cannot grow without bound. A damaged entry is a miss, never an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deadweight.discover import Discovery
from deadweight.engine.contenthash import ContentHashes
from deadweight.engine.environment import fingerprint as environment_fingerprint
from deadweight.engine.salt import package_digest
from deadweight.extract.facts import FileError
from deadweight.findings import Finding, Related, Result, Summary
from deadweight.settings import Settings

if TYPE_CHECKING:
    from deadweight.rules.base import Rule

FORMAT = 2
# Settings that change how a run is executed, not what it finds (the baseline is applied to
# the cached result afterwards).
_EXECUTION_ONLY = ("use_cache", "jobs", "cache_dir", "config_file", "baseline")


def _engine_digest(rules: Sequence[type[Rule]]) -> str:
    """The source of the engine and of every selected rule (built-in or plugin)."""
    digest = hashlib.sha256(package_digest().encode())
    files: list[Path] = []
    for rule in rules:
        if rule.__module__.startswith("deadweight."):
            continue  # part of the package digest
        module = __import__(rule.__module__, fromlist=["_"])
        source = getattr(module, "__file__", None)
        if source:
            files.append(Path(source))
    for path in files:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _settings_json(settings: Settings, only_files: set[str] | None) -> str:
    data = {k: v for k, v in dataclasses.asdict(settings).items() if k not in _EXECUTION_ONLY}
    data["only_files"] = sorted(only_files) if only_files is not None else None
    return json.dumps(data, sort_keys=True, default=str)


def key(
    found: Discovery,
    settings: Settings,
    rules: Sequence[type[Rule]],
    only_files: set[str] | None,
    hashes: ContentHashes | None = None,
) -> tuple[str, str]:
    """(slot, key): the slot names the entry file, the key must match for a hit."""
    context = json.dumps([FORMAT, str(found.root), _settings_json(settings, only_files), [r.code for r in rules]])
    slot, digest = _keyed(context, settings, rules)
    for f in found.files:
        digest.update(f.path.encode() + b"\0" + f.module.encode() + b"\0")
        if hashes is not None:
            content = hashes.digest(str(f.abspath))
            digest.update(content if content is not None else b"unreadable")
            continue
        try:
            digest.update(hashlib.sha256(f.abspath.read_bytes()).digest())
        except OSError as exc:
            digest.update(f"unreadable {exc.errno}".encode())
    for e in found.errors:
        digest.update(f"{e.path}\0{e.reason}".encode())
    return slot, digest.hexdigest()


def judging_context(found: Discovery, settings: Settings, rules: Sequence[type[Rule]]) -> tuple[str, str]:
    """(slot, key) of the incremental state: what the run cache's key holds but the files and
    the reported subset (judging is the same whatever is reported)."""
    context = json.dumps([FORMAT, "judged", str(found.root), _settings_json(settings, None), [r.code for r in rules]])
    slot, digest = _keyed(context, settings, rules)
    return slot, digest.hexdigest()


def _keyed(context: str, settings: Settings, rules: Sequence[type[Rule]]) -> tuple[str, Any]:
    """(slot, digest so far): the slot names the entry by its context; the digest adds the
    engine's and the rules' source and the environment, which a hit must match as well."""
    slot = hashlib.sha256(context.encode()).hexdigest()[:20]
    digest = hashlib.sha256(context.encode())
    digest.update(_engine_digest(rules).encode())
    digest.update(environment_fingerprint(settings.python).encode())
    return slot, digest


def _entry(directory: Path, slot: str) -> Path:
    return directory / "runs" / f"{slot}.json"


def load(directory: Path, slot: str, run_key: str) -> Result | None:
    try:
        data = json.loads(_entry(directory, slot).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("key") != run_key:
            return None
        findings = [finding_from_dict(f) for f in data["findings"]]
        errors = [FileError(e["path"], e["reason"]) for e in data["errors"]]
        summary = Summary(**{k: v for k, v in data["summary"].items() if k in Summary.__dataclass_fields__})
        return Result(data["root"], findings, errors, summary, warnings=list(data.get("warnings", [])))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(directory: Path, slot: str, run_key: str, result: Result) -> None:
    payload = {
        "format": FORMAT,
        "key": run_key,
        "root": result.root,
        "findings": [f.to_dict() for f in result.findings],
        "errors": [{"path": e.path, "reason": e.reason} for e in result.errors],
        "summary": dataclasses.asdict(result.summary),
        "warnings": result.warnings,
    }
    target = _entry(directory, slot)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(payload, out)
        os.replace(tmp, target)
    except OSError:
        return  # a read-only or full cache directory only costs speed


def finding_from_dict(d: dict[str, Any]) -> Finding:
    """The inverse of `Finding.to_dict` (the run cache's and the incremental state's entries)."""
    related = tuple(Related(r["path"], r["line"], r["column"], r["message"]) for r in d["related"])
    return Finding(
        code=d["code"],
        rule=d["rule"],
        severity=d["severity"],
        confidence=d["confidence"],
        message=d["message"],
        path=d["path"],
        line=d["line"],
        column=d["column"],
        end_line=d["end_line"],
        end_column=d["end_column"],
        class_name=d["class"],
        attribute=d["attribute"],
        defined_in=d["defined_in"],
        related=related,
        fingerprint=d["fingerprint"],
        codes=tuple(d.get("codes", ())),
        also_classes=tuple(d.get("also_classes", ())),
        dotted_names=tuple(d.get("dotted_names", ())),
    )

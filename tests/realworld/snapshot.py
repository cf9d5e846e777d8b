"""Reviewed snapshots of deadweight's findings on real model zoos (the `realworld` tier).

Each corpus has a TOML file listing every finding deadweight reports by default (medium and
high confidence) with a verdict written after reading the code — `true-positive`,
`false-positive` or `intended` — and a one-line reason, plus the count of hidden
low-confidence findings per rule. The test fails with a readable diff when a finding appears
or vanishes, like ruff's ecosystem check, and reports precision from the verdicts.

Regenerate after an intended change with `python -m tests.realworld.snapshot CORPUS`
(existing verdicts are kept; new findings get `unreviewed`, which the test rejects; `--verdicts
REVIEW.toml ...` merges verdicts written during a review, in the same `[[finding]]` format).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from deadweight.findings import Result

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPORA = {
    "timm": "timm==1.0.31",
    "swissarmytransformer": "swissarmytransformer==0.4.12",
    "diffusers": "diffusers==0.42.1",
    "transformers": "transformers==5.24.0",
    # @wide: other conventions (own bases, registries, Lightning, wrapped layers, builders)
    "ultralytics": "ultralytics==8.4.190",
    "fairseq": "fairseq==0.12.2",
    "peft": "peft==0.21.2",
    "torchtune": "torchtune==0.6.1",
    "kornia": "kornia==0.9.0",
    "chemprop": "chemprop==2.3.1",
    "pytorch-forecasting": "pytorch-forecasting==1.8.0",
}
VERDICTS = ("true-positive", "false-positive", "intended", "unreviewed")


@dataclass(frozen=True)
class Key:
    code: str
    path: str
    cls: str
    attribute: str


@dataclass
class Entry:
    key: Key
    line: int
    confidence: str
    verdict: str = "unreviewed"
    reason: str = ""
    message: str = ""


def corpus_dir() -> Path:
    return Path(os.environ.get("DEADWEIGHT_CORPUS_DIR", Path.home() / ".cache" / "deadweight-corpus"))


def unpack(name: str) -> Path:
    """Unpack a pinned release with ../shared/corpus.sh (a no-op when already there)."""
    spec = CORPORA[name]
    target = corpus_dir() / spec.replace("==", "-")
    if not target.is_dir():
        script = REPO.parent / "shared" / "corpus.sh"
        subprocess.run(["bash", str(script), str(corpus_dir()), spec], check=True, capture_output=True)
    return target


@functools.cache
def result_of(root: Path) -> Result:
    """Every finding of a corpus at every confidence; kept for the session, so the tests that
    read the same run (snapshot, fingerprints) analyze each corpus once."""
    from deadweight.api import check
    from deadweight.settings import Settings

    return check([root], Settings(min_confidence="low", use_cache=False, project_root=str(root)))


def run(name: str, root: Path) -> tuple[list[Entry], dict[str, int]]:
    """Findings as `deadweight check` reports them by default, plus hidden low counts."""
    result = result_of(root)
    entries, low = [], {}
    for f in result.findings:
        if f.confidence == "low":
            low[f.code] = low.get(f.code, 0) + 1
            continue
        entries.append(Entry(Key(f.code, f.path, f.class_name, f.attribute), f.line, f.confidence, message=f.message))
    return entries, dict(sorted(low.items()))


def load(name: str) -> tuple[dict[Key, Entry], dict[str, int]]:
    path = HERE / f"{name}.toml"
    if not path.exists():
        return {}, {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = {}
    for item in data.get("finding", []):
        key = Key(item["code"], item["path"], item["class"], item["attribute"])
        out[key] = Entry(key, item.get("line", 0), item["confidence"], item["verdict"], item.get("reason", ""))
    return out, dict(data.get("low_confidence_hidden", {}))


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)


def save(name: str, entries: list[Entry], low: dict[str, int]) -> None:
    lines = [
        f"# Reviewed findings of deadweight on {CORPORA[name]} (see tests/realworld/snapshot.py).",
        f"corpus = {_q(CORPORA[name])}",
        "",
        "[low_confidence_hidden]",
        *(f"{code} = {count}" for code, count in low.items()),
    ]
    for e in sorted(entries, key=lambda e: (e.key.path, e.line, e.key.code, e.key.attribute)):
        lines += [
            "",
            "[[finding]]",
            f"code = {_q(e.key.code)}",
            f"path = {_q(e.key.path)}",
            f"line = {e.line}",
            f"class = {_q(e.key.cls)}",
            f"attribute = {_q(e.key.attribute)}",
            f"confidence = {_q(e.confidence)}",
            f"verdict = {_q(e.verdict)}",
            f"reason = {_q(e.reason)}",
        ]
        if e.verdict == "unreviewed" and e.message:
            lines.append(f"# message: {e.message[:300]}")
    (HERE / f"{name}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def from_json(path: Path) -> tuple[list[Entry], dict[str, int]]:
    """Entries from a saved `deadweight check --output-format json --min-confidence low` run."""
    data = json.loads(path.read_text(encoding="utf-8"))
    entries, low = [], {}
    for f in data["findings"]:
        if f["confidence"] == "low":
            low[f["code"]] = low.get(f["code"], 0) + 1
            continue
        entries.append(
            Entry(
                Key(f["code"], f["path"], f["class"], f["attribute"]), f["line"], f["confidence"], message=f["message"]
            )
        )
    return entries, dict(sorted(low.items()))


def reviewed(path: Path) -> dict[Key, Entry]:
    """Verdicts from a review file in the snapshot's own `[[finding]]` format."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = {}
    for item in data.get("finding", []):
        key = Key(item["code"], item["path"], item["class"], item["attribute"])
        out[key] = Entry(key, item.get("line", 0), item["confidence"], item["verdict"], item.get("reason", ""))
    return out


def update(name: str, saved: Path | None = None, verdicts: list[Path] | None = None) -> None:
    old, _ = load(name)
    for extra in verdicts or []:
        old = {**reviewed(extra), **old}  # the snapshot's own verdicts win
    entries, low = from_json(saved) if saved is not None else run(name, unpack(name))
    for e in entries:
        prev = old.get(e.key)
        if prev is not None:
            e.verdict, e.reason = prev.verdict, prev.reason
    save(name, entries, low)


def summary() -> str:
    """Markdown: per corpus, findings per rule and confidence, verdicts and precision."""
    out = [
        "| corpus | findings (medium+high) | by rule | TP | FP | intended | precision | hidden low |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in CORPORA:
        entries, low = load(name)
        by_rule: dict[str, int] = {}
        for e in entries.values():
            by_rule[e.key.code] = by_rule.get(e.key.code, 0) + 1
        verdicts = [e.verdict for e in entries.values()]
        tp, fp, intended = verdicts.count("true-positive"), verdicts.count("false-positive"), verdicts.count("intended")
        judged = tp + fp + intended
        precision = f"{(tp + intended) / judged:.0%} ({tp / judged:.0%} strict)" if judged else "n/a"
        rules = ", ".join(f"{k} {v}" for k, v in sorted(by_rule.items())) or "-"
        lows = ", ".join(f"{k} {v}" for k, v in low.items()) or "-"
        out.append(f"| {CORPORA[name]} | {len(entries)} | {rules} | {tp} | {fp} | {intended} | {precision} | {lows} |")
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["--summary"]:
        print(summary())
        raise SystemExit(0)
    # python -m tests.realworld.snapshot [CORPUS[=saved.json] ...] [--verdicts REVIEW.toml ...]
    args = sys.argv[1:]
    extra = [Path(a) for a in args[args.index("--verdicts") + 1 :]] if "--verdicts" in args else []
    names = args[: args.index("--verdicts")] if "--verdicts" in args else args
    for arg in names or list(CORPORA):
        corpus, _, saved = arg.partition("=")
        update(corpus, Path(saved) if saved else None, extra)
        print(f"updated tests/realworld/{corpus}.toml")

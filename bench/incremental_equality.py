"""Incremental runs against whole runs on a copy of a real corpus, after random edits.

`tests/test_incremental.py` checks the same property on the fixtures; this checks it where the
inputs are many and tangled (re-exports, deep MROs, findings that point into other files). Each
step edits one file of the copy (blank lines, a comment on top, a docstring, or a `self.` call
statement replaced by `pass`), most of the time a file some finding points into, then runs
deadweight with its cache (incremental) and without (whole) and compares every finding, low
confidence included. Stdlib only; the corpus itself is never written:

    /work/venv/bin/python bench/incremental_equality.py /work/corpus/timm-1.0.31 --steps 12 --seed 2

Exit status 1 if any step differs (the two finding lists are printed).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

KINDS = ("blank", "blank", "comment-top", "docstring", "statement")


def _findings(deadweight: str, root: Path, out: Path, *extra: str) -> list[dict[str, Any]]:
    cmd = [deadweight, "check", str(root), "-q", "--output-format", "json", "--exit-zero"]
    subprocess.run([*cmd, "--min-confidence", "low", "-o", str(out), *extra], check=True, capture_output=True)
    findings: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))["findings"]
    return findings


def _edit(path: Path, kind: str, step: int, rng: random.Random) -> str:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if kind == "blank":
        for _ in range(rng.randint(1, 5)):
            lines.insert(rng.randrange(len(lines) + 1), "\n")
    elif kind == "comment-top":
        lines.insert(0, f"# edit {step}\n")
    elif kind == "docstring":
        defs = [i for i, line in enumerate(lines) if re.match(r"\s+def \w+\(.*\):\s*$", line)]
        if not defs:
            return "no one-line def"
        i = rng.choice(defs)
        indent = re.match(r"\s*", lines[i]).group(0) + "    "  # type: ignore[union-attr]
        lines.insert(i + 1, f'{indent}"""Doc {step}.\n\n{indent}More.\n{indent}"""\n')
    else:
        calls = [
            i
            for i, line in enumerate(lines)
            if line.startswith("        ")
            and "self." in line
            and line.rstrip().endswith(")")
            and line.count("(") == line.count(")")
        ]
        if not calls:
            return "no self call statement"
        i = rng.choice(calls)
        lines[i] = re.match(r"\s*", lines[i]).group(0) + "pass\n"  # type: ignore[union-attr]
    path.write_text("".join(lines), encoding="utf-8")
    return kind


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deadweight", default=str(Path(sys.executable).with_name("deadweight")))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="deadweight-incremental-") as tmp:
        root = Path(tmp) / args.corpus.name
        shutil.copytree(args.corpus, root, symlinks=True)
        out = Path(tmp) / "report.json"
        first = _findings(args.deadweight, root, out)
        pointed = sorted({root / f["path"] for f in first} | {root / r["path"] for f in first for r in f["related"]})
        files = sorted(p for p in root.rglob("*.py") if p.stat().st_size > 2000)
        pool = pointed * 40 + files  # most edits where findings point
        differing = 0
        for step in range(args.steps):
            path = rng.choice(pool)
            did = _edit(path, rng.choice(KINDS), step, rng)
            incremental = _findings(args.deadweight, root, out)
            whole = _findings(args.deadweight, root, out, "--no-cache")
            same = incremental == whole
            differing += not same
            rel = path.relative_to(root).as_posix()
            print(f"{step}: {did} {rel}: {len(incremental)} findings, {'same' if same else 'DIFFERENT'}", flush=True)
            if not same:
                a = {json.dumps(f, sort_keys=True) for f in incremental}
                b = {json.dumps(f, sort_keys=True) for f in whole}
                print("  only incremental:", sorted(a - b)[:3])
                print("  only whole:", sorted(b - a)[:3])
        print(f"{args.corpus.name}: {args.steps} edits, {differing} differing")
        return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())

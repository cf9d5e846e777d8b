"""`--statistics`: how many findings each rule reported, instead of the findings (as ruff's).

One line per rule, most findings first: count, code, rule name and the confidence split, so a
first run on a large repository says where to look before it lists thousands of lines.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from deadweight.findings import CONFIDENCES, Result
from deadweight.report._common import plural, rules_by_code
from deadweight.rules.base import Rule


def statistics(result: Result, rules: Sequence[type[Rule]]) -> list[dict[str, object]]:
    names = {code: rule.name for code, rule in rules_by_code(rules).items()}
    counts = Counter(f.code for f in result.findings)
    rows = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        split = Counter(str(f.confidence) for f in result.findings if f.code == code)
        rows.append(
            {
                "code": code,
                "name": names.get(code, ""),
                "count": count,
                "by_confidence": {c: split[c] for c in reversed(CONFIDENCES) if split[c]},
            }
        )
    return rows


def emit_statistics(result: Result, rules: Sequence[type[Rule]], out: TextIO, *, as_json: bool) -> None:
    rows = statistics(result, rules)
    if as_json:
        out.write(json.dumps(rows, indent=2) + "\n")
        return
    width = max((len(str(r["count"])) for r in rows), default=1)
    for r in rows:
        split = r["by_confidence"]
        assert isinstance(split, dict)
        detail = ", ".join(f"{n} {c}" for c, n in split.items())
        out.write(f"{r['count']:>{width}}\t{r['code']}\t{r['name']}\t({detail})\n")
    if result.errors:  # they fail the run too: never leave them out of the count
        out.write(f"{plural(len(result.errors), 'file')} could not be analyzed\n")

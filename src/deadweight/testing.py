"""Helpers that turn a rule's examples into test cases (used by tests/test_rule_examples.py).

Examples are parsed with the same conventions `deadweight explain` shows: `# file: path.py`
starts a file, `# expect: DWxxx` marks each line a rule must report. Extraction runs
in-process and without a cache so a failing example points straight at the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deadweight.discover import module_name
from deadweight.extract import extract
from deadweight.filter.suppressions import UNUSED_SUPPRESSION, apply_suppressions
from deadweight.findings import Finding
from deadweight.rules.base import Rule
from deadweight.rules.context import run_rules
from deadweight.settings import Settings

_FILE = re.compile(r"^#\s*file:\s*(\S+)\s*$")
_EXPECT = re.compile(r"#\s*expect:\s*((?:DW\d+[\s,]*)+)")


@dataclass(frozen=True)
class Expected:
    path: str
    line: int
    code: str


def split_files(example: str) -> dict[str, str]:
    files: dict[str, list[str]] = {}
    current = "example.py"
    for line in example.strip("\n").splitlines():
        m = _FILE.match(line)
        if m:
            current = m.group(1)
            files[current] = []
            continue
        files.setdefault(current, []).append(line)
    return {path: "\n".join(lines) + "\n" for path, lines in files.items()}


def expectations(files: dict[str, str]) -> set[Expected]:
    out = set()
    for path, source in files.items():
        for number, line in enumerate(source.splitlines(), 1):
            m = _EXPECT.search(line)
            if m:
                for code in re.findall(r"DW\d+", m.group(1)):
                    out.add(Expected(path, number, code))
    return out


def run_files(files: dict[str, str], rules: list[type[Rule]], settings: Settings | None = None) -> list[Finding]:
    """Findings of `rules` on in-memory files (every confidence level)."""
    settings = settings or Settings(min_confidence="low")
    facts = []
    for path, source in files.items():
        result = extract(path, source.encode("utf-8"), module_name(path))
        if result.error is not None:
            raise AssertionError(f"example file {path} does not parse: {result.error.reason}")
        assert result.facts is not None
        facts.append(result.facts)
    if not any(r.code == UNUSED_SUPPRESSION for r in rules):
        return run_rules(facts, settings, rules)
    # A stale suppression is only known once every rule has reported: run the default rule
    # set too, match comments as a real scan does, and return only the requested rules' codes.
    from deadweight.rules.registry import all_rules

    everything = list({r: None for r in [*(r for r in all_rules() if not r.preview), *rules]})
    visible, _ = apply_suppressions(run_rules(facts, settings, everything), facts, settings, everything)
    wanted = {r.code for r in rules}
    return [f for f in visible if f.code in wanted]

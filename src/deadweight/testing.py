"""Helpers that turn `# expect:` comments into test cases.

Two kinds of sources carry them: a rule's examples (tests/test_rule_examples.py) and the fixture
repositories under fixtures/ (tests/test_fixture_expectations.py). Both use one grammar, the one
`deadweight explain` shows: `# file: path.py` starts a file of an example, and a comment

    # expect: DW101
    # expect: DW101[high]
    # expect: DW105[medium], DW301[medium]

at the end of a line marks each finding that line must report: a code, optionally with the
confidence it must be reported at (one of low, medium, high). Writing a code twice expects two
findings. Without a confidence only the code and the line are compared, so fixtures always write
it: a regrade then fails like a lost finding. Only real comments count (tokenize decides), so a
docstring that mentions `# expect:` expects nothing; a malformed marker is an error, never
silently ignored. `# expect:` is not a suppression: the pipeline reports the line as before.

Rule examples run in-process and without a cache (`run_files`) so a failing example points
straight at the rule; a fixture runs through the real pipeline (`check_fixture`: discovery,
extraction, linking, rules, suppressions and the confidence floor) as `deadweight check` would.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deadweight.discover import module_name
from deadweight.extract.comments import comment_tokens
from deadweight.extract.file import extract
from deadweight.filter.suppressions import INVALID_SUPPRESSION, UNUSED_SUPPRESSION, apply_suppressions
from deadweight.findings import CONFIDENCES, Finding
from deadweight.rules.base import Rule
from deadweight.rules.context import run_rules
from deadweight.runtime import RuntimeReport as RuntimeReport
from deadweight.runtime import check_model as check_model
from deadweight.settings import Settings

_FILE = re.compile(r"^#\s*file:\s*(\S+)\s*$")
_MARKER = re.compile(r"#\s*expect\s*:(?P<body>.*)$")
_ITEM = re.compile(r"\s*(?P<code>DW\d+)(?:\[(?P<confidence>[^\]]*)\])?\s*(?:,|(?=\s)|$)")


class ExpectationError(ValueError):
    """A `# expect:` comment that does not follow the grammar (located as path:line)."""


@dataclass(frozen=True)
class Expected:
    """One expected (or reported) finding; `confidence` None means "any confidence"."""

    path: str
    line: int
    code: str
    confidence: str | None = None

    def __str__(self) -> str:
        grade = f"[{self.confidence}]" if self.confidence is not None else ""
        return f"{self.path}:{self.line}: {self.code}{grade}"

    @classmethod
    def of(cls, finding: Finding) -> Expected:
        return cls(finding.path, finding.line, finding.code, str(finding.confidence))  # a plain string, like a marker

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path, self.line, self.code, self.confidence or "")


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


def parse_marker(comment: str, path: str = "<string>", line: int = 0) -> list[Expected]:
    """The expectations of one comment (empty when it has no `# expect:` marker)."""
    m = _MARKER.search(comment)
    if m is None:
        return []
    body = m.group("body")
    end = body.find("#")  # `# expect: DW101[high]  # why` - the rest is a note
    body = body if end < 0 else body[:end]
    out: list[Expected] = []
    pos = 0
    while body[pos:].strip():
        item = _ITEM.match(body, pos)
        if item is None:
            raise ExpectationError(f"{path}:{line}: cannot read `# expect:` at {body[pos:].strip()!r}")
        confidence = item.group("confidence")
        if confidence is not None and confidence not in CONFIDENCES:
            choices = ", ".join(CONFIDENCES)
            raise ExpectationError(f"{path}:{line}: {item.group('code')}[{confidence}]: confidence is one of {choices}")
        out.append(Expected(path, line, item.group("code"), confidence))
        pos = item.end()
    if not out:
        raise ExpectationError(f"{path}:{line}: `# expect:` names no code")
    return out


def source_expectations(path: str, source: str) -> list[Expected]:
    """Every expectation of one file, in order, repeated codes kept."""
    return [e for number, _, text in comment_tokens(source) for e in parse_marker(text, path, number)]


def expectations(files: dict[str, str]) -> set[Expected]:
    return {e for path, source in files.items() for e in source_expectations(path, source)}


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
    if not any(r.code in (UNUSED_SUPPRESSION, INVALID_SUPPRESSION) for r in rules):
        return run_rules(facts, settings, rules)
    # Comment findings come from the filter stage, and a stale suppression is only known once
    # every rule has reported: run the default rule set too, match comments as a real scan
    # does, and return only the requested rules' codes.
    from deadweight.rules.registry import all_rules

    everything = list({r: None for r in [*(r for r in all_rules() if not r.preview), *rules]})
    visible, _ = apply_suppressions(run_rules(facts, settings, everything), facts, settings, everything)
    wanted = {r.code for r in rules}
    return [f for f in visible if f.code in wanted]


# --------------------------------------------------------------------------- fixtures


def match(found: Iterable[Expected], expected: Iterable[Expected]) -> tuple[list[Expected], list[Expected]]:
    """(missing, unexpected): each reported finding pays for one expectation.

    An expectation with a confidence needs exactly that confidence; one without takes any
    finding of its code on its line. Counts matter: one marker is one finding.
    """
    left = Counter(found)
    missing: list[Expected] = []
    loose: list[Expected] = []
    for e in sorted(expected, key=Expected.sort_key):
        if e.confidence is None:
            loose.append(e)
        elif left[e] > 0:
            left[e] -= 1
        else:
            missing.append(e)
    for e in loose:
        same = [f for f in left if left[f] > 0 and (f.path, f.line, f.code) == (e.path, e.line, e.code)]
        if not same:
            missing.append(e)
        else:
            left[min(same, key=Expected.sort_key)] -= 1
    return sorted(missing, key=Expected.sort_key), sorted(left.elements(), key=Expected.sort_key)


@dataclass(frozen=True)
class FixtureReport:
    """What a fixture's `# expect:` comments asked for against what the pipeline reported."""

    root: str
    expected: tuple[Expected, ...]
    found: tuple[Expected, ...]
    missing: tuple[Expected, ...]
    unexpected: tuple[Expected, ...]
    errors: tuple[str, ...]
    lines: dict[tuple[str, int], str] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.errors)

    def diff(self) -> str:
        """A readable account of every mismatch ("" when there is none)."""
        if self.ok:
            return ""
        counts = [f"{len(self.missing)} missing", f"{len(self.unexpected)} unexpected"]
        if self.errors:
            counts.append(f"{len(self.errors)} file error(s)")
        out = [f"{self.root}: " + ", ".join(counts)]
        for kind, items in (("missing", self.missing), ("unexpected", self.unexpected)):
            for e in items:
                note = ""
                if kind == "missing":
                    other = [u for u in self.unexpected if (u.path, u.line, u.code) == (e.path, e.line, e.code)]
                    if other:
                        note = "  (reported as " + ", ".join(f"{u.code}[{u.confidence}]" for u in other) + ")"
                out.append(f"  {kind:<10}  {e}{note}")
                text = self.lines.get((e.path, e.line))
                if text is not None:
                    out.append(f"      | {text.strip()}")
        out.extend(f"  error       {error}" for error in self.errors)
        return "\n".join(out)


def fixture_settings(root: str | Path, **overrides: Any) -> Settings:
    """The settings a fixture runs with: its folder as the project, every confidence shown, no cache."""
    base = Settings(min_confidence="low", use_cache=False, jobs=1, project_root=str(Path(root).resolve()))
    return dataclasses.replace(base, **overrides)


def fixture_expectations(root: str | Path) -> tuple[list[Expected], dict[tuple[str, int], str]]:
    """The `# expect:` markers of every .py file below `root` (paths relative to it), and the
    text of each line, for the diff."""
    base = Path(root)
    expected: list[Expected] = []
    lines: dict[tuple[str, int], str] = {}
    for file in sorted(base.rglob("*.py")):
        if "__pycache__" in file.parts:
            continue
        path = file.relative_to(base).as_posix()
        source = file.read_text(encoding="utf-8")
        lines.update(((path, n), text) for n, text in enumerate(source.splitlines(), 1))
        expected.extend(source_expectations(path, source))
    return expected, lines


def check_fixture(root: str | Path, *, extra: Iterable[Expected] = (), **overrides: Any) -> FixtureReport:
    """Run the real pipeline on one fixture folder and compare it with its `# expect:` comments.

    `overrides` are Settings fields (e.g. `select=("DW1",)`) on top of `fixture_settings`.
    `extra` adds expectations that cannot be written as a comment (a reported line that ends
    inside a multi-line string); none of today's fixtures needs it.
    """
    from deadweight.api import check  # the whole pipeline; imported late to keep this module light

    base = Path(root).resolve()
    expected, lines = fixture_expectations(base)
    expected.extend(extra)
    result = check([base], fixture_settings(base, **overrides))
    found = [Expected.of(f) for f in result.findings]
    missing, unexpected = match(found, expected)
    errors = tuple(f"{e.path}: {e.reason}" for e in result.errors)
    return FixtureReport(
        root=str(base),
        expected=tuple(sorted(expected, key=Expected.sort_key)),
        found=tuple(sorted(found, key=Expected.sort_key)),
        missing=tuple(missing),
        unexpected=tuple(unexpected),
        errors=errors,
        lines=lines,
    )

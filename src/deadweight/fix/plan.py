"""From a run's findings to the new text of each file: which fixes apply, and which do not.

A plan is computed on the files as they are on disk and holds their bytes; `write` refuses a
file that changed since, and every file's fixed text must parse before it is offered at all.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from deadweight.findings import Finding, Result
from deadweight.fix import edits
from deadweight.fix.comments import add_suppressions
from deadweight.fix.edits import UNSAFE, Fix
from deadweight.fix.registry import FIXERS, Fixer
from deadweight.fix.source import Source


@dataclass
class FilePlan:
    path: str  # root-relative, as findings name it
    source: Source
    fixes: list[Fix]
    text: str  # the file's text with `fixes` applied

    @property
    def fixed(self) -> int:
        return sum(f.fixes for f in self.fixes)


@dataclass
class Plan:
    files: list[FilePlan] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, why nothing was changed there)
    unsafe_available: int = 0  # fixes left out because --unsafe-fixes was not given
    unsuppressible: list[tuple[Finding, str]] = field(default_factory=list)  # --add-suppressions only

    @property
    def fixed(self) -> int:
        return sum(f.fixed for f in self.files)


def plan_fixes(result: Result, *, unsafe: bool) -> Plan:
    """The fixes of every reported finding whose rule has a fixer."""
    plan = Plan()

    def fixes_of(source: Source, findings: list[Finding]) -> list[Fix]:
        by_fixer: dict[Fixer, list[Finding]] = defaultdict(list)
        for f in findings:
            by_fixer[FIXERS[f.code]].append(f)
        found = [fix for fixer, group in by_fixer.items() for fix in fixer(source, group)]
        if not unsafe:
            plan.unsafe_available += sum(1 for f in found if f.applicability == UNSAFE)
            found = [f for f in found if f.applicability != UNSAFE]
        return found

    _plan(result, (f for f in result.findings if f.code in FIXERS), fixes_of, plan)
    return plan


def plan_suppressions(result: Result) -> Plan:
    """`# deadweight: ignore[CODE]` on the line of every reported finding.

    A stale or malformed comment (DW001, DW002) is silenced the documented way, by naming its
    code on its line, so the next run passes without anyone deciding about it here."""
    plan = Plan()

    def fixes_of(source: Source, findings: list[Finding]) -> list[Fix]:
        fixes, refused = add_suppressions(source, findings)
        plan.unsuppressible.extend(refused)
        return fixes

    _plan(result, result.findings, fixes_of, plan)
    return plan


def _plan(
    result: Result, findings: Iterable[Finding], fixes_of: Callable[[Source, list[Finding]], list[Fix]], plan: Plan
) -> None:
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_path[f.path].append(f)
    root = Path(result.root)
    for path, group in sorted(by_path.items()):
        try:
            source = Source.read(root / path)
        except (OSError, ValueError) as exc:
            plan.refused.append((path, f"cannot read it again: {exc}"))
            continue
        try:
            fixes = fixes_of(source, group)
        except cst.ParserSyntaxError:
            plan.refused.append((path, "it no longer parses"))
            continue
        accepted, _ = edits.select(fixes, source.text)  # the rest are tried again on the next pass
        if not accepted:
            continue
        text = edits.apply(source.text, accepted)
        try:
            cst.parse_module(text)
        except Exception:  # the fixed text must parse: otherwise none of this file's fixes apply
            plan.refused.append((path, "the fixed text would not parse (a bug in deadweight; please report it)"))
            continue
        plan.files.append(FilePlan(path, source, accepted, text))


def write(plan: Plan) -> tuple[list[FilePlan], list[tuple[str, str]]]:
    """Write every planned file atomically: (the files written, (path, why) for each left as it was)."""
    written: list[FilePlan] = []
    refused: list[tuple[str, str]] = []
    for file in plan.files:
        why = _write_one(file)
        if why is None:
            written.append(file)
        else:
            refused.append((file.path, why))
    return written, refused


def _write_one(file: FilePlan) -> str | None:
    target = file.source.path
    try:
        if target.read_bytes() != file.source.data:
            return "it changed since it was read; run again"
        mode = os.stat(target).st_mode
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".deadweight")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(file.source.encode(file.text))
            os.chmod(tmp, mode & 0o7777)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        return f"cannot write it: {exc.strerror or exc}"
    return None


def unified_diff(plan: Plan) -> str:
    """The unified diff of every planned file, as `--diff` prints it: root-relative `a/` and
    `b/` names, as git writes them, so `git apply` takes it from the project root."""
    out: list[str] = []
    for file in plan.files:
        name = file.path
        lines = difflib.unified_diff(
            file.source.text.splitlines(keepends=True),
            file.text.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
        for line in lines:
            out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)

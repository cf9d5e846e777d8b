"""The default terminal report: findings grouped by file, each with its source line.

A dead-weight finding is only actionable when the maintainer sees the definition it points at,
so each finding shows the source line with the attribute marked, and the related locations
(the reads that did not count, the override that dropped the weight) as notes. The report
must read as well in a CI log with colour off as in a terminal: in plain mode the attribute is
underlined with carets instead of being coloured.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TextIO

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from deadweight.findings import CONFIDENCES, Finding, Result
from deadweight.report._common import (
    path_display,
    plural,
    printable,
    rules_by_code,
    sorted_errors,
    sorted_findings,
)
from deadweight.rules.base import Rule

# Width used when the output is not a terminal (a pipe, a file, a CI log).
PLAIN_WIDTH = 100
TAB_SIZE = 4

SEVERITY_STYLES: dict[str, str] = {"error": "bold red", "warning": "bold yellow", "info": "bold blue"}
CONFIDENCE_STYLES: dict[str, str] = {"high": "bold", "medium": "", "low": "dim"}
HIGHLIGHT_STYLE = "bold red"


def emit_text(result: Result, rules: Sequence[type[Rule]], out: TextIO, *, color: bool, brief: bool = False) -> None:
    """Write the human report for `result` to `out`."""
    console = _console(out, color)
    names = {code: rule.name for code, rule in rules_by_code(rules).items()}
    sources = _Sources(Path(result.root))
    display = path_display(result.root)
    findings = sorted_findings(result.findings)

    for path, group in itertools.groupby(findings, key=lambda finding: finding.path):
        in_file = list(group)
        # One gutter width per file, so the source excerpts of a file line up with each other.
        gutter = len(str(max(finding.line for finding in in_file)))
        console.print(Text(printable(display(path)), style="bold underline"))
        for finding in in_file:
            _print_finding(console, finding, sources, display, gutter=gutter, color=color)
            console.print()

    errors = sorted_errors(result.errors)
    if errors:
        console.print(Text(f"Could not analyze {plural(len(errors), 'file')}:", style="bold red"))
        for error in errors:
            console.print(Text.assemble("  ", (printable(display(error.path)), "bold"), ": ", printable(error.reason)))
        console.print()

    if brief:
        return
    if findings:
        console.print(_summary_table(findings, names))
        console.print()
    for line in judged_lines(result):
        console.print(Text(line, style="yellow"))
    console.print(Text(summary_line(result), style="bold" if findings else ""))


def judged_lines(result: Result, limit: int = 5) -> list[str]:
    """What was not judged and why, so a clean report on an unrecognised framework is not
    mistaken for a clean code base."""
    skipped = result.summary.not_judged
    if not skipped:
        return []
    total = sum(int(str(s["classes"])) for s in skipped)
    lines = [
        f"{plural(total, 'class', 'classes')} {'creates' if total == 1 else 'create'} weights but "
        f"{'was' if total == 1 else 'were'} not judged: the base is not resolved in the analyzed project and the "
        "class's own code does not prove it is a module. If a base is a module base, add it to `module-bases`:"
    ]
    for s in skipped[:limit]:
        lines.append(
            f"  base `{s['base']}`: {plural(int(str(s['classes'])), 'class', 'classes')} (e.g. {s['example']})"
        )
    if len(skipped) > limit:
        lines.append(f"  ... and {len(skipped) - limit} more bases (see the JSON report's summary.not_judged)")
    return lines


def summary_line(result: Result) -> str:
    """The last line of the report: what was found, and what was left out and why.

    Hidden, suppressed and baselined counts are spelled out so that a clean report is never
    mistaken for a clean codebase.
    """
    findings = result.findings
    files = plural(result.summary.files, "file")
    if result.summary.generated_sources:
        n = result.summary.generated_sources
        files += (
            f" ({plural(n, 'source file')} judged through the file{'s' if n != 1 else ''} generated from "
            f"{'them' if n != 1 else 'it'})"
        )
    if findings:
        by_confidence = Counter(finding.confidence for finding in findings)
        breakdown = ", ".join(
            f"{by_confidence[level]} {level}" for level in reversed(CONFIDENCES) if by_confidence[level]
        )
        head = f"Found {plural(len(findings), 'finding')}"
        head += f" ({breakdown})" if breakdown else ""
        head += f" in {files}"
    else:
        head = f"No dead weights found in {files}"

    parts = [head]
    summary = result.summary
    if summary.hidden_low_confidence:
        hidden = plural(summary.hidden_low_confidence, "low-confidence finding")
        parts.append(f"{hidden} hidden (--min-confidence low to show)")
    if summary.suppressed:
        parts.append(f"{plural(summary.suppressed, 'finding')} suppressed by comments")
    if summary.baselined:
        parts.append(f"{plural(summary.baselined, 'finding')} hidden by the baseline")
    if result.errors:
        count = len(result.errors)
        parts.append(f"{plural(count, 'file')} could not be analyzed")
    if summary.reported_files is not None:
        limited = (
            f"output limited to findings that involve the {plural(summary.reported_files, 'given or changed file')}"
        )
        if summary.reported_through_related:
            limited += f" ({summary.reported_through_related} located in another file)"
        parts.append(limited)
    return "; ".join(parts) + "."


def _console(out: TextIO, color: bool) -> Console:
    """A console that never cuts a line: paths and source lines must stay copyable."""
    return Console(
        file=out,
        force_terminal=color,
        no_color=not color,
        width=None if _is_terminal(out) else PLAIN_WIDTH,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )


def _is_terminal(out: IO[str]) -> bool:
    """Some streams (closed files, wrappers) raise from isatty; treat them as not a terminal."""
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _print_finding(
    console: Console, finding: Finding, sources: _Sources, display: Callable[[str], str], *, gutter: int, color: bool
) -> None:
    """Header, source line with the attribute marked, then the related locations as notes."""
    console.print(
        Text.assemble(
            (f"{printable(display(finding.path))}:{finding.line}:{finding.column}", "cyan"),
            "  ",
            (finding.code, SEVERITY_STYLES.get(finding.severity, "bold")),
            "  ",
            printable(finding.message),
            "  ",
            (f"[{finding.confidence}]", CONFIDENCE_STYLES.get(finding.confidence, "")),
        ),
        # On a terminal the message wraps to its width at spaces (the location stays whole at
        # the start); source lines and anything piped or written to a file are never cut.
        soft_wrap=not _is_terminal(console.file),
    )

    source = sources.line(finding.path, finding.line)
    if source is not None:
        start, end = _columns(finding)
        line, start, end = _expand_tabs(source, start, end)
        line = printable(line)
        start, end = _clamp(line, start, end)
        shown = Text.assemble((f" {finding.line:>{gutter}} | ", "blue"), line)
        if color and start < end:
            offset = gutter + 4
            shown.stylize(HIGHLIGHT_STYLE, offset + start, offset + end)
        console.print(shown)
        if not color and start < end:
            pad = " " * cell_len(line[:start])
            carets = "^" * max(1, cell_len(line[start:end]))
            console.print(Text(f" {'':>{gutter}} | {pad}{carets}"))

    for related in finding.related:
        location = f"{printable(display(related.path))}:{related.line}"
        console.print(
            Text.assemble(
                f" {'':>{gutter}} ",
                ("= note: ", "bold"),
                (location, "cyan"),
                ": ",
                printable(related.message),
            )
        )
    if finding.dotted_names:
        console.print(
            Text.assemble(
                f" {'':>{gutter}} ",
                ("= names: ", "bold"),
                printable(", ".join(finding.dotted_names)),
            )
        )


def _columns(finding: Finding) -> tuple[int, int]:
    """0-based [start, end) of the marked text on the finding's first line.

    A span that continues on later lines is marked to the end of its first line.
    """
    start = max(finding.column - 1, 0)
    end = finding.end_column - 1 if finding.end_line == finding.line else 1 << 30
    return start, max(end, start + 1)


def _expand_tabs(line: str, start: int, end: int) -> tuple[str, int, int]:
    """Expand tabs ourselves so the caret line and the source line agree on every column."""
    if "\t" not in line:
        return line, start, end
    pieces: list[str] = []
    positions: list[int] = []  # where each original character starts in the expanded line
    width = 0
    for char in line:
        positions.append(width)
        piece = " " * (TAB_SIZE - width % TAB_SIZE) if char == "\t" else char
        pieces.append(piece)
        width += len(piece)
    positions.append(width)

    def moved(index: int) -> int:
        return positions[index] if index < len(positions) else width + index - len(line)

    return "".join(pieces), moved(start), moved(end)


def _clamp(line: str, start: int, end: int) -> tuple[int, int]:
    """Keep the mark inside the line: the file may have changed since it was analyzed."""
    start = min(start, len(line))
    end = min(max(end, start), len(line))
    return start, end


def _summary_table(findings: Sequence[Finding], names: dict[str, str]) -> Table:
    """Counts by code, so a large report shows at a glance which rule dominates."""
    counts = Counter(finding.code for finding in findings)
    rule_of = {finding.code: finding.rule for finding in findings}
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Code", style="bold")
    table.add_column("Rule")
    table.add_column("Findings", justify="right")
    for code in sorted(counts):
        table.add_row(code, names.get(code, rule_of[code]), str(counts[code]))
    return table


class _Sources:
    """Source lines read lazily from disk, one read per file, decoding errors tolerated.

    Reading is best-effort: a file that vanished or cannot be decoded still gets its finding
    reported, just without the source excerpt.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._lines: dict[str, list[str] | None] = {}

    def line(self, path: str, number: int) -> str | None:
        if path not in self._lines:
            self._lines[path] = self._read(path)
        lines = self._lines[path]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]

    def _read(self, path: str) -> list[str] | None:
        try:
            data = (self._root / path).read_bytes()
        except OSError:
            return None
        text = data.decode("utf-8-sig", errors="replace")
        # Python counts \r\n, \r and \n as line ends; str.splitlines would also split on
        # form feeds and other separators and shift the line numbers.
        return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

"""Output formats: one emitter per module, all behind one interface.

The CLI picks an emitter by name (`--output-format`) and calls it with the run's `Result` and
the active rules; emitters only render, they never filter or re-rank findings, so every format
reports exactly the same findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TextIO

from deadweight.findings import Result
from deadweight.report.concise import emit_concise
from deadweight.report.github import emit_github
from deadweight.report.gitlab import emit_gitlab
from deadweight.report.json import emit_json
from deadweight.report.junit import emit_junit
from deadweight.report.sarif import emit_sarif
from deadweight.report.text import emit_text
from deadweight.rules.base import Rule


class Emitter(Protocol):
    """Renders a result to a text stream.

    `rules` are the rules active in the run (SARIF lists them all, even those that did not
    fire); `color` asks for terminal styling and `brief` (`-q`) for the findings and the files
    that could not be analyzed without tables and summary lines; machine formats ignore both.
    """

    def __call__(
        self, result: Result, rules: Sequence[type[Rule]], out: TextIO, *, color: bool, brief: bool = False
    ) -> None: ...


FORMATS: dict[str, Emitter] = {
    "text": emit_text,
    "concise": emit_concise,
    "json": emit_json,
    "sarif": emit_sarif,
    "github": emit_github,
    "gitlab": emit_gitlab,
    "junit": emit_junit,
}


def emit(
    fmt: str, result: Result, rules: Sequence[type[Rule]], out: TextIO, *, color: bool, brief: bool = False
) -> None:
    """Render `result` in format `fmt`; an unknown name is a ValueError that lists the choices."""
    try:
        emitter = FORMATS[fmt]
    except KeyError:
        choices = ", ".join(FORMATS)
        raise ValueError(f"unknown output format {fmt!r} (choose from: {choices})") from None
    emitter(result, rules, out, color=color, brief=brief)


__all__ = ["FORMATS", "Emitter", "emit"]

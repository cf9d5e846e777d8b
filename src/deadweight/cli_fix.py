"""`check --fix`, `--fix-only`, `--diff` and `--add-suppressions`: run the fix loop, say what it did.

Kept out of `cli.py` so that the check command reads as options -> run -> report; this module
only chooses the api call for the mode and prints the notes (on stderr, like every note).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from deadweight import api
from deadweight.engine.extraction import Progress
from deadweight.report._common import path_display, plural
from deadweight.settings import Settings

MODES = ("fix", "fix-only", "diff", "add-suppressions")


def run(
    mode: str,
    targets: Sequence[str | Path],
    settings: Settings,
    *,
    unsafe: bool,
    only_files: set[str] | None,
    progress: Progress | None,
    talk: bool,
) -> api.FixOutcome:
    if mode == "add-suppressions":
        outcome = api.add_suppressions(targets, settings, only_files=only_files, progress=progress)
    else:
        outcome = api.fix(
            targets, settings, unsafe=unsafe, only_files=only_files, dry_run=mode == "diff", progress=progress
        )
    if talk:
        _notes(mode, outcome, unsafe=unsafe)
    return outcome


def _notes(mode: str, outcome: api.FixOutcome, *, unsafe: bool) -> None:
    shown = path_display(outcome.result.root)
    files = plural(len(outcome.files), "file")
    if mode == "add-suppressions":
        click.echo(f"deadweight: added {plural(outcome.fixed, 'suppression')} in {files}", err=True)
        for finding, why in outcome.unsuppressible:
            click.echo(
                f"deadweight: cannot suppress {finding.code} at {shown(finding.path)}:{finding.line}: {why}", err=True
            )
    elif mode == "diff":
        click.echo(f"deadweight: would fix {plural(outcome.fixed, 'finding')} in {files}", err=True)
    else:
        passes = f" ({plural(outcome.passes, 'pass', 'passes')})" if outcome.passes > 1 else ""
        click.echo(f"deadweight: fixed {plural(outcome.fixed, 'finding')} in {files}{passes}", err=True)
    if outcome.unsafe_available and not unsafe and mode != "add-suppressions":
        click.echo(
            f"deadweight: {plural(outcome.unsafe_available, 'more fix', 'more fixes')} available with --unsafe-fixes "
            "(see the rule's 'Fix safety' in `deadweight explain CODE`)",
            err=True,
        )
    for path, why in outcome.refused:
        click.echo(f"deadweight: not changed: {shown(path)}: {why}", err=True)

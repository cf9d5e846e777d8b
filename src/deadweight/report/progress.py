"""The progress bar on a terminal's stderr: files and an ETA weighted by bytes, then linking.

Drawn on stderr whatever the output format, so `--output-format sarif > out.sarif` on a
terminal still shows how far a long scan is; never drawn when stderr is not a terminal, in
CI, or with `-q` / `--silent`. The estimate follows bytes, not files: transformers has
thousands of tiny `__init__.py` files and a few hundred files of several thousand lines, and a
count of files would promise the end long before it comes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from deadweight.engine.extraction import Progress, Tick


def wanted(*, talk: bool) -> bool:
    return talk and sys.stderr.isatty() and not os.environ.get("CI")


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Task, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar
    from rich.text import Text

    class Remaining(TimeRemainingColumn):
        """`ETA 0:00:12` while there is a total to estimate against; nothing while linking."""

        def render(self, task: Task) -> Text:
            return Text("ETA ") + super().render(task) if task.total is not None else Text("")

    bar = Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[files]}"),
        TimeElapsedColumn(),
        Remaining(),
        console=Console(stderr=True),
        transient=True,
    )
    current: list[TaskID] = []

    def update(tick: Tick) -> None:
        if tick.stage == "extracting":
            files = f"{tick.files_done}/{tick.files_total} files"
            total = tick.bytes_total or None
            if not current:  # drawn from the first tick on, so the first frame has the totals
                current.append(bar.add_task("extracting", total=total, completed=tick.bytes_done, files=files))
                bar.start()
            bar.update(current[0], completed=tick.bytes_done, total=total, files=files)
        else:  # linking has no unit of work to count: a new task without a total pulses
            if current:
                bar.remove_task(current.pop())
            else:
                bar.start()
            current.append(bar.add_task("linking and judging", total=None, files=""))

    try:
        yield update
    finally:
        if current:
            bar.stop()

"""The console script's entry point, kept free of imports so that Ctrl-C is clean from the start.

Importing the command line (click, rich, the engine) takes a few hundred milliseconds; a
Ctrl-C in that window would otherwise end the process with a KeyboardInterrupt traceback
from deep inside an import instead of the one line and exit code 130 that a Ctrl-C during
the run gives.
"""

from __future__ import annotations

import os
import sys

EXIT_INTERRUPTED = 130  # the same code as deadweight.cli's, which this module must not import eagerly


def run() -> None:
    """`deadweight` and `python -m deadweight`: import the command line, then run it."""
    try:
        from deadweight.cli import run as run_cli
    except KeyboardInterrupt:
        sys.stderr.write("deadweight: interrupted\n")
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    run_cli()

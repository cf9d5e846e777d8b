"""Fixes: what `check --fix`, `--diff` and `--add-suppressions` change in the scanned files.

Fixes are computed from the source file itself, after analysis, for the reported findings of
rules that declare one (`fix/registry.py`): facts are kept small and cached, and only the few
files with a fixable finding are parsed again. Each fix is a set of text edits with an
applicability (`safe`, or `unsafe`: applied only with `--unsafe-fixes`); the edits of one
file are applied together if they do not overlap, and a file is written only if it still has
the bytes it had when it was read.
"""

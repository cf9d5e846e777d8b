"""Code that was commented out and mentions `self.<attr>`: `# h = self.embedding_dropout(h)`.

A weight whose only use is such a line is often dead because someone disabled that line, and
the fix is to restore it; the finding says so, with the line. Only whole-line comments whose
text parses as Python count: prose that names an attribute ("self.gate is kept for old
checkpoints") does not parse and is ignored. One regular expression over the text finds the
candidates, so a file costs nothing more than a scan unless it has such lines.
"""

from __future__ import annotations

import ast
import re

# A comment mentioning `self.<name>`; whole-line ones are kept below. Unanchored, because a
# `^`-anchored multi-line pattern costs three times as much over a large tree.
_CANDIDATE = re.compile(r"#[^\n]*?\bself\.[A-Za-z_]")
_LONGEST = 80  # characters of the commented line kept for the message


def commented_uses(text: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, the commented code, attributes of self it mentions) for each commented-out line."""
    out: list[tuple[int, str, tuple[str, ...]]] = []
    line, pos = 1, 0
    for m in _CANDIDATE.finditer(text):
        start = m.start()
        begin = text.rfind("\n", 0, start) + 1
        if text[begin:start].strip():
            continue  # a comment after code on the same line: not code that was disabled
        end = text.find("\n", start)
        line += text.count("\n", pos, start)
        pos = start
        code = text[start : end if end >= 0 else len(text)].lstrip("#").strip()
        attrs = _self_attrs(code)
        if attrs:
            shown = code if len(code) <= _LONGEST else code[: _LONGEST - 3] + "..."
            out.append((line, shown, attrs))
    return out


def _self_attrs(code: str) -> tuple[str, ...]:
    """Attributes of self in `code`, if it parses as a statement (a header line such as
    `if self.norm is not None:` is tried with a body)."""
    tree = None
    for attempt in (code, code + " pass", code.rstrip("\\") + ")"):
        try:
            tree = ast.parse(attempt)
            break
        except (SyntaxError, ValueError):
            continue
    if tree is None:
        return ()
    names = [
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self"
    ]
    return tuple(dict.fromkeys(names))

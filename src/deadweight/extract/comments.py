"""Suppression comments, read from comment tokens: `# deadweight: ignore[DW101]`, `# noqa: DW101`,
`# deadweight: ignore-file[DW105]`.

Only real comments count: the same text inside a string literal or a docstring suppresses
nothing, which a line-based scan could not tell apart. A malformed directive
(`ignore(DW101)`, `ignore[]`, `ignore DW101`) is recorded as such instead of being read as
a bare `ignore`: a typo must never silence every rule on a line.

A bare `# noqa` does not silence deadweight: in model code it is everywhere, placed for other
linters, and honouring it would hide dead weights nobody meant to accept. `# noqa:` lists are
shared with other linters, so only their DW codes are read and nothing else in them is an error.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator

from deadweight.extract.facts import BadSuppression, Suppression

# Files without either marker (nearly all of them) are never tokenized.
_CANDIDATE = re.compile(r"#\s*deadweight\s*:|noqa\s*:[^\n]*?DW\d", re.IGNORECASE)
_OWN = re.compile(r"#\s*deadweight\s*:\s*", re.IGNORECASE)
_DIRECTIVE = re.compile(r"(?P<name>[A-Za-z_-]*)(?P<after>.*)", re.DOTALL)
_NOQA = re.compile(r"#\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
_DW = re.compile(r"DW\d+", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+|DW", re.IGNORECASE)  # a code, or a prefix of one
_CODE_LIKE = re.compile(r"\s+[A-Z]+[0-9]+\b", re.IGNORECASE)
_SCOPES = {"ignore": False, "ignore-file": True}  # directive -> whole file
_USAGE = "`ignore`, `ignore[CODES]`, `ignore-file` or `ignore-file[CODES]`"


def comment_tokens(source: str) -> Iterator[tuple[int, int, str]]:
    """(line, 0-based column, text) of every comment.

    A file tokenize rejects (it will not parse either) falls back to a per-line scan, so its
    comments are still read the way they were written.
    """
    try:
        found = [
            (tok.start[0], tok.start[1], tok.string)
            for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):
        found = [
            (n, line.index("#"), line[line.index("#") :])
            for n, line in enumerate(source.splitlines(), 1)
            if "#" in line
        ]
    yield from found


def parse_suppressions(source: str) -> tuple[tuple[Suppression, ...], tuple[BadSuppression, ...]]:
    """Every suppressing comment, and every deadweight directive that could not be read."""
    if _CANDIDATE.search(source) is None:
        return (), ()
    good: list[Suppression] = []
    bad: list[BadSuppression] = []
    for line, column, text in comment_tokens(source):
        end = column + len(text) + 1
        own = list(_OWN.finditer(text))
        for match in own:
            body = text[match.end() :]
            cut = body.find("#")  # `# deadweight: ignore  # why` - the rest is another comment
            parsed = _directive(body if cut < 0 else body[:cut])
            start = column + match.start() + 1
            if isinstance(parsed, str):
                bad.append(BadSuppression(line, start, end, parsed))
            else:
                codes, whole_file = parsed
                good.append(Suppression(line, start, end, codes, whole_file))
        if own:
            continue
        noqa = _NOQA.search(text)
        if noqa is not None:
            codes = tuple(c.upper() for c in _DW.findall(noqa.group("codes")))
            if codes:
                good.append(Suppression(line, column + noqa.start() + 1, end, codes))
    return tuple(good), tuple(bad)


def _directive(body: str) -> tuple[tuple[str, ...], bool] | str:
    """(codes, whole file) of `ignore...` after `# deadweight:`, or why it cannot be read."""
    m = _DIRECTIVE.match(body)
    assert m is not None  # the pattern matches any text
    name, after = m.group("name").lower(), m.group("after")
    if name not in _SCOPES:
        shown = f"`{name}`" if name else "nothing"
        return f"unknown directive: `# deadweight:` is followed by {shown}; deadweight reads {_USAGE}"
    whole_file = _SCOPES[name]
    if not after.startswith("["):
        if after[:1] in ("(", "{", "<", ":", "=") or _CODE_LIKE.match(after):
            return f"malformed `# deadweight: {name}`: put the codes in square brackets, as in `{name}[DW101]`"
        if after[:1] not in ("", " ", "\t"):
            return f"unknown directive `{name}{after.split()[0]}`; deadweight reads {_USAGE}"
        return (), whole_file  # bare, with or without a reason after it
    close = after.find("]")
    if close < 0:
        return f"malformed `# deadweight: {name}[`: the code list has no closing `]`"
    items = [item for item in re.split(r"[\s,]+", after[1:close]) if item]
    if not items:
        return (
            f"`# deadweight: {name}[]` names no code: name the codes to silence, or write a bare "
            f"`# deadweight: {name}` to silence every rule"
        )
    for item in items:
        if _CODE.fullmatch(item) is None:
            return f"malformed `# deadweight: {name}[...]`: `{item}` is not a rule code (such as DW101 or DW1)"
    return tuple(item.upper() for item in items), whole_file


def is_suppressed(codes: tuple[str, ...] | None, code: str) -> bool:
    """Whether a comment's codes cover `code` (prefixes such as DW1 count)."""
    if codes is None:
        return False
    return not codes or any(code.startswith(c) for c in codes)

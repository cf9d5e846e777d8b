"""One file's bytes -> FileFacts, or a FileError that says why not. Runs in worker processes.

Every failure a user's repository can produce (binary files, bad encodings, Python 2, syntax
errors, absurd nesting) becomes a FileError with a reason; only a crash of libcst's native
parser itself can escape, and `workers.py` contains that.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from deadweight.extract.commented_code import commented_uses
from deadweight.extract.comments import parse_suppressions
from deadweight.extract.facts import ClassFacts, ExtractResult, FileError, FileFacts
from deadweight.extract.positions import AstPositions, CstPositions, PositionMismatch
from deadweight.extract.visitor import Collector, collect

_PY2_HINTS = (
    re.compile(r"^\s*print\s+[^(=\s]"),
    re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"),
    re.compile(r"^\s*exec\s+\""),
)


def decode(data: bytes) -> str:
    """Decode per PEP 263 (BOM, coding cookie, else UTF-8); raises ValueError with a reason."""
    if b"\x00" in data:
        raise ValueError("file contains NUL bytes (binary file?)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        message = exc.msg if hasattr(exc, "msg") else str(exc)
        if not message.startswith("invalid or missing encoding declaration"):
            raise ValueError(f"invalid encoding declaration: {message}") from None
        encoding = "utf-8"  # no cookie, and the first lines are not UTF-8: say which byte
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        declared = "" if encoding in ("utf-8", "utf-8-sig") else f" (declared {encoding})"
        raise ValueError(
            f"not valid {encoding}{declared}: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from None
    except LookupError:
        raise ValueError(f"unknown encoding declared: {encoding}") from None
    return text[1:] if text.startswith("\ufeff") else text


_LIBCST_POSITION = re.compile(r"(?P<kind>parser error: )error at (?P<line>\d+):(?P<column>\d+): (?P<rest>.*)")


def _syntax_reason(exc: cst.ParserSyntaxError, lines: list[str]) -> str:
    """One position and one message. libcst puts tokenizer errors at 1:1 and parser errors at
    the start of the line, with its own guess of the column inside the message; CPython's
    compiler knows the place (and says "Missing parentheses in call to 'print'"), so it speaks
    whenever it rejects the file too. Syntax only libcst rejects keeps libcst's inner position."""
    line, column = exc.raw_line, exc.raw_column + 1
    message = str(exc.message).strip().splitlines()[0] if exc.message else "invalid syntax"
    inner = _LIBCST_POSITION.match(message)
    if inner is not None:
        line, column, message = int(inner["line"]), int(inner["column"]), inner["kind"] + inner["rest"]
    try:
        compile("\n".join(lines) + "\n", "<file>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as where:
        if where.lineno:
            line, column = where.lineno, where.offset or 1
            kind = "tokenizer error: " if message.startswith("tokenizer error") else ""
            message = kind + (where.msg or message)
    except (ValueError, RecursionError, MemoryError):
        pass
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    hint = " (Python 2 syntax?)" if any(p.match(text) for p in _PY2_HINTS) else ""
    return f"syntax error at line {line}, column {column}: {message}{hint}"


def _collect(module: cst.Module, text: str, lines: list[str]) -> Collector:
    """Collect with cheap ast positions; fall back to the exact provider if the trees disagree."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if tree is not None:
        try:
            return collect(module, AstPositions(tree, lines))
        except PositionMismatch:
            pass
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    ranges = wrapper.resolve(PositionProvider)
    return collect(wrapper.module, CstPositions(dict(ranges)))


def _attach_commented(classes: list[ClassFacts], text: str) -> None:
    """Give each commented-out line that mentions self to the innermost class around it."""
    found = commented_uses(text) if "self." in text else []
    if not found:
        return
    lines = text.splitlines()
    extent = {id(k): _class_end(lines, k.span.line) for k in classes}
    by_class: dict[int, list[tuple[str, int, str]]] = {}
    for line, code, attrs in found:
        around = [k for k in classes if k.span.line < line <= extent[id(k)]]
        if around:
            inner = max(around, key=lambda k: k.span.line)
            by_class.setdefault(id(inner), []).extend((a, line, code) for a in attrs)
    for k in classes:
        if id(k) in by_class:
            k.commented = tuple(by_class[id(k)])


def _class_end(lines: list[str], start: int) -> int:
    """The last line of the class whose header is on line `start`: the line before the next
    code line indented no deeper than the header (class spans hold only the header)."""
    header = lines[start - 1] if 0 < start <= len(lines) else ""
    indent = len(header) - len(header.lstrip())
    for i in range(start, len(lines)):
        stripped = lines[i].lstrip()
        if stripped[:1] in ("", "#", ")", "]", "}"):
            continue  # blank, a comment, or the closing bracket of a multi-line header
        if len(lines[i]) - len(stripped) <= indent:
            return i
    return len(lines)


def extract(path: str, data: bytes, module: str) -> ExtractResult:
    """Facts of one file. Never raises for anything a file's contents can do."""
    try:
        text = decode(data)
    except ValueError as exc:
        return ExtractResult(path, error=FileError(path, str(exc)))
    lines = text.splitlines()
    suppressions, bad_suppressions = parse_suppressions(text)
    if not text.strip():
        return ExtractResult(path, facts=FileFacts(path=path, module=module, lines=len(lines)))
    try:
        parsed = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return ExtractResult(path, error=FileError(path, _syntax_reason(exc, lines)))
    except RecursionError:
        return ExtractResult(path, error=FileError(path, "too deeply nested to parse"))
    except Exception as exc:
        return ExtractResult(path, error=FileError(path, f"parser error: {type(exc).__name__}: {exc}"))
    try:
        c = _collect(parsed, text, lines)
    except RecursionError:
        return ExtractResult(path, error=FileError(path, "too deeply nested to analyze"))
    _attach_commented(c.finished_classes, text)
    facts = FileFacts(
        path=path,
        module=module,
        imports=tuple(c.imports),
        classes=tuple(c.finished_classes),
        functions=tuple(c.functions),
        assignments=tuple(c.assignments),
        class_tables=tuple(c.class_tables),
        external_reads=frozenset(c.external),
        external_calls=frozenset(c.external_calls),
        external_grabs=tuple(sorted(c.external_grabs)),
        ctor_args=tuple(dict.fromkeys(c.ctor_args)),
        suppressions=suppressions,
        bad_suppressions=bad_suppressions,
        lines=len(lines),
    )
    return ExtractResult(path, facts=facts)

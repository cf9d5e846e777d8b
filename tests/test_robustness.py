"""Hostile and unusual input: no file can crash a run, hide another file's findings, or make
deadweight execute the code it analyzes (issue 4, "Robustness").

Every case puts one odd file next to `model.py`, a module with one dead `nn.Linear`, and runs
the real pipeline (`api.check`). The odd file either lands in `result.errors` with a reason, or
is analyzed without error (and then, where it holds a module class, its own dead weight is
found too); in both cases the findings in `model.py` are exactly those of a run without it.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from deadweight.api import check
from deadweight.extract.facts import ExtractResult
from deadweight.extract.file import extract
from deadweight.findings import Result
from deadweight.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

MODEL = """\
import torch.nn as nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Linear(4, 4)
        self.unused = nn.Linear(4, 4)

    def forward(self, x):
        return self.used(x)
"""

# (code, path, line, class, attribute) of the one finding in MODEL.
MODEL_FINDING = ("DW101", "model.py", 8, "M", "unused")


def settings(root: Path, **overrides: object) -> Settings:
    values: dict[str, object] = dict(use_cache=False, min_confidence="low", project_root=str(root), jobs=1)
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def scan(root: Path, **overrides: object) -> Result:
    return check([root], settings(root, **overrides))


def keys(result: Result, path: str | None = None) -> list[tuple[str, str, int, str, str]]:
    return [
        (f.code, f.path, f.line, f.class_name, f.attribute) for f in result.findings if path is None or f.path == path
    ]


def full(result: Result, path: str) -> list[dict[str, object]]:
    """Every field of the findings in one file, for an exact comparison between runs."""
    return [f.to_dict() for f in result.findings if f.path == path]


def errors(result: Result) -> dict[str, str]:
    return {e.path: e.reason for e in result.errors}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    """The findings of model.py alone."""
    root = tmp_path_factory.mktemp("alone")
    (root / "model.py").write_text(MODEL, encoding="utf-8")
    result = scan(root)
    assert keys(result) == [MODEL_FINDING]
    assert result.errors == []
    return full(result, "model.py")


def repo_with(root: Path, name: str, data: bytes) -> Path:
    (root / "model.py").write_text(MODEL, encoding="utf-8")
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return root


# --------------------------------------------------------------------------- files that fail

ERROR_CASES: dict[str, tuple[bytes, str]] = {
    # One position, and CPython's message where CPython rejects the file too (libcst's own
    # "error at 3:9" inside a message placed at 3:1 gave two positions, the first wrong).
    "python2": (
        b'import os\n\nprint "x"\n',
        "syntax error at line 3, column 1: Missing parentheses in call to 'print'",
    ),
    "python2_print": (b'print "x"\n', "(Python 2 syntax?)"),
    "syntax_error": (b"x = 1\ny = = 2\n", "syntax error at line 2, column 5: invalid syntax"),
    "unclosed_def": (b"def f(:\n    pass\n", "syntax error at line 1, column 7: invalid syntax"),
    "nul_bytes": (b"x = 1\n\x00\x00\x00y = 2\n", "file contains NUL bytes (binary file?)"),
    # Invalid UTF-8 without a coding cookie, on the first line (where PEP 263 detection looks)
    # and further down: the same reason either way.
    "latin1_line1": ('NAME = "caf\xe9"\n'.encode("latin-1"), "not valid utf-8: byte 0xe9 at offset 11"),
    "latin1_line4": (
        'x = 1\ny = 2\nz = 3\nNAME = "caf\xe9"\n'.encode("latin-1"),
        "not valid utf-8: byte 0xe9 at offset 29",
    ),
    "unknown_cookie": (b"# -*- coding: klingon -*-\nx = 1\n", "unknown encoding: klingon"),
    "bom_and_latin1_cookie": (b"\xef\xbb\xbf# coding: latin-1\nx = 1\n", "invalid encoding declaration"),
    "tabs_and_spaces": (
        b"if True:\n\tif True:\n\t\ty = 1\n        z = 2\n",
        "syntax error at line 4, column 1: tokenizer error: inconsistent use of tabs and spaces in indentation",
    ),
    # libcst puts tokenizer errors at 1:1; the reason must name the real line.
    "unterminated_string": (
        b'x = 1\ny = "abc\n',
        "syntax error at line 2, column 5: tokenizer error: unterminated string literal",
    ),
    "unterminated_triple": (
        b'x = 1\n\ny = """abc\n',
        "syntax error at line 3, column 5: tokenizer error: unterminated triple-quoted string literal",
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_bad_file_is_an_error_and_the_good_file_is_still_analyzed(
    tmp_path: Path, baseline: list[dict[str, object]], case: str
) -> None:
    data, reason = ERROR_CASES[case]
    root = repo_with(tmp_path, f"{case}.py", data)
    result = scan(root)
    assert list(errors(result)) == [f"{case}.py"]
    assert reason in errors(result)[f"{case}.py"]
    if reason.startswith("syntax error"):
        assert not re.search(r"\d+:\d+", errors(result)[f"{case}.py"])  # one position, not two
    if case.startswith("python2"):
        assert errors(result)[f"{case}.py"].endswith(" (Python 2 syntax?)")
    assert full(result, "model.py") == baseline
    assert keys(result) == [MODEL_FINDING]
    assert (result.summary.files, result.summary.errors) == (1, 1)


def test_unreadable_file(tmp_path: Path, baseline: list[dict[str, object]]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    root = repo_with(tmp_path, "secret.py", b"x = 1\n")
    (root / "secret.py").chmod(0)
    try:
        result = scan(root)
    finally:
        (root / "secret.py").chmod(0o644)
    assert errors(result) == {"secret.py": "cannot read file: Permission denied"}
    assert full(result, "model.py") == baseline


def test_unreadable_directory(tmp_path: Path, baseline: list[dict[str, object]]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads directories whatever their mode")
    root = repo_with(tmp_path, "locked/inner.py", b"x = 1\n")
    (root / "locked").chmod(0)
    try:
        result = scan(root)
    finally:
        (root / "locked").chmod(0o755)
    assert errors(result) == {"locked": "cannot read directory: Permission denied"}
    assert full(result, "model.py") == baseline


def test_broken_symlink_and_symlink_loops(tmp_path: Path, baseline: list[dict[str, object]]) -> None:
    root = repo_with(tmp_path, "pkg/__init__.py", b"")
    (root / "dangling.py").symlink_to(root / "missing.py")
    (root / "self_loop.py").symlink_to(root / "self_loop.py")
    (root / "a.py").symlink_to(root / "b.py")
    (root / "b.py").symlink_to(root / "a.py")
    (root / "pkg" / "up").symlink_to(root)  # a directory loop
    result = scan(root)
    assert errors(result) == {
        "a.py": "symbolic link loop",
        "b.py": "symbolic link loop",
        "dangling.py": "broken symbolic link",
        "pkg/up": "symbolic link loop",
        "self_loop.py": "symbolic link loop",
    }
    assert full(result, "model.py") == baseline
    assert result.summary.files == 2  # model.py, pkg/__init__.py


def test_file_over_max_file_size_is_reported_not_skipped(tmp_path: Path, baseline: list[dict[str, object]]) -> None:
    assert len(MODEL) < 1000
    root = repo_with(tmp_path, "huge.py", b"x = 1\n" * 1000)  # 6000 bytes
    result = scan(root, max_file_size=1000)
    assert errors(result) == {"huge.py": "file too large (5.9 KB > 1000 bytes limit; see max-file-size)"}
    assert full(result, "model.py") == baseline
    for jobs in (2,):  # the same verdict from the worker pool
        assert errors(scan(root, max_file_size=1000, jobs=jobs)) == errors(result)


# --------------------------------------------------------------------------- files that parse

ODD = """\
import torch
import torch.nn as nn


{decorator}class Odd(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(2, 2)
        self.spare = nn.Linear(2, 2)

{forward}
"""

PLAIN_FORWARD = """\
    def forward(self, x):
        return self.head(x)
"""


def odd(forward: str = PLAIN_FORWARD, decorator: str = "") -> str:
    return ODD.format(forward=forward, decorator=decorator)


# Each source holds class Odd, whose `head` is consumed (in the construct under test) and whose
# `spare` is dead: exactly one finding proves the file was parsed and its forward walked.
ANALYZED_CASES: dict[str, bytes] = {
    "latin1_cookie": ("# -*- coding: latin-1 -*-\nNAME = 'caf\xe9 \xfc'\n" + odd()).encode("latin-1"),
    "utf8_bom": b"\xef\xbb\xbf" + odd().encode(),
    "utf8_bom_and_cookie": b"\xef\xbb\xbf# coding: utf-8\n" + odd().encode(),
    "utf8_non_ascii": ("NAME = 'café ☕ 模型'\n" + odd()).encode(),
    "crlf": odd().replace("\n", "\r\n").encode(),
    "crlf_no_final_newline": odd().rstrip("\n").replace("\n", "\r\n").encode(),
    "form_feeds_and_tabs": (
        odd().replace("    ", "\t").replace("\n\n\n", "\n\x0c\n\n").replace("\tdef forward", "\x0c\tdef forward")
    ).encode(),
    "pep695": (
        "type Alias = list[int]\ntype Pair[T] = tuple[T, T]\n\n\ndef ident[T](x: T) -> T:\n    return x\n\n\n"
        + odd("    def forward[T](self, x: T) -> T:\n        return self.head(x)\n").replace(
            "class Odd(nn.Module)", "class Odd[T: int, *Ts, **P](nn.Module)"
        )
    ).encode(),
    "fstring_312": (
        'd = {"a": {"b": 1}}\ns = f"{d["a"]["b"]:>{10}} {f"{d["a"]}"} {"\\n".join([])}"\n'
        + odd(
            '    def forward(self, x):\n        label = f"{x["a"]!r:>{4}}"\n        return self.head(x[f"{label}"])\n'
        )
    ).encode(),
    "fstring_multiline_312": odd(
        '    def forward(self, x):\n        return f"{\n            self.head(x)  # a comment\n        }"\n'
    ).encode(),
    "match": odd(
        """\
    def forward(self, x):
        match x:
            case {"a": [1, *rest]} if rest:
                return rest
            case Point(x=0, y=y) | [y, _]:
                return y
            case str() as s:
                return s
            case _:
                return self.head(x)
"""
    ).encode(),
    "soft_keywords_as_names": ("match = 1\ncase = 2\ntype = 3\n_ = match + case + type\n" + odd()).encode(),
    "walrus": odd(
        "    def forward(self, x):\n        if (y := self.head(x)) is not None:\n            return [z for w in x if (z := w)]\n        return y\n"
    ).encode(),
    "async": odd(
        "    async def forward(self, x):\n        async with x as y:\n            async for z in y:\n                await z\n        return await self.head(x)\n"
    ).encode(),
    "decorators": odd(
        '    @torch.no_grad()\n    @(lambda f: f)\n    @registry[f"{1}"].hooks[0](key=lambda m: m.x, *[], **{})\n    @a if b else c\n'
        + PLAIN_FORWARD,
        decorator='@registry.register(name="odd")\n@(lambda cls: cls)\n',
    ).encode(),
    # libcst accepts Python 2's `except A, e:` (CPython does not); the file is analyzed.
    "python2_except_comma": odd(
        "    def forward(self, x):\n        try:\n            return self.head(x)\n        except ValueError, e:\n            raise\n"
    ).encode(),
    "except_star": odd(
        "    def forward(self, x):\n        try:\n            return self.head(x)\n        except* ValueError:\n            raise\n"
    ).encode(),
}


@pytest.mark.parametrize("case", sorted(ANALYZED_CASES))
def test_odd_but_valid_file_is_analyzed(tmp_path: Path, baseline: list[dict[str, object]], case: str) -> None:
    data = ANALYZED_CASES[case]
    root = repo_with(tmp_path, f"{case}.py", data)
    result = scan(root)
    assert errors(result) == {}
    assert full(result, "model.py") == baseline
    text = data.decode("latin-1" if case == "latin1_cookie" else "utf-8-sig")
    lines = text.replace("\r\n", "\n").split("\n")
    spare_line = 1 + next(i for i, line in enumerate(lines) if line.strip() == "self.spare = nn.Linear(2, 2)")
    assert keys(result, f"{case}.py") == [("DW101", f"{case}.py", spare_line, "Odd", "spare")]
    assert result.summary.files == 2


@pytest.mark.xfail(
    strict=True,
    reason="libcst rejects a parenthesized annotated target `(x): int = 1` (valid Python; CPython's "
    "test/test_grammar.py and test/typinganndata/ann_module.py use it), so the whole file is lost "
    "to `errors` and its dead weights go unreported",
)
def test_parenthesized_annotated_target_is_analyzed(tmp_path: Path, baseline: list[dict[str, object]]) -> None:
    root = repo_with(tmp_path, "annotated.py", ("(flag): bool = True\n" + odd()).encode())
    result = scan(root)
    assert errors(result) == {}
    assert keys(result, "annotated.py") == [("DW101", "annotated.py", 10, "Odd", "spare")]


@pytest.mark.parametrize(
    "data", [b"", b"   \n\n\t\n", b"\n", b"\x0c\n", b"\xef\xbb\xbf", b"# just a comment\n", b"\r\n\r\n"]
)
def test_empty_and_blank_files_are_analyzed_without_error(
    tmp_path: Path, baseline: list[dict[str, object]], data: bytes
) -> None:
    root = repo_with(tmp_path, "pkg/__init__.py", data)
    result = scan(root)
    assert result.errors == []
    assert result.summary.files == 2
    assert full(result, "model.py") == baseline


# --------------------------------------------------------------------------- crashes

CRASH_REASONS = ("parser crashed", "too deeply nested")


def nested(depth: int) -> bytes:
    return ("x = " + "(" * depth + ")" * depth + "\n").encode()


def test_deep_nesting_is_analyzed_or_reported_and_never_stops_the_run(
    tmp_path: Path, baseline: list[dict[str, object]]
) -> None:
    """3,000 parentheses segfault libcst on an 8 MB stack; the engine's big-stack thread may
    parse them, otherwise the file must come back as a crash or nesting error."""
    root = repo_with(tmp_path, "deep.py", nested(3000))
    (root / "other.py").write_bytes(odd().encode())
    result = scan(root, jobs=2)
    reason = errors(result).get("deep.py")
    assert reason is None or reason.startswith(CRASH_REASONS), reason
    assert set(errors(result)) <= {"deep.py"}
    assert full(result, "model.py") == baseline
    assert keys(result, "other.py") == [("DW101", "other.py", 9, "Odd", "spare")]
    assert result.summary.files == (3 if reason is None else 2)


def test_parser_segfault_is_an_error_and_the_batch_is_still_analyzed(
    tmp_path: Path, baseline: list[dict[str, object]]
) -> None:
    """100,000 parentheses kill libcst's native parser even on the big stack (measured:
    SIGSEGV): the worker dies, is replaced, and only that file is lost."""
    root = repo_with(tmp_path, "deeper.py", nested(100_000))
    for i in range(6):  # small files share the crashing file's batch and queue
        (root / f"m{i}.py").write_bytes(odd().replace("Odd", f"Odd{i}").encode())
    result = scan(root, jobs=2)
    reason = errors(result).get("deeper.py", "")
    assert list(errors(result)) == ["deeper.py"]
    assert reason.startswith(CRASH_REASONS), reason
    assert full(result, "model.py") == baseline
    assert keys(result) == sorted(
        [MODEL_FINDING] + [("DW101", f"m{i}.py", 9, f"Odd{i}", "spare") for i in range(6)],
        key=lambda k: (k[1], k[2]),
    )
    assert result.summary.files == 7


# --------------------------------------------------------------------------- never execute

EVIL = """\
import torch.nn as nn

open({marker!r}, "w").write("module top level")


class Evil(nn.Module):
    open({marker!r} + ".class", "w").write("class body")

    def __init__(self):
        super().__init__()
        self.spare = nn.Linear(2, 2)

    def forward(self, x):
        return x


if __name__ == "__main__":
    open({marker!r} + ".main", "w").write("__main__")
"""


def console_script() -> str:
    script = shutil.which("deadweight", path=str(Path(sys.executable).parent)) or shutil.which("deadweight")
    assert script is not None
    return script


def test_analyzed_code_is_never_imported_or_executed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    marker = tmp_path / "executed"
    sources = {
        "evil.py": EVIL,
        "pkg/__init__.py": EVIL.replace("Evil", "EvilInit"),
        "conftest.py": EVIL.replace("Evil", "EvilConftest"),
        "setup.py": EVIL.replace("Evil", "EvilSetup"),
        "sitecustomize.py": EVIL.replace("Evil", "EvilSite"),
        "__main__.py": EVIL.replace("Evil", "EvilMain"),
    }
    for name, source in sources.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source.format(marker=str(marker)), encoding="utf-8")
    (repo / "pyproject.toml").write_text("[tool.deadweight]\n", encoding="utf-8")
    for jobs in ("1", "2"):
        run = subprocess.run(
            [console_script(), "check", "--no-cache", "-j", jobs, "--output-format", "json", "."],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(repo)},
        )
        assert run.returncode == 1, run.stderr
        report = json.loads(run.stdout)
        assert sorted(f["class"] for f in report["findings"]) == sorted(
            ["Evil", "EvilInit", "EvilConftest", "EvilSetup", "EvilSite", "EvilMain"]
        )
        assert report["errors"] == []
        assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"], f"analyzed code ran (jobs={jobs})"


PLUGIN = """\
open({marker!r}, "w").write("plugin imported")

from deadweight.rules.base import Rule


class Evil(Rule):
    code = "DW990"
    name = "evil"
    summary = "writes a file when imported"
    rationale = fix = ""

    def check(self, project):
        return []
"""


def test_plugins_load_only_when_config_names_them_and_the_user_allows_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    marker = tmp_path / "plugin-imported"
    (repo / "rules").mkdir(parents=True)
    (repo / "rules" / "dw990_evil.py").write_text(PLUGIN.format(marker=str(marker)), encoding="utf-8")
    (repo / "rules" / "__init__.py").write_text(PLUGIN.format(marker=str(marker)), encoding="utf-8")
    (repo / "model.py").write_text(MODEL, encoding="utf-8")
    pyproject = repo / "pyproject.toml"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [console_script(), "check", "--no-cache", "-j", "1", "--output-format", "concise", *args, "."],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
        )

    # A rules/ folder that no config names is analyzed like any other code, never imported.
    pyproject.write_text("[tool.deadweight]\n", encoding="utf-8")
    plain = run()
    assert plain.returncode == 1, plain.stderr
    assert plain.stdout.splitlines()[0].startswith("model.py:8:")
    assert not marker.exists()

    # --isolated ignores the repo's config, plugins included.
    pyproject.write_text('[tool.deadweight]\nplugins = ["rules/dw990_evil.py"]\n', encoding="utf-8")
    isolated = run("--isolated")
    assert isolated.returncode == 1, isolated.stderr
    assert not marker.exists()
    assert "DW990" not in run("--isolated", "--select", "DW1").stdout
    assert not marker.exists()

    # Named by the repository's own config, a plugin still does not run on a plain check: a
    # pull request must not be able to make CI execute its code. The user is told why.
    named = run()
    assert named.returncode == 1, named.stderr
    assert not marker.exists()
    assert (
        "deadweight: warning: not loading the plugins " + str(pyproject) + " names (rules/dw990_evil.py)"
    ) in named.stderr
    assert "pass --allow-plugins (or set DEADWEIGHT_ALLOW_PLUGINS=1) if you trust it" in named.stderr
    # Selecting the plugin's code then is an unknown code, with the reason.
    selected = run("--select", "DW990")
    assert selected.returncode == 2
    assert "unknown rule code or prefix 'DW990'" in selected.stderr
    assert "the configured plugins were not loaded, pass --allow-plugins to load rules/dw990_evil.py" in selected.stderr
    assert not marker.exists()
    # The repository cannot opt itself in.
    pyproject.write_text(
        '[tool.deadweight]\nplugins = ["rules/dw990_evil.py"]\nallow-plugins = true\n', encoding="utf-8"
    )
    self_allowed = run()
    assert self_allowed.returncode == 2
    assert "allow-plugins: can only be set on the command line (--allow-plugins)" in self_allowed.stderr
    assert not marker.exists()

    # The user opts in on the command line, or in their environment.
    pyproject.write_text('[tool.deadweight]\nplugins = ["rules/dw990_evil.py"]\n', encoding="utf-8")
    allowed = run("--allow-plugins")
    assert allowed.returncode == 1, allowed.stderr
    assert "not loading the plugins" not in allowed.stderr
    assert marker.read_text() == "plugin imported"
    marker.unlink()
    by_env = subprocess.run(
        [console_script(), "check", "--no-cache", "-j", "1", "--output-format", "concise", "."],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DEADWEIGHT_ALLOW_PLUGINS": "1"},
    )
    assert by_env.returncode == 1, by_env.stderr
    assert marker.read_text() == "plugin imported"


# --------------------------------------------------------------------------- fuzzing

FIXTURE_SOURCES = sorted(FIXTURES.rglob("*.py"))
INTERESTING = [
    *list("()[]{}:;,.=+*@#\\'\"\n\t\x0c\r "),
    "\n    ",
    "def ",
    "class ",
    "self.",
    "lambda",
    "f'",
    '"""',
    "\x00",
    "\ufeff",
    "é",
]


def check_extract_result(path: str, data: bytes) -> ExtractResult:
    result = extract(path, data, "fuzzed")
    assert isinstance(result, ExtractResult)
    assert (result.facts is None) != (result.error is None)
    if result.error is not None:
        assert result.error.path == path
        assert isinstance(result.error.reason, str) and result.error.reason
    else:
        assert result.facts is not None and result.facts.path == path
    return result


@st.composite
def mutated_fixture(draw: st.DrawFn) -> bytes:
    source = draw(st.sampled_from(FIXTURE_SOURCES)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "line_delete", "line_duplicate", "line_swap"]))
        lines = source.splitlines(keepends=True)
        if kind in ("delete", "insert", "duplicate") or len(lines) < 2:
            at = draw(st.integers(0, len(source)))
            if kind == "insert":
                piece = draw(st.one_of(st.sampled_from(INTERESTING), st.text(max_size=8)))
                source = source[:at] + piece + source[at:]
            else:
                end = min(len(source), at + draw(st.integers(1, 40)))
                chunk = source[at:end]
                source = source[:at] + (chunk * 2 if kind == "duplicate" else "") + source[end:]
        else:
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "line_delete":
                del lines[i]
            elif kind == "line_duplicate":
                lines.insert(i, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            source = "".join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return (
        source.encode(encoding, errors="replace")
        if encoding != "utf-8" or draw(st.booleans())
        else source.encode("utf-8", "surrogatepass")
    )


def test_fixture_sources_extract_cleanly() -> None:
    assert len(FIXTURE_SOURCES) >= 20
    for path in FIXTURE_SOURCES:
        result = check_extract_result(path.name, path.read_bytes())
        assert result.error is None, (path, result.error)


@hyp_settings(max_examples=50, deadline=5000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=mutated_fixture())
def test_mutated_fixtures_never_raise(data: bytes) -> None:
    check_extract_result("mutated.py", data)


@hyp_settings(max_examples=50, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise(data: bytes) -> None:
    check_extract_result("random.py", data)


try:
    import hypothesmith
except ImportError:  # pragma: no cover - optional test dependency
    hypothesmith = None


@pytest.mark.skipif(hypothesmith is None, reason="hypothesmith is not installed")
@hyp_settings(max_examples=30, deadline=10_000, suppress_health_check=list(HealthCheck))
@given(source=st.builds(str) if hypothesmith is None else hypothesmith.from_grammar())
def test_generated_programs_extract(source: str) -> None:
    """Programs from CPython's grammar: valid Python, so the extractor must return facts (or,
    for what libcst itself does not accept, an error), never raise."""
    result = check_extract_result("generated.py", source.encode("utf-8", "surrogatepass"))
    if result.error is not None:
        assert result.error.reason.startswith(
            ("syntax error", "parser error", "too deeply nested", "not valid utf-8")
        ), result.error.reason


# --------------------------------------------------------------------------- the standard library


@pytest.mark.realworld
def test_stdlib(capsys: pytest.CaptureFixture[str]) -> None:
    """The whole standard library, `test` package included (deliberately malformed files):
    no exception, and every file either analyzed or under `errors` with a reason."""
    from deadweight.discover import discover

    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    config = settings(stdlib, jobs=2, exclude=("__pycache__", "site-packages"))
    found = discover([stdlib], config)
    result = check([stdlib], config)
    assert result.summary.files + result.summary.errors == len(found.files) + len(found.errors)
    assert result.summary.errors == len(result.errors)
    assert all(e.reason for e in result.errors)
    groups = collections.Counter(_reason_group(e.reason) for e in result.errors)
    with capsys.disabled():
        print(
            f"\nstdlib {stdlib}: {result.summary.files} files analyzed, {len(result.errors)} errors, "
            f"{len(result.findings)} findings, {result.summary.seconds:.1f} s"
        )
        for group, count in groups.most_common():
            print(f"  {count:5}  {group}")
        for e in result.errors:
            print(f"    {e.path}: {e.reason[:140]}")
    assert not any(r.startswith("internal error") for r in groups), groups


def _reason_group(reason: str) -> str:
    if reason.startswith("syntax error"):
        return "syntax error" + (" (Python 2 syntax?)" if reason.endswith("(Python 2 syntax?)") else "")
    if reason.startswith("not valid"):
        return reason.split(":")[0]
    return reason.split(":")[0] if ":" in reason else reason


ALIASED_BLOCK = """\
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim, stem):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        if stem:
            self.stem_conv = self.stem_norm = nn.Identity()
        else:
            self.stem_conv = self.stem_norm = None

    def forward(self, x):
        if self.stem_norm is not None:
            x = self.stem_conv(x)
            x = self.stem_norm(x)
        return self.proj(x)


class FastBlock(Block):
    def forward(self, x):
        return self.proj(x)
"""


def test_findings_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """Two names bound to one object (`self.a = self.b = m`) were once walked as a set: the
    "used here" location of a DW103 changed from run to run, so SARIF and baselines churned."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "blocks.py").write_text(ALIASED_BLOCK)
    outputs = set()
    for seed in ("0", "1", "2", "3", "5", "8"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        args = ["check", str(tmp_path), "--isolated", "--no-cache", "--output-format", "json", "--select", "DW103"]
        run = subprocess.run(
            [sys.executable, "-m", "deadweight", *args],
            capture_output=True,
            text=True,
            env=env,
        )
        findings = json.loads(run.stdout)["findings"]
        outputs.add(json.dumps([(f["attribute"], [(r["line"], r["message"]) for r in f["related"]]) for f in findings]))
    assert len(outputs) == 1
    [(conv, conv_related), (norm, norm_related)] = json.loads(outputs.pop())
    assert (conv, norm) == ("stem_conv", "stem_norm")
    assert conv_related[1] == [15, "used here by `Block`"]  # each weight's own first use
    assert norm_related[1] == [16, "used here by `Block`"]

"""`check -v`: what was analyzed (parsed, from the cache, duplicate bytes) and what was skipped
(excluded, ignored by git, sources of generated files, unreadable), on stderr only."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner, Result

from deadweight.cli import main
from tests.test_cli import CLEAN, MLP, project


def verbose_run(root: Path, *args: str) -> Result:
    old = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, ["check", "-j", "1", "-v", "--output-format", "concise", *args])
    finally:
        os.chdir(old)


def listing(result: Result) -> list[str]:
    return [line.removeprefix("deadweight: ") for line in result.stderr.splitlines()]


def sample(tmp_path: Path) -> Path:
    root = project(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/mlp.py": MLP.format(dropout_comment=""),
            "pkg/clean.py": CLEAN,
            "pkg/modular_clean.py": CLEAN,  # transformers' source of the generated modeling file
            "pkg/modeling_clean.py": CLEAN,
            "pkg/broken.py": "def f(:\n",
            "pkg/empty/__init__.py": "",
            "build/gen.py": CLEAN,
            "scratch/notes.py": CLEAN,
        },
        'extend-exclude = ["scratch/"]\n',
    )
    (root / ".gitignore").write_text("pkg/local_*.py\n", encoding="utf-8")
    (root / "pkg" / "local_try.py").write_text(CLEAN, encoding="utf-8")
    (root / ".git").mkdir()
    return root


def test_verbose_lists_every_file_and_why_it_was_skipped(tmp_path: Path) -> None:
    result = verbose_run(sample(tmp_path))
    assert result.exit_code == 1
    assert listing(result) == [
        "skipped .git/: matches `exclude` or `extend-exclude`",
        "skipped build/: matches `exclude` or `extend-exclude`",
        "analyzed pkg/__init__.py (parsed)",
        "not analyzed pkg/broken.py: syntax error at line 1, column 7: invalid syntax",
        "analyzed pkg/clean.py (parsed)",
        "analyzed pkg/empty/__init__.py (same bytes as another file: its facts)",
        "skipped pkg/local_try.py: ignored by .gitignore",
        "analyzed pkg/mlp.py (parsed)",
        "analyzed pkg/modeling_clean.py (same bytes as another file: its facts)",
        "skipped pkg/modular_clean.py: judged through pkg/modeling_clean.py, which is generated from it",
        "skipped scratch/: matches `exclude` or `extend-exclude`",
        "5 files analyzed (3 parsed, 0 from the cache, 2 duplicates); 1 generated source skipped; "
        "4 paths excluded; 1 file not analyzed",
        "judged the classes of every file: no stored run to compare with",
    ]
    # the report itself is unchanged on stdout
    assert result.stdout.splitlines()[0].startswith("pkg/mlp.py:8:14: DW105 ")


def test_verbose_says_what_came_from_the_caches(tmp_path: Path) -> None:
    root = sample(tmp_path)
    verbose_run(root)
    (root / "pkg" / "clean.py").write_text(CLEAN + "\n# edited\n", encoding="utf-8")
    second = listing(verbose_run(root))
    assert "analyzed pkg/clean.py (parsed)" in second
    assert "analyzed pkg/mlp.py (facts from the cache)" in second
    assert second[-2:] == [
        "5 files analyzed (1 parsed, 3 from the cache, 1 duplicate); 1 generated source skipped; "
        "5 paths excluded; 1 file not analyzed",
        # a comment after the last line changes nothing any class's judgement read
        "judged the classes of 0 files again; 3 files read nothing that changed: their findings were reused",
    ]
    third = listing(verbose_run(root))
    assert third[-1] == (
        "the run cache held this exact run's result (no file, setting or rule changed): no file was read again"
    )


def test_quiet_and_silent_win_over_verbose(tmp_path: Path) -> None:
    root = sample(tmp_path)
    assert verbose_run(root, "--no-cache", "-q").stderr == ""
    assert verbose_run(root, "--no-cache", "--silent").stderr == ""


def test_without_verbose_nothing_is_listed(tmp_path: Path) -> None:
    root = project(tmp_path, {"clean.py": CLEAN})
    old = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(main, ["check", "--no-cache", "-j", "1"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0
    assert "analyzed" not in result.stderr

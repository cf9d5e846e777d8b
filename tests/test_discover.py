"""Discovery: which files a run sees, under excludes, .gitignore, explicit paths and bad links."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from deadweight.discover import Discovery, SourceFile, discover, module_name
from deadweight.extract.facts import FileError
from deadweight.settings import Settings


def tree(root: Path, files: Iterable[str], text: str = "x = 1\n") -> Path:
    """Create files (and their directories) below root; a trailing '/' makes a directory."""
    for rel in files:
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def settings_for(root: Path, **kwargs: object) -> Settings:
    return Settings(project_root=str(root), **kwargs)  # type: ignore[arg-type]


def run(root: Path, paths: Iterable[str | Path] | None = None, **kwargs: object) -> Discovery:
    return discover(list(paths) if paths is not None else [root], settings_for(root, **kwargs))


def paths_of(result: Discovery) -> list[str]:
    return [f.path for f in result.files]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    return path


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("a/b/c.py", "a.b.c"),
        ("a/b/__init__.py", "a.b"),
        ("top.py", "top"),
        ("my-pkg/2d.py", "my-pkg.2d"),
        ("scripts/tool", "scripts.tool"),
        ("__init__.py", ""),
    ],
)
def test_module_name(path: str, module: str) -> None:
    assert module_name(path) == module


def test_files_carry_relative_path_abspath_and_module(root: Path) -> None:
    tree(root, ["pkg/__init__.py", "pkg/models/vit.py", "setup.py"])
    result = run(root)
    assert result.root == root
    assert result.files == [
        SourceFile("pkg/__init__.py", root / "pkg" / "__init__.py", "pkg"),
        SourceFile("pkg/models/vit.py", root / "pkg" / "models" / "vit.py", "pkg.models.vit"),
        SourceFile("setup.py", root / "setup.py", "setup"),
    ]
    assert result.errors == []


def test_only_py_files_and_no_stubs(root: Path) -> None:
    tree(root, ["a.py", "a.pyi", "b.txt", "c.pyc", "d.py.bak", "notes"])
    assert paths_of(run(root)) == ["a.py"]


def test_explicit_stub_is_skipped_but_an_explicit_script_is_kept(root: Path) -> None:
    tree(root, ["a.pyi", "bin/tool"])
    assert paths_of(run(root, [root / "a.pyi", root / "bin" / "tool"])) == ["bin/tool"]


# --------------------------------------------------------------------------- excludes


def test_default_excludes(root: Path) -> None:
    tree(
        root,
        [
            "keep.py",
            "venv/lib/x.py",
            ".venv/y.py",
            "build/lib/z.py",
            ".git/hooks/h.py",
            "pkg/__pycache__/m.py",
            "pkg/deep/venv/v.py",
            "pkg/mod.py",
            "dist/d.py",
            "thing.egg-info/e.py",
            "node_modules/n.py",
        ],
    )
    assert paths_of(run(root)) == ["keep.py", "pkg/mod.py"]


def test_exclude_replaces_the_defaults(root: Path) -> None:
    tree(root, ["venv/x.py", "gen/y.py", "z.py"])
    assert paths_of(run(root, exclude=("gen",))) == ["venv/x.py", "z.py"]


def test_extend_exclude_adds_to_the_defaults(root: Path) -> None:
    tree(root, ["venv/x.py", "fixtures/f.py", "src/fixtures/g.py", "src/legacy/old.py", "src/new.py", "a_test.py"])
    result = run(root, extend_exclude=("fixtures", "/src/legacy/", "*_test.py"))
    assert paths_of(result) == ["src/new.py"]


def test_anchored_pattern_matches_only_relative_to_the_root(root: Path) -> None:
    tree(root, ["gen/a.py", "pkg/gen/b.py"])
    assert paths_of(run(root, extend_exclude=("/gen",))) == ["pkg/gen/b.py"]


def test_negated_exclude_keeps_a_file(root: Path) -> None:
    tree(root, ["gen/a.py", "gen/keep.py"])
    assert paths_of(run(root, extend_exclude=("gen/*.py", "!gen/keep.py"))) == ["gen/keep.py"]


def test_excluded_directories_are_not_descended_into(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree(root, ["venv/lib/x.py", "a.py"])
    listed: list[str] = []
    real_scandir = os.scandir

    def spy(path: str | os.PathLike[str]) -> object:
        listed.append(os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", spy)
    run(root)
    assert not any("venv" in path for path in listed)


# --------------------------------------------------------------------------- explicit paths


def test_explicit_directory_is_never_excluded(root: Path) -> None:
    tree(root, ["fixtures/a.py", "fixtures/sub/b.py", "fixtures/__pycache__/c.py", "main.py"])
    excludes = {"extend_exclude": ("fixtures",)}
    assert paths_of(run(root, **excludes)) == ["main.py"]
    assert paths_of(run(root, [root / "fixtures"], **excludes)) == ["fixtures/a.py", "fixtures/sub/b.py"]


def test_explicit_file_is_never_excluded(root: Path) -> None:
    tree(root, ["venv/tool.py", "gen/x.py"])
    (root / ".gitignore").write_text("gen/\n")
    result = run(root, [root / "venv" / "tool.py", root / "gen" / "x.py"])
    assert paths_of(result) == ["gen/x.py", "venv/tool.py"]


def test_explicit_gitignored_directory_is_walked(root: Path) -> None:
    tree(root, ["gen/x.py", "gen/sub/y.py"])
    (root / ".gitignore").write_text("gen/\n")
    assert paths_of(run(root)) == []
    assert paths_of(run(root, [root / "gen"])) == ["gen/sub/y.py", "gen/x.py"]


def test_nonexistent_path_raises(root: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        run(root, [root / "missing"])
    assert str(info.value) == f"{root / 'missing'}: no such file or directory"


def test_relative_arguments_use_the_working_directory(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree(root, ["pkg/a.py", "other/b.py"])
    monkeypatch.chdir(root / "pkg")
    assert paths_of(run(root, ["."])) == ["pkg/a.py"]
    assert paths_of(run(root, ["a.py", "../other"])) == ["other/b.py", "pkg/a.py"]


def test_file_outside_the_root_is_named_from_its_parent(tmp_path: Path, root: Path) -> None:
    outside = tree(tmp_path / "elsewhere", ["lib/m.py", "single.py"])
    result = run(root, [outside / "lib", outside / "single.py"])
    assert result.files == [
        SourceFile("lib/m.py", outside / "lib" / "m.py", "lib.m"),
        SourceFile("single.py", outside / "single.py", "single"),
    ]


def test_root_is_found_when_not_set(tmp_path: Path) -> None:
    project = tree(tmp_path / "p", ["pkg/a.py"])
    (project / "pyproject.toml").write_text("[tool.deadweight]\n")
    result = discover([project / "pkg"], Settings())
    assert result.root == project
    assert paths_of(result) == ["pkg/a.py"]


# --------------------------------------------------------------------------- .gitignore


def test_nested_gitignore_files(root: Path) -> None:
    tree(
        root,
        [
            "generated/a.py",
            "pkg/local_cfg.py",
            "pkg/keep.py",
            "pkg/top.py",
            "pkg/sub/top.py",
            "pkg/sub/local_x.py",
            "pkg/sub/keep_me.py",
            "other/local_y.py",
            "scratch.py",
        ],
    )
    (root / ".gitignore").write_text("# comment\n\ngenerated/\nscratch.py\n*_me.py\n")
    (root / "pkg" / ".gitignore").write_text("local_*.py\n/top.py\n")
    (root / "pkg" / "sub" / ".gitignore").write_text("!keep_me.py\n")
    assert paths_of(run(root)) == ["other/local_y.py", "pkg/keep.py", "pkg/sub/keep_me.py", "pkg/sub/top.py"]


def test_gitignore_above_an_explicit_subdirectory_applies(root: Path) -> None:
    tree(root, ["pkg/sub/a.py", "pkg/sub/gen_b.py"])
    (root / ".gitignore").write_text("gen_*.py\n")
    assert paths_of(run(root, [root / "pkg" / "sub"])) == ["pkg/sub/a.py"]


def test_git_info_exclude(root: Path) -> None:
    tree(root, ["a.py", "private.py", ".git/info/"])
    (root / ".git" / "info" / "exclude").write_text("private.py\n")
    assert paths_of(run(root)) == ["a.py"]


def test_respect_gitignore_off(root: Path) -> None:
    tree(root, ["a.py", "gen/b.py"])
    (root / ".gitignore").write_text("gen/\na.py\n")
    assert paths_of(run(root, respect_gitignore=False)) == ["a.py", "gen/b.py"]


# --------------------------------------------------------------------------- links and errors


def test_symlinked_directory_is_followed(tmp_path: Path, root: Path) -> None:
    tree(tmp_path / "shared", ["layers.py"])
    tree(root, ["main.py"])
    (root / "vendored").symlink_to(tmp_path / "shared")
    result = run(root)
    assert paths_of(result) == ["main.py", "vendored/layers.py"]
    assert result.files[1].abspath == root / "vendored" / "layers.py"


def test_file_reached_twice_is_listed_once(root: Path) -> None:
    tree(root, ["pkg/real.py"])
    (root / "pkg" / "alias.py").symlink_to(root / "pkg" / "real.py")
    (root / "mirror").symlink_to(root / "pkg")
    result = run(root, [root, root / "pkg" / "real.py", root / "mirror"])
    assert paths_of(result) == ["pkg/real.py"]  # the real name wins over the links
    assert result.errors == []
    assert paths_of(run(root, [root / "mirror"])) == ["mirror/alias.py"]


def test_symlink_loop_is_reported_not_followed(root: Path) -> None:
    tree(root, ["pkg/a.py"])
    (root / "pkg" / "again").symlink_to(root / "pkg")
    (root / "pkg" / "up").symlink_to(root)
    result = run(root)
    assert paths_of(result) == ["pkg/a.py"]
    assert result.errors == [
        FileError("pkg/again", "symbolic link loop"),
        FileError("pkg/up", "symbolic link loop"),
    ]


def test_self_referencing_link_is_a_loop(root: Path) -> None:
    (root / "ring.py").symlink_to(root / "ring.py")
    (root / "a").symlink_to(root / "b")
    (root / "b").symlink_to(root / "a")
    result = run(root)
    assert result.files == []
    assert result.errors == [
        FileError("a", "symbolic link loop"),
        FileError("b", "symbolic link loop"),
        FileError("ring.py", "symbolic link loop"),
    ]


def test_broken_symlink_is_reported(root: Path) -> None:
    tree(root, ["a.py"])
    (root / "gone.py").symlink_to(root / "missing.py")
    (root / "gone_dir").symlink_to(root / "missing_dir")
    (root / "README.md").symlink_to(root / "missing.md")  # cannot be Python: not reported
    (root / "venv").symlink_to(root / "nowhere")  # excluded: not reported
    result = run(root)
    assert paths_of(result) == ["a.py"]
    assert result.errors == [
        FileError("gone.py", "broken symbolic link"),
        FileError("gone_dir", "broken symbolic link"),
    ]


def test_broken_symlink_as_argument_is_reported(root: Path) -> None:
    (root / "gone.py").symlink_to(root / "missing.py")
    result = run(root, [root / "gone.py"])
    assert result.files == []
    assert result.errors == [FileError("gone.py", "broken symbolic link")]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any directory")
def test_unreadable_directory_is_reported(root: Path) -> None:
    tree(root, ["a.py", "locked/b.py"])
    (root / "locked").chmod(0)
    try:
        result = run(root)
    finally:
        (root / "locked").chmod(0o755)
    assert paths_of(result) == ["a.py"]
    assert result.errors == [FileError("locked", "cannot read directory: Permission denied")]


def test_directory_listing_failure_is_reported(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as above without needing a non-root user: make listing one directory fail."""
    tree(root, ["a.py", "locked/b.py"])
    real_scandir = os.scandir

    def failing(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", failing)
    result = run(root)
    assert paths_of(result) == ["a.py"]
    assert result.errors == [FileError("locked", "cannot read directory: Permission denied")]


# --------------------------------------------------------------------------- determinism


def test_output_is_sorted_and_independent_of_argument_order(root: Path) -> None:
    tree(root, ["z/a.py", "a/z.py", "m.py", "a/b/c.py", "B.py"])
    (root / "dangling.py").symlink_to(root / "nope.py")
    first = run(root, [root / "z", root / "a", root / "m.py", root / "dangling.py"])
    second = run(root, [root / "dangling.py", root / "m.py", root / "a", root / "z"])
    assert first == second
    assert paths_of(first) == ["a/b/c.py", "a/z.py", "m.py", "z/a.py"]
    assert paths_of(run(root)) == sorted(paths_of(run(root)))
    assert run(root) == run(root)

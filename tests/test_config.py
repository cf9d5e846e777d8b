"""Configuration: where it is found, which source wins, and that every mistake names its key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deadweight.config import (
    ConfigError,
    find_project_root,
    load_settings,
    settings_as_dict,
)
from deadweight.settings import DEFAULT_EXCLUDES, Settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory that is also the working directory, so errors show short paths."""
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


def pyproject(root: Path, body: str) -> Path:
    return write(root / "pyproject.toml", "[project]\nname = 'x'\n\n[tool.deadweight]\n" + body)


def config_error(root: Path, body: str) -> ConfigError:
    pyproject(root, body)
    with pytest.raises(ConfigError) as info:
        load_settings([root / "src"])
    return info.value


# --------------------------------------------------------------------------- precedence


def test_no_config_gives_defaults_and_root(project: Path) -> None:
    settings = load_settings([project / "src"])
    assert settings == Settings(project_root=str(project / "src"), config_file=None)


def test_file_values_are_read(project: Path) -> None:
    file = pyproject(project, 'select = ["DW1"]\njobs = 3\nmin-confidence = "high"\n')
    settings = load_settings([project / "src"])
    assert settings.select == ("DW1",)
    assert settings.jobs == 3
    assert settings.min_confidence == "high"
    assert settings.project_root == str(project)
    assert settings.config_file == str(file)


def test_overrides_win_over_the_file(project: Path) -> None:
    pyproject(project, 'select = ["DW1"]\njobs = 3\nignore = ["DW105"]\n')
    settings = load_settings(
        [project], overrides={"select": ["DW2"], "jobs": 1, "use-cache": False, "min-confidence": None}
    )
    assert settings.select == ("DW2",)
    assert settings.jobs == 1
    assert settings.use_cache is False
    assert settings.ignore == ("DW105",)  # not overridden: the file's value stays
    assert settings.min_confidence == "medium"  # None means "not given on the command line"


def test_isolated_ignores_the_file_but_not_overrides(project: Path) -> None:
    pyproject(project, 'select = ["DW1"]\nplugins = ["evil.py"]\n')
    settings = load_settings([project], isolated=True, overrides={"jobs": 2})
    assert settings.select is None
    assert settings.plugins == ()
    assert settings.jobs == 2
    assert settings.config_file is None
    assert settings.project_root == str(project)


def test_isolated_ignores_an_explicit_config_file(project: Path) -> None:
    config = write(project / "deadweight.toml", "jobs = 5\n")
    settings = load_settings([project], config_file=str(config), isolated=True)
    assert settings.jobs == 0
    assert settings.config_file is None


def test_exclude_replaces_defaults_and_extend_exclude_adds(project: Path) -> None:
    pyproject(project, 'extend-exclude = ["fixtures"]\n')
    assert load_settings([project]).exclude == DEFAULT_EXCLUDES
    assert load_settings([project]).extend_exclude == ("fixtures",)
    pyproject(project, 'exclude = ["only"]\n')
    assert load_settings([project]).exclude == ("only",)


def test_every_key_maps_to_its_field(project: Path) -> None:
    pyproject(
        project,
        """
select = ["DW1", "DW201"]
extend-select = ["DW4"]
ignore = ["DW"]
exclude = ["a"]
extend-exclude = ["b/"]
respect-gitignore = false
max-file-size = 1000
entry-points = ["run"]
init-methods = ["setup_weights"]
module-bases = ["mylib.Base"]
min-confidence = "LOW"
baseline = "bl.json"
cache-dir = ".cache"
jobs = 0
plugins = ["rules/local.py"]

[tool.deadweight.per-file-ignores]
"tests/*" = ["DW101"]
"legacy/**" = ["DW1", "DW2"]
""",
    )
    s = load_settings([project])
    assert s.select == ("DW1", "DW201")
    assert s.extend_select == ("DW4",)
    assert s.ignore == ("DW",)
    assert s.exclude == ("a",)
    assert s.extend_exclude == ("b/",)
    assert s.respect_gitignore is False
    assert s.max_file_size == 1000
    assert s.entry_points == ("run",)
    assert s.init_methods == ("setup_weights",)
    assert s.module_bases == ("mylib.Base",)
    assert s.min_confidence == "low"
    assert s.per_file_ignores == (("tests/*", ("DW101",)), ("legacy/**", ("DW1", "DW2")))
    assert s.jobs == 0


# --------------------------------------------------------------------------- relative paths


def test_paths_are_relative_to_the_config_file(project: Path) -> None:
    pyproject(project, 'baseline = "ci/baseline.json"\ncache-dir = ".dwcache"\nplugins = ["rules/a.py", "/abs/b.py"]\n')
    settings = load_settings([project / "src"])
    assert settings.baseline == str(project / "ci" / "baseline.json")
    assert settings.cache_dir == str(project / ".dwcache")
    assert settings.plugins == (str(project / "rules" / "a.py"), "/abs/b.py")


def test_paths_in_an_explicit_config_file_are_relative_to_it(project: Path) -> None:
    config = write(project / "configs" / "deadweight.toml", 'baseline = "bl.json"\n')
    settings = load_settings([project], config_file="configs/deadweight.toml")
    assert settings.baseline == str(project / "configs" / "bl.json")
    assert settings.config_file == str(config)


def test_override_paths_are_relative_to_the_working_directory(project: Path) -> None:
    pyproject(project, 'baseline = "from-file.json"\n')
    settings = load_settings([project], overrides={"baseline": "../other.json", "cache-dir": "c"})
    assert settings.baseline == str(project.parent / "other.json")
    assert settings.cache_dir == str(project / "c")


# --------------------------------------------------------------------------- explicit config file


def test_explicit_pyproject_reads_its_tool_table(project: Path) -> None:
    other = write(project / "alt" / "pyproject.toml", '[tool.deadweight]\nselect = ["DW3"]\n')
    settings = load_settings([project], config_file=str(other))
    assert settings.select == ("DW3",)
    assert settings.config_file == str(other)
    assert settings.project_root == str(project)


def test_explicit_pyproject_without_table_gives_defaults(project: Path) -> None:
    other = write(project / "alt" / "pyproject.toml", "[project]\nname = 'y'\n")
    assert load_settings([project], config_file=str(other)).select is None


def test_explicit_config_file_must_exist(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings([project], config_file="missing.toml")
    assert str(info.value) == "missing.toml: config file not found"
    assert info.value.file == str(project / "missing.toml")


def test_plain_toml_errors_use_bare_keys(project: Path) -> None:
    write(project / "deadweight.toml", 'select = "DW1"\n')
    with pytest.raises(ConfigError) as info:
        load_settings([project], config_file="deadweight.toml")
    assert info.value.key == "select"
    assert str(info.value) == "deadweight.toml: select: expected a list of strings, got 'DW1'"


def test_tool_table_in_a_plain_toml_is_explained(project: Path) -> None:
    write(project / "deadweight.toml", '[tool.deadweight]\nselect = ["DW1"]\n')
    with pytest.raises(ConfigError) as info:
        load_settings([project], config_file="deadweight.toml")
    assert info.value.key == "tool"
    assert "only read from a pyproject.toml" in info.value.message


# --------------------------------------------------------------------------- validation


def test_error_message_reads_like_a_compiler(project: Path) -> None:
    err = config_error(project, 'min-confidence = "hgih"\n')
    assert str(err) == "pyproject.toml: tool.deadweight.min-confidence: expected one of low, medium, high, got 'hgih'"
    assert err.key == "tool.deadweight.min-confidence"
    assert err.file == str(project / "pyproject.toml")


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        ('select = "DW1"', "select", "expected a list of strings, got 'DW1'"),
        ('select = ["X101"]', "select", "expected a rule code or prefix such as 'DW101', 'DW1' or 'DW', got 'X101'"),
        (
            'extend-select = ["DW1011"]',
            "extend-select",
            "expected a rule code or prefix such as 'DW101', 'DW1' or 'DW', got 'DW1011'",
        ),
        (
            'ignore = ["dw101"]',
            "ignore",
            "expected a rule code or prefix such as 'DW101', 'DW1' or 'DW', got 'dw101', did you mean 'DW101'?",
        ),
        ("ignore = [101]", "ignore", "expected a list of non-empty strings, got an item 101"),
        ('exclude = "venv"', "exclude", "expected a list of strings, got 'venv'"),
        ('extend-exclude = [""]', "extend-exclude", "expected a list of non-empty strings, got an item ''"),
        ('respect-gitignore = "yes"', "respect-gitignore", "expected true or false, got 'yes'"),
        ("max-file-size = 0", "max-file-size", "expected an integer >= 1, got 0"),
        ("max-file-size = 1.5", "max-file-size", "expected an integer, got 1.5"),
        ("jobs = true", "jobs", "expected an integer, got true"),
        ("jobs = -1", "jobs", "expected an integer >= 0, got -1"),
        ('jobs = "4"', "jobs", "expected an integer, got '4'"),
        ("entry-points = [[]]", "entry-points", "expected a list of non-empty strings, got an item a list"),
        ("init-methods = {}", "init-methods", "expected a list of strings, got a table"),
        ("module-bases = 3", "module-bases", "expected a list of strings, got 3"),
        ("min-confidence = 1", "min-confidence", "expected one of low, medium, high, got 1"),
        ("baseline = 3", "baseline", "expected a path, got 3"),
        ('cache-dir = ""', "cache-dir", "expected a path, got ''"),
        ("plugins = [false]", "plugins", "expected a list of non-empty strings, got an item false"),
        ('per-file-ignores = ["DW1"]', "per-file-ignores", "expected a table of glob = [codes], got a list"),
        ('per-file-ignores = { "t/*" = "DW1" }', 'per-file-ignores."t/*"', "expected a list of strings, got 'DW1'"),
        (
            'per-file-ignores = { "t/*" = ["W1"] }',
            'per-file-ignores."t/*"',
            "expected a rule code or prefix such as 'DW101', 'DW1' or 'DW', got 'W1'",
        ),
    ],
)
def test_each_bad_value_names_key_and_file(project: Path, body: str, key: str, message: str) -> None:
    err = config_error(project, body + "\n")
    assert err.key == f"tool.deadweight.{key}"
    assert err.file == str(project / "pyproject.toml")
    assert err.message == message
    assert str(err) == f"pyproject.toml: tool.deadweight.{key}: {message}"


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("extend-selct", "extend-select"),
        ("extend_select", "extend-select"),
        ("min_confidence", "min-confidence"),
        ("exlude", "exclude"),
    ],
)
def test_unknown_key_suggests_the_closest(project: Path, key: str, suggestion: str) -> None:
    err = config_error(project, f'{key} = ["DW1"]\n')
    assert str(err) == f"pyproject.toml: tool.deadweight.{key}: unknown key, did you mean '{suggestion}'?"


def test_unknown_key_without_close_match_lists_valid_keys(project: Path) -> None:
    err = config_error(project, "frobnicate = 1\n")
    assert err.key == "tool.deadweight.frobnicate"
    assert err.message.startswith("unknown key (valid keys: baseline, cache-dir, ")


def test_cli_only_key_in_file_is_an_error(project: Path) -> None:
    err = config_error(project, "use-cache = false\n")
    assert str(err) == "pyproject.toml: tool.deadweight.use-cache: can only be set on the command line (--no-cache)"


def test_tool_deadweight_must_be_a_table(project: Path) -> None:
    write(project / "pyproject.toml", "[tool]\ndeadweight = 1\n")
    with pytest.raises(ConfigError) as info:
        load_settings([project])
    assert str(info.value) == "pyproject.toml: tool.deadweight: expected a table, got 1"


def test_toml_syntax_error_names_the_file(project: Path) -> None:
    write(project / "pyproject.toml", "[tool.deadweight]\nselect = [DW1\n")
    with pytest.raises(ConfigError) as info:
        load_settings([project / "src"])
    err = info.value
    assert err.key is None
    assert err.file == str(project / "pyproject.toml")
    assert err.message.startswith("invalid TOML: ")
    assert "line 2" in err.message
    assert str(err).startswith("pyproject.toml: invalid TOML: ")


def test_syntax_error_in_an_unrelated_pyproject_is_not_ours(project: Path) -> None:
    write(project / "pyproject.toml", "[project\nname = 'x'\n")
    assert load_settings([project]).config_file is None


def test_override_errors_name_the_bare_key_and_no_file(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings([project], overrides={"select": ["nope"]})
    assert info.value.file is None
    assert str(info.value) == "select: expected a rule code or prefix such as 'DW101', 'DW1' or 'DW', got 'nope'"
    with pytest.raises(ConfigError) as info:
        load_settings([project], overrides={"jobz": 1})
    assert str(info.value) == "jobz: unknown key, did you mean 'jobs'?"


def test_error_outside_the_working_directory_shows_the_full_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "elsewhere"
    pyproject(root, "jobs = -2\n")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    with pytest.raises(ConfigError) as info:
        load_settings([root])
    assert str(info.value) == f"{root / 'pyproject.toml'}: tool.deadweight.jobs: expected an integer >= 0, got -2"


# --------------------------------------------------------------------------- find_project_root


def test_root_prefers_the_pyproject_with_our_table(tmp_path: Path) -> None:
    write(tmp_path / "repo" / "pyproject.toml", "[tool.deadweight]\n")
    write(tmp_path / "repo" / "pkg" / "pyproject.toml", "[project]\nname = 'pkg'\n")
    (tmp_path / "repo" / "pkg" / "mod").mkdir()
    assert find_project_root([tmp_path / "repo" / "pkg" / "mod"]) == tmp_path / "repo"


def test_root_falls_back_to_nearest_pyproject_or_git(tmp_path: Path) -> None:
    write(tmp_path / "a" / "pyproject.toml", "[project]\nname = 'a'\n")
    (tmp_path / "a" / "b" / ".git").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c").mkdir()
    assert find_project_root([tmp_path / "a" / "b" / "c"]) == tmp_path / "a" / "b"
    (tmp_path / "a" / "x").mkdir()
    assert find_project_root([tmp_path / "a" / "x"]) == tmp_path / "a"


def test_root_is_the_common_parent_without_markers(tmp_path: Path) -> None:
    markers = [d for d in (tmp_path, *tmp_path.parents) if (d / "pyproject.toml").exists() or (d / ".git").exists()]
    if markers:
        pytest.skip("the temporary directory lies inside a project")
    write(tmp_path / "x" / "one.py", "")
    write(tmp_path / "x" / "y" / "two.py", "")
    write(tmp_path / "x" / "z" / "three.py", "")
    assert find_project_root([tmp_path / "x" / "y" / "two.py", tmp_path / "x" / "z"]) == tmp_path / "x"
    assert find_project_root([tmp_path / "x" / "one.py"]) == tmp_path / "x"


def test_root_without_markers_holds_the_top_package(tmp_path: Path) -> None:
    markers = [d for d in (tmp_path, *tmp_path.parents) if (d / "pyproject.toml").exists() or (d / ".git").exists()]
    if markers:
        pytest.skip("the temporary directory lies inside a project")
    write(tmp_path / "site" / "pkg" / "__init__.py", "")
    write(tmp_path / "site" / "pkg" / "models" / "__init__.py", "")
    deit = write(tmp_path / "site" / "pkg" / "models" / "deit.py", "")
    assert find_project_root([deit]) == tmp_path / "site"
    assert find_project_root([tmp_path / "site" / "pkg"]) == tmp_path / "site"


def test_root_of_a_file_argument_starts_at_its_parent(tmp_path: Path) -> None:
    write(tmp_path / "p" / "pyproject.toml", "[tool.deadweight]\n")
    file = write(tmp_path / "p" / "m.py", "")
    assert find_project_root([file]) == tmp_path / "p"


def test_root_is_absolute_and_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "p" / "pyproject.toml", "[tool.deadweight]\n")
    (tmp_path / "p" / "src").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "p")
    monkeypatch.chdir(tmp_path / "p" / "src")
    assert find_project_root(["."]) == (tmp_path / "p").resolve()
    assert find_project_root([tmp_path / "link" / "src"]) == (tmp_path / "p").resolve()


def test_broken_pyproject_mentioning_our_table_is_the_root_and_reports(tmp_path: Path) -> None:
    write(tmp_path / "p" / "pyproject.toml", "[tool.deadweight\nselect = 1\n")
    (tmp_path / "p" / "src").mkdir()
    assert find_project_root([tmp_path / "p" / "src"]) == tmp_path / "p"
    with pytest.raises(ConfigError):
        load_settings([tmp_path / "p" / "src"])


# --------------------------------------------------------------------------- --show-settings


def test_settings_as_dict_is_kebab_case_and_json_ready(project: Path) -> None:
    pyproject(project, 'select = ["DW1"]\n[tool.deadweight.per-file-ignores]\n"t/*" = ["DW101"]\n')
    data = settings_as_dict(load_settings([project]))
    assert json.loads(json.dumps(data)) == data
    assert data["select"] == ["DW1"]
    assert data["per-file-ignores"] == {"t/*": ["DW101"]}
    assert data["min-confidence"] == "medium"
    assert data["use-cache"] is True
    assert data["project-root"] == str(project)
    assert data["config-file"] == str(project / "pyproject.toml")
    assert all("_" not in key for key in data)

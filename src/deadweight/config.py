"""Find, parse and validate configuration into one frozen `Settings`.

Configuration errors must be as precise as a compiler's: a misspelt key that is silently ignored
turns into a CI check that quietly stops checking. So every key is validated, unknown keys are
hard errors with a suggestion, and every error names the file and the key. Nothing here raises
anything but `ConfigError` for bad input, so the CLI can map it to exit code 2 without a
traceback.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pathspec

from deadweight.findings import Confidence
from deadweight.settings import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

PYPROJECT = "pyproject.toml"
TABLE = ("tool", "deadweight")
CONFIDENCE_CHOICES = tuple(c.value for c in Confidence)
_CODE_RE = re.compile(r"^DW\d{0,3}$")
_NO_OVERRIDES: Mapping[str, object] = MappingProxyType({})
# Keys that only make sense for one invocation, so only the CLI may set them.
CLI_ONLY_KEYS = {"use-cache": "--no-cache", "allow-plugins": "--allow-plugins"}
ALLOW_PLUGINS_ENV = "DEADWEIGHT_ALLOW_PLUGINS"


class ConfigError(Exception):
    """A configuration problem, located by file and key so the user can fix it in one go."""

    def __init__(self, message: str, *, key: str | None = None, file: str | Path | None = None):
        super().__init__(message)
        self.message = message
        self.key = key
        self.file = str(file) if file is not None else None

    def __str__(self) -> str:
        parts = [p for p in (_display_path(self.file), self.key) if p]
        return ": ".join([*parts, self.message])


def _display_path(file: str | None) -> str | None:
    """Show a config path relative to the working directory when it lies below it (shorter)."""
    if file is None:
        return None
    try:
        return Path(file).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (OSError, ValueError):
        return file


# --------------------------------------------------------------------------- locating config


def find_project_root(paths: Sequence[str | Path]) -> Path:
    """The directory that anchors relative paths, caches and `[tool.deadweight]`.

    Prefers the nearest ancestor whose pyproject.toml declares `[tool.deadweight]`, so a
    sub-package's own pyproject.toml (without our table) does not hide the repo's config; then
    the nearest project marker; then the common parent of the arguments, or, when that lies in
    a package (an installed one has no marker), the folder holding the top package: from
    inside, `timm/models/deit.py`'s `from timm.models.vision_transformer import ...` would not
    resolve and the subclass would be judged without its base.
    """
    common = _common_parent(paths)
    fallback: Path | None = None
    for directory in (common, *common.parents):
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _declares_table(pyproject):
            return directory
        if fallback is None and (pyproject.is_file() or (directory / ".git").exists()):
            fallback = directory
    if fallback is not None:
        return fallback
    top = common
    while (top / "__init__.py").is_file() and top.parent != top:
        top = top.parent
    return top


def _common_parent(paths: Sequence[str | Path]) -> Path:
    """The deepest directory containing every argument (a file counts as its parent)."""
    starts = [_start_dir(p) for p in paths] or [Path.cwd().resolve()]
    try:
        return Path(os.path.commonpath([str(s) for s in starts]))
    except ValueError:  # paths on different drives (Windows): no common parent
        return starts[0]


def _start_dir(path: str | Path) -> Path:
    absolute = Path(os.path.abspath(Path(path).expanduser())).resolve()
    return absolute if absolute.is_dir() else absolute.parent


def _declares_table(pyproject: Path) -> bool:
    """Whether a pyproject.toml has `[tool.deadweight]`.

    A file that does not parse still counts when its text mentions the table, so that
    `load_settings` reads it and reports the syntax error instead of silently skipping it.
    """
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False
    except tomllib.TOMLDecodeError:
        text = pyproject.read_text(encoding="utf-8", errors="replace")
        return re.search(r"tool\s*\.\s*deadweight", text) is not None
    tool = data.get(TABLE[0])
    return isinstance(tool, dict) and TABLE[1] in tool


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class _Source:
    """Where values come from: decides the key prefix in errors and the base of relative paths."""

    file: str | None
    prefix: str
    base_dir: Path
    allow_cli_only: bool = False

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(message, key=f"{self.prefix}{key}", file=self.file)


def load_settings(
    paths: Sequence[str | Path],
    *,
    config_file: str | None = None,
    isolated: bool = False,
    overrides: Mapping[str, object] = _NO_OVERRIDES,
) -> Settings:
    """Resolve the settings of one run: defaults < config file < CLI overrides.

    `isolated` ignores every config file, so a run on an untrusted checkout never loads plugins
    that the checkout names. Override values of None mean "not given on the command line".
    """
    root = find_project_root(paths)
    table, source = ({}, None) if isolated else _read_config(root, config_file)
    values: dict[str, Any] = {}
    if source is not None:
        values.update(_validate_table(table, source))
    cli = _Source(file=None, prefix="", base_dir=Path.cwd(), allow_cli_only=True)
    given = {key: value for key, value in overrides.items() if value is not None}
    # `--extend-*` on the command line adds to what the config file says, as in ruff; the
    # plain options (`--select`, `--exclude`, `--per-file-ignores`) replace it.
    extend_pfi = given.pop("extend-per-file-ignores", None)
    if "allow-plugins" not in given and os.environ.get(ALLOW_PLUGINS_ENV, "").lower() in ("1", "true", "yes"):
        given["allow-plugins"] = True
    from_cli = _validate_table(given, cli)
    for name in ("extend_select", "extend_exclude"):
        if name in from_cli:
            from_cli[name] = (*values.get(name, ()), *from_cli[name])
    if extend_pfi is not None:
        added = _per_file_ignores("extend-per-file-ignores", extend_pfi, cli)
        from_cli["per_file_ignores"] = (*from_cli.get("per_file_ignores", values.get("per_file_ignores", ())), *added)
    values.update(from_cli)
    config = source.file if source is not None else None
    if "python" not in values:
        values["python"] = _default_environment(root)
    return Settings(**values, project_root=str(root), config_file=config)


def _default_environment(root: Path) -> str | None:
    """The active virtualenv, else a `.venv` / `venv` in the project (as pyright does)."""
    if os.environ.get("VIRTUAL_ENV"):
        return os.environ["VIRTUAL_ENV"]
    for name in (".venv", "venv"):
        if (root / name / "pyvenv.cfg").is_file():
            return str(root / name)
    return None


def _read_config(root: Path, config_file: str | None) -> tuple[Mapping[str, object], _Source | None]:
    """The raw deadweight table and its source, or ({}, None) when no file applies."""
    if config_file is not None:
        path = Path(os.path.abspath(Path(config_file).expanduser()))
        if not path.is_file():
            raise ConfigError("config file not found", file=path)
        return _table_of(path, pyproject=path.name == PYPROJECT)
    pyproject = root / PYPROJECT
    if pyproject.is_file() and _declares_table(pyproject):
        return _table_of(pyproject, pyproject=True)
    return {}, None


def _table_of(path: Path, *, pyproject: bool) -> tuple[Mapping[str, object], _Source]:
    """Read a TOML file; for a pyproject.toml descend into `[tool.deadweight]`."""
    data = _parse_toml(path)
    if not pyproject:
        return data, _Source(file=str(path), prefix="", base_dir=path.parent)
    table: object = data.get(TABLE[0], {})
    table = table.get(TABLE[1], {}) if isinstance(table, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"expected a table, got {_show(table)}", key=".".join(TABLE), file=path)
    return table, _Source(file=str(path), prefix=".".join(TABLE) + ".", base_dir=path.parent)


def _parse_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", file=path) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"invalid TOML: not UTF-8 ({exc.reason})", file=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=path) from None


# --------------------------------------------------------------------------- validation

_Validator = Callable[[str, object, _Source], object]


def _validate_table(table: Mapping[str, object], source: _Source) -> dict[str, Any]:
    """Validate every key of one source, in order; the first problem raises."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        validator = _validator_for(key, source)
        values[_field_name(key)] = validator(key, value, source)
    return values


def _validator_for(key: str, source: _Source) -> _Validator:
    if key in _VALIDATORS:
        return _VALIDATORS[key]
    if key in CLI_ONLY_KEYS:
        if source.allow_cli_only:
            return _bool
        raise source.error(key, f"can only be set on the command line ({CLI_ONLY_KEYS[key]})")
    raise source.error(key, _unknown_key_message(key, source))


def _unknown_key_message(key: str, source: _Source) -> str:
    valid = sorted(_VALIDATORS) + (sorted(CLI_ONLY_KEYS) if source.allow_cli_only else [])
    normalised = key.replace("_", "-").lower()
    if normalised in valid:
        return f"unknown key, did you mean '{normalised}'?"
    close = difflib.get_close_matches(normalised, valid, n=1)
    if close:
        return f"unknown key, did you mean '{close[0]}'?"
    if key == TABLE[0] and not source.prefix:
        return "unknown key (a [tool.deadweight] table is only read from a pyproject.toml)"
    return "unknown key (valid keys: " + ", ".join(valid) + ")"


def _field_name(key: str) -> str:
    return key.replace("-", "_")


def _show(value: object) -> str:
    """A value as the user wrote it in TOML, short enough for a one-line error."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _bool(key: str, value: object, source: _Source) -> bool:
    if not isinstance(value, bool):
        raise source.error(key, f"expected true or false, got {_show(value)}")
    return value


def _int(key: str, value: object, source: _Source, *, minimum: int) -> int:
    # bool is a subclass of int; `jobs = true` is a mistake, not 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise source.error(key, f"expected an integer, got {_show(value)}")
    if value < minimum:
        raise source.error(key, f"expected an integer >= {minimum}, got {value}")
    return value


def _positive_int(key: str, value: object, source: _Source) -> int:
    return _int(key, value, source, minimum=1)


def _non_negative_int(key: str, value: object, source: _Source) -> int:
    return _int(key, value, source, minimum=0)


def _strings(key: str, value: object, source: _Source) -> tuple[str, ...]:
    """A list of non-empty strings. A bare string is an error, not a one-element list: in TOML
    `select = "DW1"` is almost always a forgotten pair of brackets, and guessing hides it."""
    if not isinstance(value, (list, tuple)):
        raise source.error(key, f"expected a list of strings, got {_show(value)}")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            message = f"expected a list of non-empty strings, got an item {_show(item)}"
            raise source.error(key, message)
    return tuple(value)


def _check_code(key: str, code: str, source: _Source) -> str:
    if _CODE_RE.match(code):
        return code
    hint = f", did you mean '{code.upper()}'?" if _CODE_RE.match(code.upper()) else ""
    raise source.error(key, f"expected a rule code or prefix such as 'DW101', 'DW1' or 'DW', got {code!r}{hint}")


def _codes(key: str, value: object, source: _Source) -> tuple[str, ...]:
    return tuple(_check_code(key, code, source) for code in _strings(key, value, source))


def _per_file_ignores(key: str, value: object, source: _Source) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, Mapping):
        raise source.error(key, f"expected a table of glob = [codes], got {_show(value)}")
    entries = []
    for glob, codes in value.items():
        entry_key = f'{key}."{glob}"'
        _check_pattern(entry_key, glob, source)
        entries.append((glob, _codes(entry_key, codes, source)))
    return tuple(entries)


def _check_pattern(key: str, pattern: str, source: _Source) -> None:
    """Reject a gitignore-style pattern now rather than crash discovery later."""
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except (ValueError, TypeError) as exc:
        raise source.error(key, f"invalid pattern {pattern!r}: {exc}") from None


def _patterns(key: str, value: object, source: _Source) -> tuple[str, ...]:
    patterns = _strings(key, value, source)
    for pattern in patterns:
        _check_pattern(key, pattern, source)
    return patterns


def _confidence(key: str, value: object, source: _Source) -> str:
    if isinstance(value, str) and value.lower() in CONFIDENCE_CHOICES:
        return value.lower()
    choices = ", ".join(CONFIDENCE_CHOICES)
    raise source.error(key, f"expected one of {choices}, got {_show(value)}")


def _resolve(path: str, source: _Source) -> str:
    """Relative paths mean relative to the file that wrote them (the cwd for the CLI)."""
    return str((source.base_dir / Path(path).expanduser()).resolve())


def _path(key: str, value: object, source: _Source) -> str:
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise source.error(key, f"expected a path, got {_show(value)}")
    return _resolve(str(value), source)


def _python(key: str, value: object, source: _Source) -> str:
    """An interpreter or environment folder (relative to the config file), or "none"."""
    if isinstance(value, str) and value.strip().lower() == "none":
        return "none"
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise source.error(key, f"expected a path, got {_show(value)}")
    # Not resolved: a venv's bin/python is a symlink to the base interpreter, and following it
    # would read the base installation's site-packages instead of the venv's.
    return os.path.abspath(source.base_dir / Path(str(value)).expanduser())


def _paths(key: str, value: object, source: _Source) -> tuple[str, ...]:
    return tuple(_resolve(item, source) for item in _strings(key, value, source))


_VALIDATORS: dict[str, _Validator] = {
    "select": _codes,
    "extend-select": _codes,
    "ignore": _codes,
    "per-file-ignores": _per_file_ignores,
    "exclude": _patterns,
    "extend-exclude": _patterns,
    "respect-gitignore": _bool,
    "max-file-size": _positive_int,
    "entry-points": _strings,
    "init-methods": _strings,
    "module-bases": _strings,
    "min-confidence": _confidence,
    "fail-on": _confidence,
    "baseline": _path,
    "cache-dir": _path,
    "jobs": _non_negative_int,
    "plugins": _paths,
    "python": _python,
}


# --------------------------------------------------------------------------- reporting


def settings_as_dict(settings: Settings) -> dict[str, Any]:
    """The effective settings under their config names, for `--show-settings` (JSON-ready)."""
    result: dict[str, Any] = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if field.name == "per_file_ignores":
            value = {glob: list(codes) for glob, codes in value}
        elif isinstance(value, tuple):
            value = list(value)
        result[field.name.replace("_", "-")] = value
    return result

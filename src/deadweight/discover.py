"""Paths on the command line -> the Python files of one run.

Discovery decides what the whole analysis sees, so it must be predictable (sorted, de-duplicated
output), fast on repos with thousands of files (excluded directories are pruned, never walked)
and robust: a broken or looping symbolic link or an unreadable directory becomes a `FileError`
in the report instead of a crash or a hang. Only a path the user named that does not exist is
fatal, because that is a usage error.

Exclusion and .gitignore patterns use gitignore semantics through `pathspec`; an unanchored
pattern such as `venv` matches a file or directory of that name at any depth. We do not shell
out to git: the tool must work on plain checkouts, tarballs and CI caches alike.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pathspec

from deadweight.config import find_project_root
from deadweight.extract.facts import FileError
from deadweight.settings import Settings

GITIGNORE = ".gitignore"
GIT_INFO_EXCLUDE = (".git", "info", "exclude")


@dataclass(frozen=True)
class SourceFile:
    """One file to analyze: its report path, where to read it and its dotted module name."""

    path: str  # relative to the discovery root, "/"-separated
    abspath: Path
    module: str


@dataclass
class Discovery:
    root: Path
    files: list[SourceFile]
    errors: list[FileError]
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (path, why): what `-v` lists as skipped


def module_name(path: str) -> str:
    """`a/b/c.py` -> `a.b.c`, `a/b/__init__.py` -> `a.b`; odd path parts are kept as written,
    because the linker only needs names that are consistent with each other, not importable."""
    parts = path.split("/")
    last = parts[-1]
    parts[-1] = last[: -len(".py")] if last.endswith(".py") else last
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# --------------------------------------------------------------------------- pattern matching


def _compile(lines: Sequence[str]) -> tuple[Any, ...]:
    """gitignore-style patterns, without blank lines and comments."""
    spec = pathspec.GitIgnoreSpec.from_lines(list(lines))
    return tuple(p for p in spec.patterns if p.include is not None and p.regex is not None)


def _matches_itself(pattern: Any, path: str) -> bool:
    """Whether `pattern` matches `path` itself rather than only one of its parent directories.

    pathspec marks a directory-prefix match with the group `ps_d`. Excluded directories are
    pruned, so the only way to stand below a matching directory is to be inside a path the user
    named explicitly, and those must not be excluded through their parent.
    """
    regex = pattern.regex
    if "ps_d" not in regex.groupindex:
        return regex.match(path) is not None
    found = regex.fullmatch(path) or regex.match(path)
    if found is None:
        return False
    return found.group("ps_d") is None or found.end("ps_d") == len(path)


def _screen(patterns: tuple[Any, ...]) -> re.Pattern[str] | None:
    """One regex that matches wherever any of `patterns` matches (their alternation, named
    groups made plain so they can repeat): a path it does not match needs no per-pattern test.
    None when the alternation does not compile (inline global flags): test every pattern."""
    if not patterns:
        return None
    sources = [re.sub(r"\(\?P<\w+>", "(?:", p.regex.pattern) for p in patterns]
    try:
        return re.compile("|".join(f"(?:{source})" for source in sources))
    except re.error:
        return None


@dataclass(frozen=True)
class _Rules:
    """The patterns of one ignore file (or of the exclude settings) and the directory they are
    relative to, given as the prefix of base-relative paths below it ("" for the base)."""

    anchor: str
    patterns: tuple[Any, ...]
    source: str = "`exclude`"  # how `-v` names the rules: "`exclude`" or the ignore file's path
    screen: re.Pattern[str] | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "screen", _screen(self.patterns))

    def verdict(self, rel: str) -> bool | None:
        """True: ignored; False: re-included by a `!` pattern; None: no pattern applies."""
        if not rel.startswith(self.anchor):
            return None
        path = rel[len(self.anchor) :]
        if self.screen is not None and self.screen.match(path) is None:
            return None  # most paths match no pattern: one regex says so instead of one per pattern
        decision: bool | None = None
        for pattern in self.patterns:  # the last matching pattern wins, as in git
            if _matches_itself(pattern, path):
                decision = bool(pattern.include)
        return decision


def _ignored(rel: str, layers: tuple[_Rules, ...]) -> _Rules | None:
    """The deepest ignore file with an opinion decides, as in git; it, if it ignores `rel`."""
    for rules in reversed(layers):
        verdict = rules.verdict(rel)
        if verdict is not None:
            return rules if verdict else None
    return None


def _read_rules(file: Path, anchor: str, name: str) -> tuple[_Rules, ...]:
    """An ignore file as a layer; an unreadable or malformed one is skipped (it only narrows)."""
    try:
        patterns = _compile(file.read_text(encoding="utf-8", errors="replace").splitlines())
    except (OSError, ValueError, TypeError):
        return ()
    return (_Rules(anchor, patterns, name),) if patterns else ()


# --------------------------------------------------------------------------- walking


@dataclass(frozen=True)
class _Scope:
    """What is fixed for one walk: the directory paths are relative to, and the exclusions."""

    base: Path
    exclude: _Rules
    gitignore: bool

    def excluded(self, rel: str, layers: tuple[_Rules, ...]) -> str | None:
        """Why `rel` is left out (for `-v`), or None if it is not."""
        if self.exclude.verdict(rel):
            return "matches `exclude` or `extend-exclude`"
        rules = _ignored(rel, layers) if self.gitignore else None
        return f"ignored by {rules.source}" if rules is not None else None


@dataclass
class _Collector:
    """Results shared by all walks of one run; files keyed by real path to drop duplicates.

    Symlinked directories are walked last (`deferred`), so a tree reachable both directly and
    through a link is named by its real location, whatever order the walk meets them in.
    """

    files: dict[str, SourceFile] = field(default_factory=dict)
    errors: dict[str, FileError] = field(default_factory=dict)
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (path, why), pruned directories end in "/"
    visited: set[str] = field(default_factory=set)
    deferred: list[Callable[[], None]] = field(default_factory=list)

    def add_file(self, scope: _Scope, rel: str, real: str) -> None:
        if rel.endswith(".pyi"):
            return
        found = SourceFile(path=rel, abspath=scope.base / rel, module=module_name(rel))
        kept = self.files.get(real)
        if kept is None or _preference(found, real) < _preference(kept, real):
            self.files[real] = found

    def add_error(self, rel: str, reason: str) -> None:
        self.errors.setdefault(rel or ".", FileError(path=rel or ".", reason=reason))

    def drain(self) -> None:
        """Walk the deferred symlinked directories (which may defer more) until none is left."""
        while self.deferred:
            self.deferred.pop(0)()


def _preference(file: SourceFile, real: str) -> tuple[bool, str]:
    """The same file reached twice keeps its real name, else the smallest one (stable)."""
    return (str(file.abspath) != real, file.path)


def _join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


def _link_problem(exc: OSError) -> str:
    return "symbolic link loop" if exc.errno == errno.ELOOP else "broken symbolic link"


def _may_be_python(name: str) -> bool:
    """A dangling link is only worth reporting if it could have been a module or a package."""
    return name.endswith(".py") or "." not in name.lstrip(".")


def _list_dir(directory: Path, rel: str, collector: _Collector) -> list[os.DirEntry[str]] | None:
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except OSError as exc:
        collector.add_error(rel, f"cannot read directory: {exc.strerror or exc}")
        return None


def _walk(
    scope: _Scope,
    collector: _Collector,
    directory: Path,
    rel: str,
    real: str,
    layers: tuple[_Rules, ...],
    ancestors: frozenset[str],
) -> None:
    """Collect the Python files below `directory`, pruning excluded directories."""
    if real in collector.visited:  # reached before through another path or argument
        return
    collector.visited.add(real)
    entries = _list_dir(directory, rel, collector)
    if entries is None:
        return
    if scope.gitignore and any(entry.name == GITIGNORE for entry in entries):
        anchor = rel + "/" if rel else ""
        layers = layers + _read_rules(directory / GITIGNORE, anchor, anchor + GITIGNORE)
    ancestors = ancestors | {real}
    for entry in entries:
        child_rel, child_real = _join(rel, entry.name), os.path.join(real, entry.name)
        _visit(scope, collector, entry, child_rel, child_real, layers, ancestors)


def _visit(
    scope: _Scope,
    collector: _Collector,
    entry: os.DirEntry[str],
    rel: str,
    real: str,
    layers: tuple[_Rules, ...],
    ancestors: frozenset[str],
) -> None:
    """One directory entry: recurse into a directory, keep a `.py` file, report a bad link."""
    if entry.is_symlink():
        try:
            os.stat(entry.path)
        except OSError as exc:
            if _may_be_python(entry.name) and not scope.excluded(rel, layers):
                collector.add_error(rel, _link_problem(exc))
            return
        real = os.path.realpath(entry.path)
    if entry.is_dir():
        why = scope.excluded(rel + "/", layers)
        if why is not None:
            collector.excluded.append((rel + "/", why))
            return
        if real in ancestors:
            collector.add_error(rel, "symbolic link loop")
            return
        walk = partial(_walk, scope, collector, Path(entry.path), rel, real, layers, ancestors)
        if entry.is_symlink():
            collector.deferred.append(walk)
        else:
            walk()
    elif entry.is_file() and entry.name.endswith(".py"):
        why = scope.excluded(rel, layers)
        if why is None:
            collector.add_file(scope, rel, real)
        else:
            collector.excluded.append((rel, why))


# --------------------------------------------------------------------------- arguments


@dataclass(frozen=True)
class _Target:
    """A path argument: where it is, and how to name what lies below it."""

    path: Path  # absolute; symlinks in the parent resolved, the last part kept as named
    base: Path
    rel: str


def _locate(path: str | Path, root: Path) -> _Target:
    absolute = Path(os.path.abspath(Path(path).expanduser()))
    if not os.path.lexists(absolute):
        raise FileNotFoundError(f"{path}: no such file or directory")
    logical = absolute.parent.resolve() / absolute.name if absolute.name else absolute.resolve()
    if logical == root or root in logical.parents:
        rel = logical.relative_to(root).as_posix() if logical != root else ""
        return _Target(logical, root, rel)
    if not logical.name:  # the filesystem root itself
        return _Target(logical, logical, "")
    # Outside the root: name it relative to its own parent; keep it simple, never crash.
    return _Target(logical, logical.parent, logical.name)


def _initial_layers(target: _Target) -> tuple[_Rules, ...]:
    """The ignore files that apply above a directory argument: `.git/info/exclude` of the base
    and every `.gitignore` from the base down to the argument's parent (the argument's own
    `.gitignore` is read by the walk)."""
    layers = _read_rules(target.base.joinpath(*GIT_INFO_EXCLUDE), "", "/".join(GIT_INFO_EXCLUDE))
    if not target.rel:
        return layers
    parts = target.rel.split("/")[:-1]
    for depth in range(len(parts) + 1):
        anchor = "".join(part + "/" for part in parts[:depth])
        file = target.base.joinpath(*parts[:depth], GITIGNORE)
        if file.is_file():
            layers += _read_rules(file, anchor, anchor + GITIGNORE)
    return layers


def _discover_target(target: _Target, settings: Settings, exclude: _Rules, collector: _Collector) -> None:
    """An argument itself is never excluded: naming a path is the strongest signal there is."""
    scope = _Scope(target.base, exclude, settings.respect_gitignore)
    try:
        os.stat(target.path)
    except OSError as exc:
        collector.add_error(target.rel, _link_problem(exc))
        return
    if target.path.is_dir():
        layers = _initial_layers(target) if settings.respect_gitignore else ()
        real = os.path.realpath(target.path)
        _walk(scope, collector, target.path, target.rel, real, layers, frozenset())
    elif target.path.is_file():
        collector.add_file(scope, target.rel, os.path.realpath(target.path))


def discover(paths: Sequence[str | Path], settings: Settings) -> Discovery:
    """The sorted, de-duplicated Python files under `paths` (the project root if none)."""
    if settings.project_root:
        root = Path(settings.project_root).resolve()
    else:
        root = find_project_root(paths)
    targets = sorted((_locate(p, root) for p in (paths or [root])), key=lambda t: str(t.path))
    exclude = _Rules("", _compile([*settings.exclude, *settings.extend_exclude]))
    collector = _Collector()
    for target in targets:
        _discover_target(target, settings, exclude, collector)
    collector.drain()
    files = sorted(collector.files.values(), key=lambda f: (f.path, str(f.abspath)))
    errors = sorted(collector.errors.values(), key=lambda e: (e.path, e.reason))
    return Discovery(root=root, files=files, errors=errors, excluded=sorted(set(collector.excluded)))

"""Rule discovery: built-ins from `deadweight.rules`, third-party rules from the entry-point
group `deadweight.rules`, and local rule files named in config (`plugins`).

Local plugins are loaded only because a config file names them: a scanned repository can
never make deadweight execute its code by merely containing a rules folder.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import sys
from importlib.metadata import entry_points
from pathlib import Path

from deadweight.rules.base import Rule


class PluginError(Exception):
    """A configured plugin could not be loaded; the CLI reports it and exits 2."""


def _rules_in(module: object) -> list[type[Rule]]:
    out = []
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if (
            issubclass(obj, Rule)
            and obj is not Rule
            and getattr(obj, "code", None)
            and obj.__module__ == getattr(module, "__name__", None)
        ):
            out.append(obj)
    return out


def builtin_rules() -> list[type[Rule]]:
    import deadweight.rules as pkg

    found: list[type[Rule]] = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"deadweight.rules.{info.name}")
        found.extend(_rules_in(module))
    return found


def entry_point_rules() -> list[type[Rule]]:
    found: list[type[Rule]] = []
    for ep in entry_points(group="deadweight.rules"):
        try:
            obj = ep.load()
        except Exception as exc:
            raise PluginError(f"entry point {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        if inspect.isclass(obj) and issubclass(obj, Rule):
            found.append(obj)
        elif inspect.ismodule(obj):
            found.extend(_rules_in(obj))
    return found


def plugin_rules(paths: tuple[str, ...]) -> list[type[Rule]]:
    found: list[type[Rule]] = []
    for p in paths:
        path = Path(p)
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        if not path.exists():
            raise PluginError(f"plugins: {p}: no such file or directory")
        for f in files:
            name = f"deadweight_plugin_{abs(hash(str(f.resolve())))}_{f.stem}"
            spec = importlib.util.spec_from_file_location(name, f)
            if spec is None or spec.loader is None:
                raise PluginError(f"plugins: {f}: not a Python file")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                raise PluginError(f"plugins: {f}: failed to load: {type(exc).__name__}: {exc}") from exc
            found.extend(_rules_in(module))
    return found


def all_rules(plugins: tuple[str, ...] = ()) -> list[type[Rule]]:
    """Every known rule, sorted by code; a duplicated code is an error."""
    rules = [*builtin_rules(), *entry_point_rules(), *plugin_rules(plugins)]
    seen: dict[str, type[Rule]] = {}
    for r in rules:
        if r.code in seen and seen[r.code] is not r:
            raise PluginError(f"rule code {r.code} is defined twice: {seen[r.code].__module__} and {r.__module__}")
        seen[r.code] = r
    return sorted(seen.values(), key=lambda r: r.code)


def select_rules(
    rules: list[type[Rule]], select: tuple[str, ...] | None, extend_select: tuple[str, ...], ignore: tuple[str, ...]
) -> list[type[Rule]]:
    """ruff-style selection by code prefix; preview rules only when selected by exact code or prefix."""

    def match(code: str, patterns: tuple[str, ...]) -> bool:
        return any(code.startswith(p) for p in patterns)

    if select is None:
        chosen = [r for r in rules if not r.preview]
    else:
        chosen = [
            r for r in rules if match(r.code, select) and (not r.preview or r.code in select or select != ("DW",))
        ]
    chosen += [r for r in rules if match(r.code, extend_select) and r not in chosen]
    return [r for r in chosen if not match(r.code, ignore)]


def unknown_codes(rules: list[type[Rule]], patterns: tuple[str, ...]) -> list[str]:
    """Selectors that match no rule (typos like DW110): reported as config errors."""
    return [p for p in patterns if not any(r.code.startswith(p) for r in rules)]

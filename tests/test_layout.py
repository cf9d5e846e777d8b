"""The package's shape: one-way arrows between pipeline stages, no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import deadweight

ROOT = Path(deadweight.__file__).parent


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every deadweight module this file imports at run time (TYPE_CHECKING blocks excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    me = _module(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("deadweight"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if not base.startswith("deadweight"):
                continue
            for a in node.names:
                candidate = f"{base}.{a.name}"
                out.add(candidate if candidate in MODULES else base)
    out.discard(me)
    return out


MODULES = {_module(p): p for p in ROOT.rglob("*.py")}
GRAPH = {m: {i for i in _imports(p) if i in MODULES and i != "deadweight"} for m, p in MODULES.items()}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(GRAPH[m]):
            if state.get(n) == 1:
                return [*stack[stack.index(n) :], n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(GRAPH):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle() -> None:
    assert _cycle() is None, " -> ".join(_cycle() or [])


# Stages, upstream first; a stage may import only itself and stages to its left. Shared plain
# data (settings, findings) and the conventions' tables sit at the bottom.
STAGES = [
    "settings",
    "conventions",
    "extract",
    "findings",
    "activity",
    "discover",
    "engine",
    "model",
    "rules",
    "filter",
    "fix",
    "report",
    "api",
]


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_pipeline_arrows_point_one_way() -> None:
    backwards = []
    for m, deps in GRAPH.items():
        here = _stage(m)
        if here is None:
            continue
        for d in deps:
            there = _stage(d)
            if there is not None and STAGES.index(there) > STAGES.index(here):
                backwards.append(f"{m} imports {d}")
    assert not backwards, "\n".join(sorted(backwards))


def test_framework_names_live_only_in_conventions() -> None:
    """A framework's name in the engine means its knowledge leaked out of `conventions/`."""
    names = ("transformers", "diffusers", "timm", "swissarmytransformer", "lightning", "ACT2FN", "HOOKS_DEFAULT")
    leaks = []
    for m, p in MODULES.items():
        if m.startswith(("deadweight.conventions", "deadweight.rules.dw")):
            continue  # rules' documentation and examples may name frameworks
        for number, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for n in names:
                if f'"{n}' in code or f"'{n}" in code:
                    leaks.append(f"{m}:{number}: {line.strip()}")
    assert not leaks, "\n".join(leaks)

"""What an import binds, as a dotted name: shared by the project linker and the environment
loader, so both resolve `from ..x import Y` the way Python would."""

from __future__ import annotations

from deadweight.extract.facts import FileFacts, Import


def package_of(f: FileFacts) -> str:
    """The package a file's relative imports start from (`a.b` for `a/b/__init__.py` and `a/b/c.py`)."""
    return f.module if f.path.endswith("__init__.py") else f.module.rpartition(".")[0]


def import_target(f: FileFacts, imp: Import) -> str:
    """`from ..layers import Mlp` in `pkg/models/vit.py` -> `pkg.layers.Mlp`; `import a.b` -> `a.b`."""
    base = imp.module or ""
    if imp.level:
        pkg = package_of(f).split(".") if package_of(f) else []
        if imp.level > 1:
            pkg = pkg[: len(pkg) - (imp.level - 1)] if imp.level - 1 <= len(pkg) else []
        base = ".".join([*pkg, *([base] if base else [])])
    if imp.name is None:
        return base
    return f"{base}.{imp.name}" if base else imp.name


def dotted_suffixes(module: str) -> list[str]:
    """`pkg.models.llama` -> `pkg.models.llama`, `models.llama`, `llama`: the names a module
    can be imported under when the scan root is not its import root."""
    parts = module.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]

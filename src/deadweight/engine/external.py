"""Third-party classes the project builds on, read from its environment, lazily.

Only the modules needed to resolve the project's base classes are parsed: for each base the
project names (`from mmengine.model import BaseModule`), the defining module is found on the
environment's search path, re-exports (`from .base_module import BaseModule`, `import *`)
are followed, and then that class's own bases, transitively. Those files become facts like
any other (same extractor, same content-hash cache), marked external by their path prefix:
they give the project MROs, module-ness, inherited methods and entry points, and nothing in
them is ever reported.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable

from deadweight.engine.environment import Environment
from deadweight.extract.facts import EXTERNAL_PREFIX, ExtractResult, FileFacts, Import
from deadweight.extract.imports import dotted_suffixes, import_target

MAX_EXTERNAL_FILES = 400  # a bound on one run's environment reading (torch's nn is ~60 files)
MAX_FILE_BYTES = 2 * 1024 * 1024

Extractor = Callable[[str, bytes, str], ExtractResult]


def _qualify(f: FileFacts, dotted: str) -> list[str]:
    """Fully qualified candidates for a name as written in file `f`."""
    head, _, rest = dotted.partition(".")
    if any(c.qualname == head for c in f.classes):
        return [f"{f.module}.{dotted}"]
    for imp in reversed(f.imports):
        if imp.local == head:
            target = import_target(f, imp)
            return [f"{target}.{rest}" if rest else target]
    return [
        f"{import_target(f, Import('*', imp.module, None, imp.level))}.{dotted}"
        for imp in f.imports
        if imp.local == "*"
    ]


class Loader:
    def __init__(self, env: Environment, project: list[FileFacts], extractor: Extractor | None = None) -> None:
        if extractor is None:
            from deadweight.extract.file import extract  # libcst: only when a base needs reading

            extractor = extract
        self.env = env
        self.extractor: Extractor = extractor
        # Every dotted suffix of a project module (`pkg.models.llama` -> also `models.llama`,
        # `llama`): a module name the project may be imported under is its own, not the
        # environment's. A set, because a large project asks this for every base it names.
        self.project_modules: set[str] = set()
        for f in project:
            self.project_modules.update(dotted_suffixes(f.module))
        self.loaded: dict[str, FileFacts | None] = {}
        self.parsed = 0  # environment files read so far (bounded by MAX_EXTERNAL_FILES)
        self.capped = False
        self.warnings: list[str] = []
        self.digests: dict[str, bytes] = {}  # label -> sha256 of the source read

    def _is_project(self, module: str) -> bool:
        return module in self.project_modules

    def module(self, name: str) -> FileFacts | None:
        if name in self.loaded:
            return self.loaded[name]
        self.loaded[name] = None
        if self._is_project(name):
            return None
        path = self.env.find_module(name)
        if path is None:
            return None
        if self.parsed >= MAX_EXTERNAL_FILES:
            if not self.capped:
                self.capped = True
                self.warnings.append(
                    f"read {MAX_EXTERNAL_FILES} modules of the environment, the most one run reads; "
                    f"bases defined beyond them (first: `{name}`) are not resolved"
                )
            return None
        self.parsed += 1
        try:
            data = path.read_bytes()[: MAX_FILE_BYTES + 1]
        except OSError as exc:
            self.warnings.append(f"cannot read {path}: {exc.strerror}")
            return None
        if len(data) > MAX_FILE_BYTES:
            self.warnings.append(f"{path}: too large to read as a base class's source")
            return None
        label = EXTERNAL_PREFIX + (name.replace(".", "/") + ("/__init__.py" if path.name == "__init__.py" else ".py"))
        self.digests[label] = hashlib.sha256(data).digest()
        result = self.extractor(label, data, name)
        if result.facts is None:
            reason = result.error.reason if result.error else "no facts"
            self.warnings.append(f"{path}: {reason}; its classes are not read")
            return None
        self.loaded[name] = result.facts
        return result.facts

    def resolve(self, qualname: str) -> tuple[FileFacts, str] | None:
        """Load the module defining `qualname`; (its facts, the class name) or None."""
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            mod = ".".join(parts[:cut])
            if self._is_project(mod):
                return None
            f = self.module(mod)
            if f is not None:
                return f, ".".join(parts[cut:])
        return None

    def run(self, project: list[FileFacts]) -> list[FileFacts]:
        queue: deque[tuple[str, int]] = deque()
        seen: set[str] = set()

        def push(qualname: str, depth: int) -> None:
            # Deduplicated when queued, not when taken: star imports re-export one name through
            # many modules (torch's `__init__`), and checking on pop let the queue grow without
            # bound (a peft run with --python reached 23 GiB).
            if qualname not in seen and depth <= 24:
                seen.add(qualname)
                queue.append((qualname, depth))

        for f in project:
            for c in f.classes:
                for b in c.bases:
                    for q in _qualify(f, b):
                        push(q, 0)
        while queue:
            qualname, depth = queue.popleft()
            found = self.resolve(qualname)
            if found is None:
                continue
            f, name = found
            cls = next((c for c in f.classes if c.qualname == name), None)
            if cls is not None:
                for b in cls.bases:
                    for q in _qualify(f, b):
                        push(q, depth + 1)
                continue
            head = name.split(".")[0]  # a re-export: follow the import that binds the name
            for imp in f.imports:
                if imp.local == head:
                    push(import_target(f, imp) + name[len(head) :], depth + 1)
                elif imp.local == "*" and "." not in name:
                    # `from .x import *` binds names, not `a.B` paths: following those through
                    # every star import multiplied submodule names (transformers' models/__init__)
                    push(f"{import_target(f, Import('*', imp.module, None, imp.level))}.{name}", depth + 1)
        return [f for f in self.loaded.values() if f is not None]


def load_external(
    project: list[FileFacts],
    env: Environment,
    extractor: Extractor | None = None,
    digests: dict[str, bytes] | None = None,
) -> tuple[list[FileFacts], list[str]]:
    """The environment's facts the project's base classes need, and warnings; `digests`, when
    given, gets the content digest of each file read (an incremental run compares them)."""
    loader = Loader(env, project, extractor)
    out = loader.run(project)
    if digests is not None:
        digests.update(loader.digests)
    return out, loader.warnings

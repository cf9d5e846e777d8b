"""FileFacts[] -> Project: names resolved across files, module classes, MROs and weights.

Resolution follows what Python would do at import time, without importing: a file's names
come from its imports (absolute, relative, aliased), its own classes and its module-level
aliases; `__init__` re-exports are followed. When a scan root is not the import root (a
`src/` layout, or a sub-folder given on the command line) absolute imports fall back to the
unique module whose dotted name ends with the imported one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from deadweight.conventions import (
    ACTIVATION_REGISTRIES,
    CONTAINER_BASES,
    CONTAINERS,
    LAYER_ARGUMENT_PATTERN,
    MODULE_BASES,
    MODULE_FACTORY_PATTERN,
    MODULE_NAMESPACES,
    NOT_MODULES,
    is_entry_point,
    is_init_method,
    is_parameter_free,
)
from deadweight.extract import facts as F
from deadweight.extract.imports import dotted_suffixes, import_target
from deadweight.model import deps
from deadweight.model.callsites import CallSites
from deadweight.model.products import passed_through, product
from deadweight.settings import Settings

WEIGHT_KINDS = frozenset({F.PARAMETER, F.BUFFER, F.MODULE})

# Python's own roots: a base from these is known not to be a torch module, so it is never
# reported as an unresolved base. (The standard library is not part of the analyzed project.)
_PYTHON_ROOTS = ("abc.", "typing.", "typing_extensions.", "enum.", "collections.", "dataclasses.", "builtins.")
_BUILTIN_BASES = frozenset(
    {
        "object",
        "Exception",
        "BaseException",
        "ValueError",
        "RuntimeError",
        "dict",
        "list",
        "tuple",
        "set",
        "str",
        "int",
        "float",
        "type",
        "NamedTuple",
        "Generic",
        "Protocol",
        "ABC",
    }
)


# torch's module root holds no parameters or buffers of its own: a fact of torch, not readable
# from a project that does not ship torch's sources.
_STATELESS_ROOTS = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module"})
_REEXPORT_DEPTH = 4  # `from pkg import f` through package `__init__` re-exports


# Project-wide indexes built on first use, by name (`Project.index`): a rule that needs one
# registers its builder here, so that an incremental run can build it to compare answers.
INDEXES: dict[str, Callable[[Project, deps.Index[Any, Any]], None]] = {}


def _known_non_module(base: str) -> bool:
    return base in _BUILTIN_BASES or base.startswith(_PYTHON_ROOTS)


class ClassInfo:
    """A class of the project or of the environment, with what linking learnt about it.

    Reading its facts touches them, reading what linking computed touches its links
    (`model.deps`): an incremental run re-judges whatever read something that changed."""

    __slots__ = (
        "_bases",
        "_facts",
        "_file",
        "_is_module",
        "_module_certain",
        "_module_evidence",
        "_mro",
        "_subclasses",
        "_unknown_bases",
        "_unresolved_bases",
        "dep",
        "key",
        "link_dep",
    )

    def __init__(self, key: str, facts: F.ClassFacts, file: F.FileFacts) -> None:
        self.key = key  # "pkg.mod.Outer.Inner"
        self._facts = facts
        self._file = file
        self.dep = "c:" + key  # its facts (its file's module-level facts are `f:<path>`)
        self.link_dep = "l:" + key
        self._bases: list[ClassInfo | str] = []  # repo class or external qualname
        self._unresolved_bases: list[str] = []
        self._subclasses: list[ClassInfo] = []
        self._mro: list[ClassInfo] = []
        self._is_module = False
        self._module_certain = True  # False when module-ness was inferred from the class's own code
        # Why an uncertain module was judged as one ("its base `X` is not resolved; it calls
        # `register_buffer`"), and, for a class not judged, the bases nothing resolved.
        self._module_evidence: str | None = None
        self._unknown_bases: list[str] = []

    def rekey(self, key: str) -> None:
        self.key = key
        self.dep = "c:" + key
        self.link_dep = "l:" + key

    @property
    def facts(self) -> F.ClassFacts:
        deps.frame.add(self.dep)
        return self._facts

    @property
    def file(self) -> F.FileFacts:
        """Not an input by itself: what reads the file's facts (resolution) touches `f:`."""
        return self._file

    @property
    def bases(self) -> list[ClassInfo | str]:
        deps.frame.add(self.link_dep)
        return self._bases

    @property
    def unresolved_bases(self) -> list[str]:
        deps.frame.add(self.link_dep)
        return self._unresolved_bases

    @property
    def subclasses(self) -> list[ClassInfo]:
        deps.frame.add(self.link_dep)
        return self._subclasses

    @property
    def mro(self) -> list[ClassInfo]:
        deps.frame.add(self.link_dep)
        return self._mro

    @mro.setter
    def mro(self, value: list[ClassInfo]) -> None:
        self._mro = value

    @property
    def is_module(self) -> bool:
        deps.frame.add(self.link_dep)
        return self._is_module

    @is_module.setter
    def is_module(self, value: bool) -> None:
        self._is_module = value

    @property
    def module_certain(self) -> bool:
        deps.frame.add(self.link_dep)
        return self._module_certain

    @module_certain.setter
    def module_certain(self, value: bool) -> None:
        self._module_certain = value

    @property
    def module_evidence(self) -> str | None:
        deps.frame.add(self.link_dep)
        return self._module_evidence

    @module_evidence.setter
    def module_evidence(self, value: str | None) -> None:
        self._module_evidence = value

    @property
    def unknown_bases(self) -> list[str]:
        deps.frame.add(self.link_dep)
        return self._unknown_bases

    @unknown_bases.setter
    def unknown_bases(self, value: list[str]) -> None:
        self._unknown_bases = value

    def link_record(self) -> tuple[object, ...]:
        """What linking computed for this class, by keys: equal records, equal links."""
        return (
            tuple(b.key if isinstance(b, ClassInfo) else b for b in self._bases),
            tuple(self._unresolved_bases),
            tuple(c.key for c in self._subclasses),
            tuple(c.key for c in self._mro),
            self._is_module,
            self._module_certain,
            self._module_evidence,
            tuple(self._unknown_bases),
        )

    @property
    def name(self) -> str:
        return self._facts.qualname  # part of the key: no input of its own

    @property
    def path(self) -> str:
        return self._file.path

    @property
    def external(self) -> bool:
        """Read from the environment: informs subclasses, is never judged or reported itself."""
        return F.is_external(self._file.path)

    def __repr__(self) -> str:
        return f"<ClassInfo {self.key}>"


class WeightKind(str, Enum):
    """What a weight is. Facts keep the plain interned strings (cheap to cache and decode);
    the model types them here, and each member compares equal to its fact string."""

    PARAMETER = F.PARAMETER
    BUFFER = F.BUFFER
    MODULE = F.MODULE

    def __str__(self) -> str:
        return str(self.value)


@dataclass(eq=False)
class Weight:
    """An attribute a module class creates as a parameter, buffer or submodule."""

    cls: ClassInfo
    name: str
    write: F.Write  # the definition reported (first weight-kind write in init order)
    writes: tuple[F.Write, ...]
    kind: WeightKind
    ctor: str | None  # resolved qualified name of the constructor, if known
    parameter_free: bool
    conditional: bool  # some configuration leaves it None or unset
    certain: bool  # False when the constructor could not be shown to build a module
    doubt: str | None = None  # why not certain, when more is known than "could not be shown"
    aliases: tuple[str, ...] = ()  # other attributes bound to the same object (`self.conv = self.Conv2d_0 = conv`)

    @property
    def owner(self) -> str:
        return self.cls.name

    @property
    def path(self) -> str:
        return self.cls.path


class Project:
    """The linked model every semantic rule reads."""

    def __init__(self, files: list[F.FileFacts], settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.settings = settings
        self.files = sorted(files, key=lambda f: f.path)
        self.entry_points = frozenset(settings.entry_points)
        self.init_methods = frozenset(settings.init_methods)
        self.module_bases = frozenset(settings.module_bases)
        self.modules: dict[str, F.FileFacts] = {}
        self.modules_by_path = {f.path: f for f in self.files}
        for f in self.files:
            self.modules.setdefault(f.module, f)
        self._suffixes: dict[str, list[F.FileFacts]] | None = None
        self._resolved: dict[tuple[str, str], str | ClassInfo | None] = deps.Memo()
        self._functions_resolved: dict[tuple[str, str], tuple[F.FileFacts, F.FunctionFacts] | None] = deps.Memo()
        self._descendants: dict[str, list[ClassInfo]] = deps.Memo()
        self.classes: dict[str, ClassInfo] = deps.Keyed()
        self._file_classes: dict[str, dict[str, ClassInfo]] = {}
        self.by_file: dict[str, list[ClassInfo]] = {}  # every class of a file, in order
        for f in self.files:
            local: dict[str, ClassInfo] = {}
            for c in f.classes:
                key = f"{f.module}.{c.qualname}"
                info = ClassInfo(key, c, f)
                if key in self.classes:  # redefinition (if/else at module level): keep both
                    key = f"{key}@{c.span.line}"
                    info.rekey(key)
                self.classes[key] = info
                self.by_file.setdefault(f.path, []).append(info)
                local[c.qualname] = info  # the last definition wins, as at runtime
            self._file_classes[f.path] = local
        self.functions: dict[str, tuple[F.FileFacts, F.FunctionFacts]] = deps.Keyed()
        for f in self.files:
            for fn in f.functions:
                self.functions[f"{f.module}.{fn.name}"] = (f, fn)
        # Reads in init-only functions (`_init_weights(module)` zeroing `module.bias`) set
        # values; they say nothing about whether some module is used. `__init__` is where
        # objects are wired together (a loss keeping `model.head.flow`), so its reads count.
        # Project-wide answers are `deps.Index`es: a lookup is an input of the unit that asks.
        self.external_reads: deps.Index[str, None] = deps.Index("external_reads")
        self.key_read_by: deps.Index[str, str] = deps.Index("key_read_by")  # loading helpers: any class's weight
        self.external_grabs: deps.Index[str, str] = deps.Index("external_grabs")
        self.external_calls: deps.Index[str, None] = deps.Index("external_calls")
        for f in self.files:
            if F.is_external(f.path):
                continue
            for attr, reader in f.external_reads:
                if not (reader and reader != "__init__" and is_init_method(reader, self.init_methods)):
                    self.external_reads[attr] = None
            for fn in f.functions:  # names a module-level loading helper reads by checkpoint key
                for name in fn.key_reads:
                    self.key_read_by[name] = f"{f.module}.{fn.name}"
            for name, where in f.external_grabs:
                self.external_grabs[name] = where
            for name in f.external_calls:
                self.external_calls[name] = None
        self.indexes: dict[str, deps.Index[Any, Any]] = {}
        for index in (self.external_reads, self.key_read_by, self.external_grabs, self.external_calls):
            self.register(index)
        self._link_bases()
        self._mark_modules()
        self._compute_mros()
        self._inherit_evidence()
        self._weights: dict[str, list[Weight]] = deps.Memo()
        self._stateless_cache: dict[str, bool] = deps.Memo()
        self._stateless_active: set[str] = set()  # being answered (cycle guard)
        self._builders: dict[str, set[str]] = deps.Memo()
        self._stored: dict[str, dict[str, set[str]]] = deps.Memo()
        self._visible: dict[str, dict[str, tuple[ClassInfo, F.MethodFacts]]] = deps.Memo()
        self._method_indexes: dict[str, dict[str, F.MethodFacts]] = {}
        self._own_methods: dict[str, dict[str, F.MethodFacts]] = {}
        self._write_indexes: dict[str, dict[str, list[F.Write]]] = {}
        self._attribute_types: dict[tuple[str, str], ClassInfo | None] = deps.Memo()
        # Method names repeat across thousands of classes: classify each name once.
        self._entry_names: dict[str, bool] = {}
        self._init_names: dict[str, bool] = {}
        self.callsites = CallSites(self)

    def register(self, index: deps.Index[Any, Any]) -> None:
        """Make an index's answers comparable between runs (see rules.incremental)."""
        self.indexes[index.name] = index

    def index(self, name: str) -> deps.Index[Any, Any]:
        """A project-wide index of `INDEXES` (built once per run, shared by every unit)."""
        hit = self.indexes.get(name)
        if hit is None:
            hit = deps.Index(name)
            with deps.isolated():
                INDEXES[name](self, hit)
            self.register(hit)
        return hit

    def all_weights(self, scope: str | None = None) -> list[Weight]:
        return [w for c in self.weight_classes(scope) for w in self.weights(c)]

    def weight_classes(self, scope: str | None = None) -> list[ClassInfo]:
        """Module classes, and the mixins they are built from: `class Linear(nn.Module, LoraLayer)`
        runs `LoraLayer.__init__`, which creates the adapter weights, although `LoraLayer`
        itself (a plain `ABC`) is no module. Such a weight is judged in its module subclasses.

        `scope`, a file's path, limits them to that file's classes (one unit of judgement)."""
        out = self.module_classes(scope)
        out += [
            c
            for c in self._scoped(scope)
            if not c.is_module and not c.external and c.facts.writes and any(d.is_module for d in self.descendants(c))
        ]
        return out

    def _scoped(self, scope: str | None) -> list[ClassInfo]:
        return list(self.classes.values()) if scope is None else self.by_file.get(scope, [])

    # -- names ---------------------------------------------------------------------------
    def find_module(self, name: str) -> F.FileFacts | None:
        """The file of a module (its names are an input of whoever asked: touched here; the
        set of modules is the same in every run an incremental run reuses)."""
        hit = self._find_module(name)
        if hit is not None:
            deps.frame.add(deps.names_dep(hit.path))
        return hit

    def _find_module(self, name: str) -> F.FileFacts | None:
        if name in self.modules:
            return self.modules[name]
        if self._suffixes is None:
            # `from models.bert import X` in a repo whose package root is not the scan root:
            # a unique project module whose dotted name ends with it. Indexed once, because
            # every unresolved import asks.
            self._suffixes = {}
            for m, f in self.modules.items():
                if not F.is_external(f.path):
                    for suffix in dotted_suffixes(m)[1:]:  # the full name is `self.modules`'
                        self._suffixes.setdefault(suffix, []).append(f)
        hits = self._suffixes.get(name, ())
        return hits[0] if len(hits) == 1 else None

    def resolve(self, f: F.FileFacts, dotted: str, _depth: int = 0) -> str | ClassInfo | None:
        """A dotted name as written in file f -> a repo class, or an external qualified name.

        The same names are resolved from the same files for every weight, read and subclass,
        through re-export chains: top-level answers are cached."""
        if _depth:
            return self._resolve(f, dotted, _depth)
        key = (f.path, dotted)
        if key in self._resolved:
            return self._resolved[key]
        r = self._resolved[key] = self._resolve(f, dotted, 0)
        return r

    def _resolve(self, f: F.FileFacts, dotted: str, _depth: int) -> str | ClassInfo | None:
        if _depth > 12 or not dotted:
            return None
        deps.frame.add(deps.names_dep(f.path))
        head, _, rest = dotted.partition(".")
        local = self._file_classes.get(f.path, {})
        if head in local and not rest:
            return local[head]
        if dotted in local:
            return local[dotted]
        for imp in reversed(f.imports):
            if imp.local == head or (imp.name is None and imp.local == dotted):
                target = import_target(f, imp)
                full = f"{target}.{rest}" if rest and imp.local == head else target
                return self.resolve_qualified(full, _depth + 1)
        for alias, value in f.assignments:
            if alias == head and value != dotted:
                r = self.resolve(f, value, _depth + 1)
                if rest:
                    return None if isinstance(r, ClassInfo) else (f"{r}.{rest}" if r else None)
                return r
        for imp in f.imports:
            if imp.local == "*":
                target = import_target(f, F.Import("*", imp.module, None, imp.level))
                mod = self.find_module(target)
                if mod is not None and mod is not f:
                    r = self.resolve(mod, dotted, _depth + 1)
                    if r is not None:
                        return r
        return None

    def resolve_function(self, f: F.FileFacts, callee: str) -> F.FunctionFacts | None:
        """A dotted callee as written in file f -> a module-level function of the repo."""
        hit = self.resolve_function_in(f, callee)
        return hit[1] if hit is not None else None

    def class_table(self, f: F.FileFacts, name: str) -> tuple[F.FileFacts, tuple[str, ...]] | None:
        """A module-level table of classes named `name` where `f` sees it (its own, or imported),
        with the file whose imports its entries resolve in."""
        deps.frame.add(deps.names_dep(f.path))
        for table, classes in f.class_tables:
            if table == name:
                return f, classes
        head, _, rest = name.partition(".")
        for imp in f.imports:
            if imp.local == head:
                full = f"{import_target(f, imp)}.{rest}" if rest else import_target(f, imp)
                mod_name, _, tname = full.rpartition(".")
                mod = self.find_module(mod_name)
                if mod is not None and mod is not f:
                    for table, classes in mod.class_tables:
                        if table == tname:
                            return mod, classes
        return None

    def resolve_function_in(self, f: F.FileFacts, callee: str) -> tuple[F.FileFacts, F.FunctionFacts] | None:
        """The same, with the file that defines the function (its names resolve there)."""
        key = (f.path, callee)
        if key not in self._functions_resolved:
            self._functions_resolved[key] = self._resolve_function_in(f, callee)
        return self._functions_resolved[key]

    def _resolve_function_in(
        self, f: F.FileFacts, callee: str, depth: int = 0
    ) -> tuple[F.FileFacts, F.FunctionFacts] | None:
        deps.frame.add(deps.names_dep(f.path))  # the facts of the function found: its own file's
        local = f"{f.module}.{callee}"
        if local in self.functions:
            hit = self.functions[local]
            deps.frame.add(deps.file_dep(hit[0].path))
            return hit
        head, _, rest = callee.partition(".")
        for imp in f.imports:
            if imp.local == head:
                target = import_target(f, imp)
                full = f"{target}.{rest}" if rest else target
                mod_name, _, fname = full.rpartition(".")
                mod = self.find_module(mod_name)
                if mod is not None and f"{mod.module}.{fname}" in self.functions:
                    hit = self.functions[f"{mod.module}.{fname}"]
                    deps.frame.add(deps.file_dep(hit[0].path))
                    return hit
                if mod is not None and depth < _REEXPORT_DEPTH and mod is not f:
                    # `from timm.layers import create_classifier`: the package's `__init__`
                    # imports it from the module that defines it
                    return self._resolve_function_in(mod, fname, depth + 1)
        return None

    def resolve_qualified(self, qualname: str, _depth: int = 0) -> str | ClassInfo | None:
        """ "pkg.mod.Class" -> the repo class (following re-exports) or the name itself."""
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            mod = self.find_module(".".join(parts[:cut]))
            if mod is None:
                continue
            rest = ".".join(parts[cut:])
            r = self.resolve(mod, rest, _depth + 1)
            if r is not None:
                return r
            return qualname
        return qualname

    # -- classes ---------------------------------------------------------------------------
    def _link_bases(self) -> None:
        for info in self.classes.values():
            for b in info.facts.bases:
                r = self.resolve(info.file, b)
                if isinstance(r, ClassInfo):
                    if r is not info:
                        info.bases.append(r)
                        r.subclasses.append(info)
                elif r is not None:
                    info.bases.append(r)
                else:
                    info.unresolved_bases.append(b)
                    info.bases.append(b)

    def is_module_qualname(self, qualname: str) -> bool:
        if qualname in NOT_MODULES:
            return False
        if qualname in MODULE_BASES or qualname in self.module_bases:
            return True
        last = qualname.rsplit(".", 1)[-1]
        if last in self.module_bases:
            return True
        # A class of a module namespace: `torch.nn.Linear`, and private bases such as
        # `torch.nn.modules.loss._Loss` (capitalised after the underscore).
        return any(qualname.startswith(p) for p in MODULE_NAMESPACES) and last.lstrip("_")[:1].isupper()

    def _mark_modules(self) -> None:
        """A class is a module when an ancestor is a known module base; failing that, when
        some ancestor could not be resolved and the class's own code proves it (`_evidence`).
        """
        memo: dict[int, tuple[bool, bool, list[str]]] = {}

        def visit(info: ClassInfo, active: set[int]) -> tuple[bool, bool, list[str]]:
            if id(info) in memo:
                return memo[id(info)]
            if id(info) in active:
                return False, True, []
            if info.external and self.is_module_qualname(info.key):
                memo[id(info)] = (True, True, [])  # torch.nn.Module itself, read from the environment
                return memo[id(info)]
            active.add(id(info))
            unknown: list[str] = []
            found: tuple[bool, bool] | None = None
            for b in info.bases:
                if isinstance(b, ClassInfo):
                    mod, certain, below = visit(b, active)
                    if mod:
                        found = (True, certain)
                        break
                    unknown.extend(u for u in below if u not in unknown)
                elif self.is_module_qualname(b):
                    found = (True, True)
                    break
                elif not _known_non_module(b) and b not in unknown:
                    unknown.append(b)
            active.discard(id(info))
            if found is None and unknown:
                evidence = self._evidence(info)
                if evidence is not None:
                    names = ", ".join(f"`{u}`" for u in unknown[:2])
                    info.module_evidence = f"its base {names} is not resolved and {evidence}"
                    found = (True, False)
            result = (found[0], found[1], []) if found else (False, True, unknown)
            memo[id(info)] = result
            return result

        for info in self.classes.values():
            info.is_module, info.module_certain, info.unknown_bases = visit(info, set())

    def _inherit_evidence(self) -> None:
        """A subclass of an evidence-judged class gives that evidence as its reason (first
        such class in its MRO)."""
        for info in self.classes.values():
            if info.is_module and not info.module_certain and info.module_evidence is None:
                c = next((c for c in info.mro[1:] if c.module_evidence is not None), None)
                if c is not None:
                    info.module_evidence = (
                        f"it subclasses `{c.name}`, which is judged a module because {c.module_evidence}"
                    )

    def _evidence(self, info: ClassInfo) -> str | None:
        """What in a class's own code proves it is a module when its base cannot be resolved:
        registering a buffer, parameter or child, creating an `nn.Parameter`, or calling
        `super().__init__()` and assigning a layer that resolves to a module class."""
        for w in info.facts.writes:
            if w.via in ("register_buffer", "register_parameter", "add_module"):
                return f"it calls `{w.via}`"
        for w in info.facts.writes:
            if w.kind in (F.PARAMETER, F.BUFFER):
                return f"it creates a {w.kind} (`self.{w.attr}`)"
        init = info.facts.method("__init__")
        if init is not None and "__init__" in init.super_calls:
            why = "its `__init__` calls `super().__init__()`"
        elif info.facts.method("forward") is not None:
            why = "it defines `forward`"
        else:
            return None
        for w in info.facts.writes:
            if w.kind == F.MODULE and w.ctor and self.builds_module(info, w.ctor):
                return f"{why} and assigns the layer `self.{w.attr}` (`{w.ctor}`)"
        return None

    def builds_module(self, info: ClassInfo, ctor: str) -> bool:
        """Whether `ctor` as written in the class's file resolves to a module class."""
        r = self.resolve(info.file, ctor)
        if isinstance(r, ClassInfo):
            return r is not info and r.facts.method("forward") is not None
        return r is not None and self.is_module_qualname(r)

    def _compute_mros(self) -> None:
        for info in self.classes.values():
            info.mro = self._c3(info, set())

    def _c3(self, info: ClassInfo, active: set[int]) -> list[ClassInfo]:
        if info.mro:
            return info.mro
        if id(info) in active:
            return [info]
        active.add(id(info))
        seqs = [list(self._c3(b, active)) for b in info.bases if isinstance(b, ClassInfo)]
        seqs.append([b for b in info.bases if isinstance(b, ClassInfo)])
        out = [info]
        while True:
            seqs = [s for s in seqs if s]
            if not seqs:
                break
            for s in seqs:
                head = s[0]
                if not any(head in t[1:] for t in seqs):
                    break
            else:  # inconsistent hierarchy: fall back to depth-first order
                for s in seqs:
                    for c in s:
                        if c not in out:
                            out.append(c)
                break
            out.append(head)
            for s in seqs:
                if s and s[0] is head:
                    del s[0]
        active.discard(id(info))
        return out

    def is_container(self, info: ClassInfo) -> bool:
        """A Sequential/ModuleList/ModuleDict subclass: its children are consumed by iteration."""
        return any(isinstance(b, str) and b in CONTAINER_BASES for c in info.mro for b in c.bases)

    def module_classes(self, scope: str | None = None) -> list[ClassInfo]:
        return [c for c in self._scoped(scope) if c.is_module and not c.external]

    def descendants(self, info: ClassInfo) -> list[ClassInfo]:
        """Every repo subclass, transitively (cached: weights of a popular base ask often)."""
        cached = self._descendants.get(info.key)
        if cached is None:
            cached = self._descendants[info.key] = self._collect_descendants(info)
        return cached

    def _collect_descendants(self, info: ClassInfo) -> list[ClassInfo]:
        out: list[ClassInfo] = []
        stack = list(info.subclasses)
        seen: set[int] = set()
        while stack:
            c = stack.pop()
            if id(c) in seen:
                continue
            seen.add(id(c))
            out.append(c)
            stack.extend(c.subclasses)
        return out

    # -- methods ---------------------------------------------------------------------------
    def lookup(
        self, info: ClassInfo, name: str, after: ClassInfo | None = None
    ) -> tuple[ClassInfo, F.MethodFacts] | None:
        """Resolve a method through info's MRO (optionally starting after a class, for super())."""
        if after is None:
            return self.visible_methods(info).get(name)
        mro = info.mro
        try:
            mro = mro[mro.index(after) + 1 :]
        except ValueError:
            mro = after.mro[1:]
        return self._lookup_in(mro, name)

    def visible_methods(self, info: ClassInfo) -> dict[str, tuple[ClassInfo, F.MethodFacts]]:
        """Every method an instance of `info` has, by name, with the class that defines it.

        Reachability asks for every attribute a method reads, most of which are no method: one
        table per class, built from the MRO's own tables, answers each in one probe."""
        table = self._visible.get(info.key)
        if table is None:
            table = {}
            for c in reversed(info.mro):
                for name, m in self._method_index(c).items():
                    table[name] = (c, m)
            self._visible[info.key] = table
        return table

    def _lookup_in(self, mro: list[ClassInfo], name: str) -> tuple[ClassInfo, F.MethodFacts] | None:
        # super() lookups: the MRO after a class, one probe per class's table
        for c in mro:
            m = self._method_index(c).get(name)
            if m is not None:
                return c, m
        return None

    def _method_index(self, c: ClassInfo) -> dict[str, F.MethodFacts]:
        """A class's methods by name, plus class-level aliases (`__call__ = forward`); a method
        defined under the name wins over an alias, as in the class body."""
        deps.frame.add(c.dep)  # read from the class's own facts only: a plain cache
        index = self._method_indexes.get(c.key)
        if index is None:
            methods = self._methods(c)
            index = {}
            for attr, value in c.facts.class_attrs:
                if value.isidentifier() and attr not in index and value in methods:
                    index[attr] = methods[value]
            index.update(methods)
            self._method_indexes[c.key] = index
        return index

    def _methods(self, c: ClassInfo) -> dict[str, F.MethodFacts]:
        """A class's own methods by name; the first definition of a name, as `facts.method`."""
        deps.frame.add(c.dep)
        index = self._own_methods.get(c.key)
        if index is None:
            index = self._own_methods[c.key] = {m.name: m for m in reversed(c.facts.methods)}
        return index

    def is_entry(self, name: str) -> bool:
        hit = self._entry_names.get(name)
        if hit is None:
            hit = self._entry_names[name] = is_entry_point(name, self.entry_points)
        return hit

    def is_init(self, name: str) -> bool:
        hit = self._init_names.get(name)
        if hit is None:
            hit = self._init_names[name] = is_init_method(name, self.init_methods)
        return hit

    # -- weights ---------------------------------------------------------------------------
    def weights(self, info: ClassInfo) -> list[Weight]:
        """Weights a class itself defines in __init__ or a builder __init__ reaches."""
        if info.key not in self._weights:
            self._weights[info.key] = self._find_weights(info)
        return self._weights[info.key]

    def builder_methods(self, info: ClassInfo) -> set[str]:
        """Public, cached: the methods that build `info` (see `_builder_methods`)."""
        cached = self._builders.get(info.key)
        if cached is None:
            cached = self._builders[info.key] = self._builder_methods(info)
        return cached

    def stored(self, info: ClassInfo) -> dict[str, set[str]]:
        """Attributes holding a bound method or lambda, with what calling them runs or reads
        (`self.score_fn = self.dot_score` -> {"score_fn": {"dot_score"}}), over the MRO."""
        cached = self._stored.get(info.key)
        if cached is None:
            cached = self._stored[info.key] = {}
            for c in info.mro:
                for attr, target in c.facts.stored_calls:
                    cached.setdefault(attr, set()).add(target)
        return cached

    def _builder_methods(self, info: ClassInfo) -> set[str]:
        """__init__ and the methods of this class it calls on self (self._build_layers()); a
        method only stored for later (`self.score_fn = self.dot_score`) does not build."""
        names = {"__init__", "setup", "build"}
        stored = {t for _, t in info.facts.stored_calls}
        own = {m.name for m in info.facts.methods} - stored
        # A method that creates weights, that another method of the class calls (`prepare()`
        # running `self.init_architecture()`), that the framework does not call and that
        # returns nothing is construction: what it builds is a weight like what `__init__`
        # builds. One only called from outside (`fuse_projections()`, run by a pipeline on
        # every block) transforms a built module instead; one that returns a value hands what
        # it built to its caller (`setup_ema()`).
        returning = {m.name for m in info.facts.methods if m.returns_value}
        called = {
            r.chain[0] for r in info.facts.reads if len(r.chain) == 1 and r.kind == F.VALUE and r.method != r.chain[0]
        }
        names |= {
            w.method
            for w in info.facts.writes
            if w.method in own
            and w.method in called
            and w.method not in returning
            and not self.is_entry(w.method)
            and self._builds_for_certain(info, w)
        }
        frontier = list(names)
        while frontier:
            name = frontier.pop()
            for r in info.facts.reads:
                if (
                    r.method == name
                    and len(r.chain) == 1
                    and r.kind == F.VALUE
                    and r.chain[0] in own
                    and r.chain[0] not in names
                ) and not self.is_entry(r.chain[0]):
                    names.add(r.chain[0])
                    frontier.append(r.chain[0])
        return names

    def _module_default(self, info: ClassInfo, method: str, name: str) -> bool:
        """`name` is a parameter of `method` (or of `__init__`) whose default is a module class."""
        for m_name in dict.fromkeys((method, "__init__")):
            m = info.facts.method(m_name)
            default = dict(m.class_defaults).get(name) if m is not None else None
            if default is not None:
                r = self.resolve(info.file, default)
                return (isinstance(r, ClassInfo) and r.is_module) or (isinstance(r, str) and self.is_module_qualname(r))
        return False

    def _builds_for_certain(self, info: ClassInfo, w: F.Write) -> bool:
        """The write creates a parameter, a buffer or a module of a class the code shows to
        be one (`self.seq_len = x.size(1)` is no module, whatever its spelling suggests)."""
        if w.kind in (F.PARAMETER, F.BUFFER):
            return True
        if w.kind != F.MODULE or not w.ctor:
            return False
        r = self.resolve(info.file, w.ctor)
        if isinstance(r, ClassInfo):
            return r.is_module and r.module_certain
        return r is not None and self.is_module_qualname(r)

    def _find_weights(self, info: ClassInfo) -> list[Weight]:
        builders = self.builder_methods(info)
        by_attr: dict[str, list[F.Write]] = {}
        for w in info.facts.writes:
            if w.method in builders:
                by_attr.setdefault(w.attr, []).append(w)
        deleted = {
            r.chain[0] for r in info.facts.reads if r.kind == F.DELETE and r.method in builders and len(r.chain) == 1
        }
        out: list[Weight] = []
        for attr, writes in by_attr.items():
            if "*" in attr or attr in deleted:  # `self.weight = self.W; del self.W`
                continue
            weighty = [w for w in writes if w.kind in WEIGHT_KINDS]
            if not weighty:
                continue
            resolved = [(w, self._weight_ctor(info, w)) for w in weighty]
            real = [(w, r) for w, r in resolved if r[0]]
            if not real:
                continue
            write, (_, ctor, certain, doubt) = real[0]
            kind = write.kind
            pfree = kind == F.MODULE and all(self._holds_no_keys(info, w, r[1]) for w, r in real)
            conditional = any(w.kind == F.NONE for w in writes) or (
                all(w.conditional for w in weighty) and write.condition is not None
            )
            out.append(
                Weight(
                    info, attr, write, tuple(writes), WeightKind(kind), ctor, pfree, conditional, certain, doubt=doubt
                )
            )
        sources: dict[tuple[str, str], list[Weight]] = {}
        for weight in out:
            for wr in weight.writes:
                if wr.source:
                    sources.setdefault((wr.method, wr.source), []).append(weight)
        for group in sources.values():
            for weight in group:
                weight.aliases = tuple(dict.fromkeys(a.name for a in group if a is not weight))
        return out

    def holds_no_keys(self, info: ClassInfo, w: F.Write) -> bool:
        """The module one write builds puts nothing in a checkpoint (public for the models of
        configurations: a parameter-free placeholder replaced under a condition)."""
        return self._holds_no_keys(info, w, None)

    def _holds_no_keys(self, info: ClassInfo, w: F.Write, ctor: str | None) -> bool:
        """The module built here puts nothing in a checkpoint: a torch layer without
        parameters (`nn.ReLU`, `nn.Dropout`), or a repo class whose own weights are all
        non-persistent buffers or such layers (a rotary embedding's `inv_freq` cache)."""
        target = self.resolve(info.file, w.ctor) if w.ctor else None
        if isinstance(target, ClassInfo) and not target.external:
            return self._stateless(target)  # the repo's own `Upsample` is judged by its code, not its name
        made = (
            product(self, info, w.ctor, position=w.unpacked) if w.ctor and not isinstance(target, ClassInfo) else None
        )
        if made is not None and made.alternatives:  # `get_activation(name)` -> `ACT2CLS[name]()`
            return all(self._class_holds_no_keys(a) for a in made.alternatives)
        return is_parameter_free((ctor or w.ctor or "").rsplit(".", 1)[-1], dict(w.kwargs))

    def _class_holds_no_keys(self, ctor: str) -> bool:
        """A resolved class (a repo class key or a qualified name) built with no arguments we know."""
        k = self.classes.get(ctor)
        if k is not None and not k.external:
            return self._stateless(k)
        return is_parameter_free(ctor.rsplit(".", 1)[-1], {})

    def stateless(self, k: ClassInfo) -> bool:
        """A module class of the project that puts nothing in a checkpoint (public for rules)."""
        return self._stateless(k)

    def _stateless(self, k: ClassInfo) -> bool:
        hit = self._stateless_cache.get(k.key)
        if hit is not None:
            return hit
        if k.key in self._stateless_active:
            return False  # a cycle proves nothing
        self._stateless_active.add(k.key)
        try:
            ok = k.is_module and not k.unresolved_bases
            for c in k.mro if ok else ():
                if c.external or any(isinstance(b, str) and b not in _STATELESS_ROOTS for b in c.bases):
                    ok = False
                    break
                if any(m.computed_writes for m in c.facts.methods):
                    ok = False  # registers weights under computed names (a BufferDict): it holds state
                for wt in self.weights(c):
                    if not (wt.parameter_free or (wt.kind == F.BUFFER and ("persistent", "False") in wt.write.kwargs)):
                        ok = False
        finally:
            self._stateless_active.discard(k.key)
        self._stateless_cache[k.key] = ok
        return ok

    def _weight_ctor(self, info: ClassInfo, w: F.Write) -> tuple[bool, str | None, bool, str | None]:
        """(is a weight, resolved ctor name, certain, why not certain) for one write."""
        if w.kind in (F.PARAMETER, F.BUFFER):
            return True, w.ctor, True, None
        if not w.ctor:
            return False, None, False, None
        r = self.resolve(info.file, w.ctor)
        if isinstance(r, ClassInfo):
            return r.is_module, r.key, r.module_certain, None
        last = w.ctor.rsplit(".", 1)[-1]
        if last in ACTIVATION_REGISTRIES:
            return True, r or w.ctor, True, None
        if r is not None and self.is_module_qualname(r):
            return True, r, True, None
        if last in CONTAINERS and (r is None or r.startswith("torch.")):
            return True, r or w.ctor, True, None
        made = product(self, info, w.ctor, position=w.unpacked)  # a repo helper: what its returns build
        if made is not None:
            return True, made.ctor, made.certain, made.doubt
        passed = passed_through(self, info, w.ctor, w.args)  # `zero_module(nn.Conv2d(..))`: its argument
        if passed is not None:
            got = self._weight_ctor(info, dataclasses.replace(w, ctor=passed, args=()))
            if got[0]:
                return got
        if MODULE_FACTORY_PATTERN.match(last):
            return True, r or w.ctor, False, None
        if w.ctor.endswith("[...]") and self.resolve(info.file, w.ctor[:-5]) is not None:
            # `Conv[Conv.CONV, 3](...)`: a repo class table indexed for a layer class
            return True, w.ctor, False, f"`{w.ctor}` indexes a class table whose entries are not read"
        if r is None and "." not in w.ctor and LAYER_ARGUMENT_PATTERN.match(w.ctor):
            return True, w.ctor, False, None  # `self.norm = norm_layer(dim)`: a layer class passed in
        if r is None and "." not in w.ctor and self._module_default(info, w.method, w.ctor):
            return True, w.ctor, False, None  # `block_fn(dim)` with `block_fn=Block`: a layer class passed in
        for alt in w.elements:  # `norm_layer(d) if flag else nn.Identity()`: one branch is known
            ra = self.resolve(info.file, alt)
            if (isinstance(ra, ClassInfo) and ra.is_module) or (isinstance(ra, str) and self.is_module_qualname(ra)):
                return True, w.ctor, False, None
        return False, None, False, None

    def attribute_type(self, info: ClassInfo, attr: str) -> ClassInfo | None:
        """The repo class an attribute of `info` (or its bases) is built from, if unique.

        Asked for every `self.<child>.<x>` read of every class and each subclass: cached."""
        key = (info.key, attr)
        if key not in self._attribute_types:
            self._attribute_types[key] = self._attribute_type(info, attr)
        return self._attribute_types[key]

    def _attribute_type(self, info: ClassInfo, attr: str) -> ClassInfo | None:
        writes = [(c, self._writes_by_attr(c).get(attr, ())) for c in info.mro]
        for c, ws in writes:
            for w in ws:
                if w.ctor:
                    r = self.resolve(c.file, w.ctor)
                    if isinstance(r, ClassInfo):
                        return r
                    made = self._classmethod_product(c, w.ctor)
                    if made is not None:
                        return made
        # `def __init__(self, vae: AutoencoderKL)`: the attribute of the same name holds the
        # argument (`self.vae = vae`, or a framework's `register_modules(vae=vae)`).
        inits = [(c, ws, self._methods(c).get("__init__")) for c, ws in writes]
        for c, _, init in inits:
            if init is not None:
                for param, names in init.annotations:
                    if param == attr:
                        return self.annotated_class(c.file, names)
        # `self.transformer = transformer` with no annotation: what the builders pass.
        for c, ws, init in inits:
            if init is None:
                continue
            for w in ws:
                if w.method == "__init__" and w.source is not None and w.source in init.params[1:]:
                    return self.callsites.param_type(c, init, w.source)
        return None

    def _writes_by_attr(self, c: ClassInfo) -> dict[str, list[F.Write]]:
        deps.frame.add(c.dep)
        index = self._write_indexes.get(c.key)
        if index is None:
            index = self._write_indexes[c.key] = {}
            for w in c.facts.writes:
                index.setdefault(w.attr, []).append(w)
        return index

    def _classmethod_product(self, c: ClassInfo, ctor: str) -> ClassInfo | None:
        """`Talker._from_config(cfg)`, `Encoder.from_pretrained(path)`: a classmethod that
        builds an instance of the class it is called on."""
        if "." not in ctor:
            return None
        owner, method = ctor.rsplit(".", 1)
        r = self.resolve(c.file, owner)
        if not isinstance(r, ClassInfo):
            return None
        hit = self.lookup(r, method)
        return r if hit is not None and "classmethod" in hit[1].decorators else None

    def annotated_class(self, f: F.FileFacts, names: tuple[str, ...]) -> ClassInfo | None:
        """The first repo class an annotation names (`A | None` -> A)."""
        for n in names:
            r = self.resolve(f, n)
            if isinstance(r, ClassInfo):
                return r
        return None

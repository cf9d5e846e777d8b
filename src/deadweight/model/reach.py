"""Per class: which methods its entry points reach, and whether each weight is consumed there.

Weights are judged per concrete class, because the same attribute can be live in a base
class and dead in a subclass whose `forward` override no longer reaches it (the image-to-video
variant dropping what the text-to-video base used). A method is reached through `self.m()`,
`super().m()`, properties, bound-method references (`checkpoint(self._block, x)`) and nested
functions, always resolved through the MRO of the class being judged.
"""

from __future__ import annotations

import ast
import fnmatch
import itertools
import re
from dataclasses import dataclass, field

from deadweight.conventions import (
    BASE_ENTRY_POINTS,
    CONTAINERS,
    EXTERNAL_BASE_READS,
    OPTIMIZER_METHODS,
    TIED_WEIGHTS_ATTR,
    TORCH_NN,
)
from deadweight.extract import facts as F
from deadweight.model import deps
from deadweight.model.construction import Construction
from deadweight.model.contributed import Family, Merge, Part, concat_once, nested, present
from deadweight.model.project import INDEXES, ClassInfo, Project, Weight

_CLASS_ATTR_GETATTR = re.compile(r"getattr\(self, self\.(\w+)\)")
_POPULATE = frozenset({"append", "extend", "update", "insert", "add_module", "__setitem__"})
USE_KINDS = frozenset({F.VALUE, F.PASSED})  # what consumes a weight outside init-only methods
Reached = dict[tuple[str, str], tuple[ClassInfo, F.MethodFacts]]


@F.plain_repr
@dataclass(frozen=True)
class Use:
    """A mention of a weight somewhere, with where it is (for related notes)."""

    cls: ClassInfo
    method: str
    read: F.Read

    @property
    def where(self) -> str:
        return f"{self.cls.name}.{self.method}"


@dataclass
class Liveness:
    """Everything known about how one weight is used; the DW1xx rules read verdicts off it."""

    weight: Weight
    value_uses: list[Use] = field(default_factory=list)  # real uses outside init-only methods
    init_uses: list[Use] = field(default_factory=list)  # reads in init-only methods / initialisers
    meta_uses: list[Use] = field(default_factory=list)  # .shape, is None, hasattr
    keepalive_uses: list[Use] = field(default_factory=list)
    holder_uses: list[Use] = field(default_factory=list)  # parent modules reading self.child.<w>
    passed_self: bool = False  # consumed by a function or processor that receives the module
    stored_call: bool = False  # read by a lambda stored in an attribute that a reachable method calls
    pattern: bool = False  # matched by getattr(self, f"...") or getattr(self, self.<class attribute>)
    judged: list[ClassInfo] = field(default_factory=list)  # concrete classes that inherit it
    live_in: list[ClassInfo] = field(default_factory=list)  # judged classes whose forward consumes it
    dynamic: list[str] = field(default_factory=list)  # reasons any weight may be reached by name
    read_elsewhere: bool = False  # name read on some untyped object (a holder we cannot type)
    shared_uses: list[Use] = field(default_factory=list)  # passed to a child's constructor in __init__
    container: bool = False  # owner subclasses Sequential/ModuleList/ModuleDict
    populated: bool = False  # a ModuleList/ModuleDict filled item by item in __init__
    tied: bool = False  # named in a `_tied_weights_keys` map: the framework ties it after loading
    key_uses: list[str] = field(default_factory=list)  # `Cls.method`s reading it by checkpoint key
    holder_guess: str | None = None  # another module reads `self.<child>.<name>`, child untyped
    shared_with_dead: list[str] = field(default_factory=list)  # only shared with these dead siblings

    @property
    def consumed_anywhere(self) -> bool:
        return bool(
            self.value_uses or self.holder_uses or self.passed_self or self.pattern or self.stored_call or self.escapes
        )

    @property
    def escapes(self) -> bool:
        """Handed to other code we do not follow (a child module, a container's iteration)."""
        return bool(self.shared_uses) or self.container or self.tied


@dataclass(frozen=True, slots=True)
class _Names:
    """Attribute names some code reads: exact ones, and `*` templates from
    getattr(obj, "fc" + suffix), split once because each is matched against every weight."""

    exact: frozenset[str]
    templates: tuple[str, ...]

    @classmethod
    def of(cls, names: set[str]) -> _Names:
        return cls(frozenset(names), tuple(n for n in names if "*" in n))

    def matches(self, name: str) -> bool:
        return name in self.exact or any(fnmatch.fnmatchcase(name, t) for t in self.templates)


_NO_NAMES = _Names(frozenset(), ())


@dataclass(frozen=True, slots=True)
class _Consumption:
    """What a judged class's reachable methods consume, by attribute name."""

    used: frozenset[str]  # read in a way that feeds the computation
    truth: frozenset[str]  # tested for truth (`if self.x:`): a use of a tensor, not of a module
    via_stored: frozenset[str]  # read by a stored callable the class calls
    by_class_attr: frozenset[str]  # getattr(self, self.<class attribute>)
    patterns: tuple[str, ...]  # getattr(self, f"fc{i}") as regular expressions
    passed: tuple[_Names, ...]  # what the callees and decorators handed `self` read
    external_super: bool  # a super() call leaves the repo (into nn.Linear's forward, say)


def _moved_by_apply(project: Project, out: deps.Index[str, None]) -> None:
    for f in project.files:
        for a, fn in f.external_reads:
            if fn == "_apply":
                out[a] = None
    for info in project.classes.values():
        for r in info.facts.reads:
            if r.method == "_apply":
                out[r.chain[0]] = None


INDEXES["moved_by_apply"] = _moved_by_apply


def _tie_keys(c: ClassInfo) -> list[str]:
    """The dotted keys a class's tied-weights maps name (`_tied_weights_keys`, either side)."""
    return [
        key
        for attr, code in c.facts.class_attrs
        if TIED_WEIGHTS_ATTR.search(attr)
        for key in re.findall(r"[\"']([\w.]+)[\"']", code)
    ]


class Analysis:
    """Reachability and liveness over a linked Project; results are cached per class."""

    def __init__(self, project: Project) -> None:
        self.p = project
        self._reach: dict[str, Reached] = deps.Memo()
        self._reads: dict[tuple[str, str], list[F.Read]] = {}
        for info in project.classes.values():
            for r in info.facts.reads:
                self._reads.setdefault((info.key, r.method), []).append(r)
        # Project-wide indexes, built on first use (`deps.Index`: a lookup is an input)
        self._holders: deps.Index[str, dict[str, list[Use]]] | None = None
        self._untyped_holder_names: deps.Index[str, None] = deps.Index("untyped_names")  # filled by `holders`
        self._untyped_holder_reads: deps.Index[str, list[tuple[str, str]]] = deps.Index(
            "untyped_reads"
        )  # (path, where)
        self._family: Family | None = None
        self._by_position: deps.Index[tuple[str, int], set[str]] | None = None
        self._live: dict[int, Liveness] = deps.Memo()
        self._sharing: set[int] = set()  # weights whose shares are being followed (cycle guard)
        self._tied_pairs: deps.Index[tuple[str, str], None] | None = None
        self._entries: dict[str, list[tuple[ClassInfo, F.MethodFacts]]] = deps.Memo()
        self._attr_index: dict[str, dict[str, list[F.Read]]] = {}
        self._held_as: deps.Index[str, set[str]] | None = None
        self.construction = Construction(project, self.reads)
        self._forward_inits: dict[tuple[str, str], bool] = deps.Memo()
        self._dynamic: dict[str, list[str]] = deps.Memo()
        self._holder_candidates: dict[str, list[F.Read]] = deps.Memo()
        self._callee_cache: dict[tuple[str, str, int], _Names] = deps.Memo()
        self._decorator_cache: dict[tuple[str, int], _Names] = deps.Memo()
        self._names_by_position: dict[tuple[str, int], _Names] = deps.Memo()
        self._family_names: dict[str, frozenset[str]] = deps.Memo()
        self._own_ties: dict[str, frozenset[str]] = deps.Memo()
        self._consumptions: dict[str, _Consumption] = deps.Memo()
        self._imported: dict[str, frozenset[str]] = {}
        self._steps: dict[str, frozenset[str]] = deps.Memo()

    def _reads_by_attr(self, info: ClassInfo) -> dict[str, list[F.Read]]:
        """A class's reads indexed by the attribute they start with (liveness looks up by name)."""
        deps.frame.add(info.dep)  # read from the class's own facts only: a plain cache
        index = self._attr_index.get(info.key)
        if index is None:
            index = {}
            for r in info.facts.reads:
                index.setdefault(r.chain[0], []).append(r)
            self._attr_index[info.key] = index
        return index

    def reads(self, info: ClassInfo, method: str) -> list[F.Read]:
        deps.frame.add(info.dep)
        return self._reads.get((info.key, method), [])

    def build_indexes(self) -> None:
        """Every lazily built index, registered with the project (an incremental run compares
        what each unit looked up in them)."""
        self.holder_family()
        self.holders()
        self._position_reads()
        self._tied()
        self._holder_names_index()
        self.p.callsites.index()
        for name in INDEXES:
            self.p.index(name)

    # -- reachability ----------------------------------------------------------------------
    def entry_methods(self, info: ClassInfo) -> list[tuple[ClassInfo, F.MethodFacts]]:
        cached = self._entries.get(info.key)
        if cached is None:
            cached = self._entries[info.key] = self._entry_methods(info)
        return cached

    def _framework_steps(self, info: ClassInfo) -> frozenset[str]:
        """Methods a framework calls on subclasses of one of its bases (torchmetrics' `compute`),
        known from the conventions when that base's code is not installed where we read."""
        out = self._steps.get(info.key)
        if out is None:
            out = frozenset()
            for c in info.mro:
                for b in c.bases:
                    if isinstance(b, str) and b in BASE_ENTRY_POINTS:
                        out |= BASE_ENTRY_POINTS[b]
            self._steps[info.key] = out
        return out

    def _is_step(self, info: ClassInfo, name: str) -> bool:
        return self.p.is_entry(name) or name in self._framework_steps(info)

    def _entry_methods(self, info: ClassInfo) -> list[tuple[ClassInfo, F.MethodFacts]]:
        names: dict[str, None] = {}
        steps = self._framework_steps(info)
        for c in info.mro:
            for m in c.facts.methods:
                if self.p.is_entry(m.name) or m.name in steps or self._called_from_outside(m.name):
                    names.setdefault(m.name)
            for attr, _ in c.facts.class_attrs:
                if self.p.is_entry(attr):
                    names.setdefault(attr)
        out = []
        for n in names:
            r = self.p.lookup(info, n)
            if r is not None and not r[1].abstract:
                out.append(r)
        return out

    def _called_from_outside(self, name: str) -> bool:
        """Some code calls a method of this name on another object (`model.decoder.step(x)` in
        a criterion, `self.head.loss(x)` in the owning model): with the receiver's type unknown,
        it is an entry point of every module class that defines it. Constructors and dunders
        are not: `m.reset_parameters()` re-initialises, `x.__init__` is not a use."""
        return (
            name in self.p.external_calls
            and not self.p.is_init(name)
            and not (name.startswith("__") and name.endswith("__"))
        )

    def torch_forward_reads(self, c: ClassInfo) -> frozenset[str] | None:
        """For a module that keeps the `forward` of a torch.nn class we cannot read (torch not
        in the analyzed environment), what that forward reads, from the generated table."""
        if not c.is_module or c.external or self.entry_methods(c):
            return None
        for k in c.mro:
            for b in k.bases:
                if isinstance(b, str) and b.startswith("torch.nn."):
                    hit = TORCH_NN.get(b.rsplit(".", 1)[-1])
                    if hit is not None:
                        return hit[0]
        return None

    def _on_forward_path(self, c: ClassInfo, method: str) -> bool:
        """A method with an init-like name that some judged class's forward path calls
        (`forward` running `self.init(x)` first): its reads are uses, not initialisation.
        A walk stays in the walked class's MRO, so only `c` and its subclasses can call it."""
        key = (c.key, method)
        hit = self._forward_inits.get(key)
        if hit is None:
            hit = self._forward_inits[key] = any(
                self.is_judged(k) and key in self.forward_path(k) for k in [c, *self.p.descendants(c)]
            )
        return hit

    def is_judged(self, info: ClassInfo) -> bool:
        """A concrete module: one with an entry point that is not abstract."""
        return info.is_module and bool(self.entry_methods(info))

    def forward_path(self, info: ClassInfo) -> Reached:
        """What the framework's own entry points reach (`forward`, hooks, steps), without the
        methods entered only because outside code calls them. Access by name lowers
        confidence only here: `model.num_parameters()` walking `self.parameters()` is called
        from outside, yet it feeds no weight into the computation."""
        key = "\0forward:" + info.key
        if key not in self._reach:
            entries = self.entry_methods(info)
            steps = [e for e in entries if self._is_step(info, e[1].name)]
            # most classes are entered only by their steps: the same walk as `reachable`
            self._reach[key] = self.reachable(info) if len(steps) == len(entries) else self._walk(info, steps)
        return self._reach[key]

    def reachable(self, info: ClassInfo) -> Reached:
        if info.key not in self._reach:
            self._reach[info.key] = self._walk(info, list(self.entry_methods(info)))
        return self._reach[info.key]

    def _walk(self, info: ClassInfo, queue: list[tuple[ClassInfo, F.MethodFacts]]) -> Reached:
        seen: Reached = {}
        stored = self.p.stored(info)
        methods = self.p.visible_methods(info)
        while queue:
            cls, m = queue.pop()
            k = (cls.key, m.name)
            if k in seen:
                continue
            seen[k] = (cls, m)
            deps.frame.add(cls.dep)
            for r in self._reads.get(k, ()):
                if r.kind in (F.DELETE, "store"):
                    continue
                target = methods.get(r.chain[0])
                if target is not None and (not self.p.is_init(target[1].name) or r.kind == F.VALUE):
                    queue.append(target)  # `self.init(x)` called from forward runs on the forward path
                if r.kind == F.VALUE and r.chain[0] in stored:  # `self.score_fn(x)` runs `dot_score`
                    for name in stored[r.chain[0]]:
                        found = methods.get(name)
                        if found is not None:
                            queue.append(found)
            for name in m.super_calls:
                target = self.p.lookup(info, name, after=cls)
                if target is not None:
                    queue.append(target)
        return seen

    # -- consumption from outside the class --------------------------------------------------
    def holder_family(self) -> Family:
        """The holders index and the untyped reads, kept per contributor (`model.contributed`):
        each class's `self.<child>.<attr>` reads, then annotated parameters' reads of each
        class's methods and of each file's functions."""
        if self._family is None:
            classes = list(self.p.classes)
            order = [*("h:" + k for k in classes), *("a:" + k for k in classes)]
            order += ["f:" + f.path for f in self.p.files if not F.is_external(f.path)]
            merges: dict[str, Merge] = {"holders": nested, "untyped_names": present, "untyped_reads": concat_once}
            self._family = Family(order, self._holder_part, merges)
        return self._family

    def holders(self) -> dict[str, dict[str, list[Use]]]:
        """Reads of `self.<child>.<attr>` in other classes, keyed by the child's class."""
        if self._holders is not None:
            return self._holders
        family = self.holder_family()
        self._holders = family.indexes["holders"]
        self._untyped_holder_names = family.indexes["untyped_names"]
        self._untyped_holder_reads = family.indexes["untyped_reads"]
        for index in family.indexes.values():
            self.p.register(index)
        return self._holders

    def _holder_part(self, cid: str) -> Part:
        kind, _, name = cid.partition(":")
        out: Part = []
        if kind == "f":
            f = self.p.modules_by_path[name]
            deps.touch(deps.file_dep(name))
            for fn in f.functions:
                if fn.annotations:
                    self._annotated(out, None, fn.name, f, fn.annotations, fn.param_reads)
            return out
        h = self.p.classes[name]
        if kind == "a":
            for m in h.facts.methods:
                if m.annotations and not self.p.is_init(m.name):
                    self._annotated(out, h, m.name, h.file, m.annotations, m.param_reads)
            return out
        # Any method of the holder but init-only ones: `XFeat.match(...)` calling
        # `self.net.fine_matcher(...)` is the holder's API, whether or not its forward runs it.
        recorded = h.is_module and not h.external
        for c in h.mro:
            for ordinal, r in enumerate(self._holder_reads(c)):
                child0 = self.p.attribute_type(h, r.chain[0])  # cached per (class, attribute)
                if child0 is None:
                    out.append(("untyped_names", r.chain[1], None))
                    if recorded:  # once per read, not once per subclass that inherits it
                        where = f"`{'.'.join(('self', *r.chain[:2]))}` in `{c.name}.{r.method}`"
                        # The read's place among its class's, not its line: a line inserted
                        # above it must not change what every file reading this key sees.
                        token = (c.key, ordinal)
                        out.append(("untyped_reads", r.chain[1], (token, (c.path, where))))
                    continue
                out.append(("holders", child0.key, (r.chain[1], Use(c, r.method, r))))
                # `self.transformer.decoder.query_embed.weight`: each typed step holds the next
                child = child0
                for i in range(1, len(r.chain) - 1):
                    step = self.p.attribute_type(child, r.chain[i])
                    if step is None:
                        break
                    child = step
                    out.append(("holders", child.key, (r.chain[i + 1], Use(c, r.method, r))))
        return out

    def _holder_reads(self, c: ClassInfo) -> list[F.Read]:
        """`self.<child>.<attr>` uses in a class's non-init methods, once per class: every
        subclass types the same reads against its own attributes."""
        cached = self._holder_candidates.get(c.key)
        if cached is None:
            cached = self._holder_candidates[c.key] = [
                r for r in c.facts.reads if len(r.chain) >= 2 and r.kind in USE_KINDS and not self.p.is_init(r.method)
            ]
        return cached

    def _annotated(
        self,
        out: Part,
        owner: ClassInfo | None,
        where: str,
        file: F.FileFacts,
        annotations: tuple[tuple[str, tuple[str, ...]], ...],
        reads: tuple[F.ParamRead, ...],
    ) -> None:
        types = {param: names for param, names in annotations}
        for pr in reads:
            if pr.kind not in USE_KINDS or pr.param not in types:
                continue
            t = self.p.annotated_class(file, types[pr.param])
            if t is None or F.is_external(t.path):
                out.append(("untyped_names", pr.chain[0], None))  # `module: nn.Module`: any module
            else:
                read = F.Read((pr.param, *pr.chain), where, pr.span, pr.kind)
                out.append(("holders", t.key, (pr.chain[0], Use(owner or t, where, read))))

    def _position_reads(self) -> deps.Index[tuple[str, int], set[str]]:
        """Attributes any repo function reads through its n-th parameter (fallback targets)."""
        if self._by_position is not None:
            return self._by_position
        out: deps.Index[tuple[str, int], set[str]] = deps.Index("position_reads")
        with deps.isolated():
            for f in self.p.files:
                for fn in f.functions:
                    self._add_param_reads(out, "function", fn.params, fn.param_reads)
                for c in f.classes:
                    for m in c.methods:
                        self._add_param_reads(out, "method", m.params, m.param_reads)
        self._by_position = out
        self.p.register(out)
        return out

    @staticmethod
    def _add_param_reads(
        out: deps.Index[tuple[str, int], set[str]],
        kind: str,
        params: tuple[str, ...],
        reads: tuple[F.ParamRead, ...],
    ) -> None:
        for pr in reads:
            if pr.kind not in USE_KINDS or pr.param not in params:
                continue
            out.setdefault((kind, params.index(pr.param)), set()).add(pr.chain[0])

    def _callee_names(self, info: ClassInfo, cls: ClassInfo, call: F.Call) -> _Names:
        """`_callee_reads`, once per (class, call): every weight of the class asks."""
        key = (info.key, cls.key, id(call))
        hit = self._callee_cache.get(key)
        if hit is None:
            hit = self._callee_cache[key] = self._callee_reads(info, cls, call)
        return hit

    def _position_names(self, kind: str, position: int) -> _Names:
        """The fallback: what any repo function or method reads through its n-th parameter,
        one large set per position shared by many calls, so built once."""
        key = (kind, position)
        hit = self._names_by_position.get(key)
        if hit is None:
            hit = self._names_by_position[key] = _Names.of(self._position_reads().get(key, set()))
        return hit

    def _decorator_names(self, cls: ClassInfo, m: F.MethodFacts) -> _Names:
        key = (cls.key, id(m))
        hit = self._decorator_cache.get(key)
        if hit is None:
            hit = self._decorator_cache[key] = _Names.of(self._decorator_reads(cls, m))
        return hit

    def _callee_reads(self, info: ClassInfo, cls: ClassInfo, call: F.Call) -> _Names:
        """Attributes the callee reads on the module passed to it (processors, helpers)."""
        if call.position < 0:
            return _NO_NAMES
        if call.callee.startswith("self."):
            attr = call.callee.split(".")[1]
            ptype = self.p.attribute_type(info, attr)
            if ptype is not None:
                target = self.p.lookup(ptype, "__call__") or self.p.lookup(ptype, "forward")
                if target is not None:
                    return _Names.of(self._reads_of_param(target[1].params, target[1].param_reads, call.position + 1))
            return self._position_names("method", call.position + 1)
        fn = self.p.resolve_function(cls.file, call.callee)
        if fn is not None:
            return _Names.of(self._reads_of_param(fn.params, fn.param_reads, call.position))
        r = self.p.resolve(cls.file, call.callee)
        if isinstance(r, ClassInfo):  # SomeClass(self): its __init__ may keep the module
            return _NO_NAMES
        return self._position_names("function", call.position)

    def _decorator_reads(self, cls: ClassInfo, m: F.MethodFacts) -> set[str]:
        """What a decorator's wrapper reads on the module (`@dynamic_rope_update` reading
        `self.original_inv_freq`), following one call that hands the module on."""
        out: set[str] = set()
        for name in m.decorators:
            fn = self.p.resolve_function(cls.file, name)
            if fn is None or not fn.inner_params:
                continue
            out |= {pr.chain[0] for pr in fn.param_reads if pr.param in fn.inner_params and pr.kind in USE_KINDS}
            for call in fn.passes_self:
                target = self.p.resolve_function(cls.file, call.callee) if call.position >= 0 else None
                if target is not None:
                    out |= self._reads_of_param(target.params, target.param_reads, call.position)
        return out

    @staticmethod
    def _reads_of_param(params: tuple[str, ...], reads: tuple[F.ParamRead, ...], index: int) -> set[str]:
        if index >= len(params):
            return set()
        name = params[index]
        return {pr.chain[0] for pr in reads if pr.param == name and pr.kind in USE_KINDS}

    # -- liveness ---------------------------------------------------------------------------
    def liveness(self, w: Weight) -> Liveness:
        if id(w) in self._live:
            return self._live[id(w)]
        lv = Liveness(w)
        d = w.cls
        related = [*d.mro, *self.p.descendants(d)]
        names = tuple(dict.fromkeys((w.name, *w.aliases)))  # ordered: uses are listed in this order
        container = (w.write.ctor or "").rsplit(".", 1)[-1] in CONTAINERS
        for c in related:
            by_attr = self._reads_by_attr(c)
            if not any(n in by_attr for n in names):
                continue
            builders = self.p.builder_methods(c)
            for r in (r for n in names for r in by_attr.get(n, ())):
                m_name = r.method
                # a builder or an init-named method that forward also runs (an attention
                # function called once in `__init__` to warm a cache) computes: its reads are uses
                init = m_name == "__init__" or (
                    (m_name in builders or self.p.is_init(m_name)) and not self._on_forward_path(c, m_name)
                )
                # `self.blocks[k] = m` or `self.blocks.append(m)` fill it; `self.ln.eps = 1e-6`
                # sets an attribute of one module, which fills nothing
                fills = (r.kind == "store" and (len(r.chain) == 1 or container)) or (
                    len(r.chain) == 2 and r.chain[1] in _POPULATE
                )
                # `self.bufs[name] = t` after construction fills a dict-like module (BufferDict)
                item_store = r.kind == "store" and len(r.chain) == 1 and w.kind == F.MODULE
                if fills and (init or container or item_store):
                    # Filled with modules that may be used through another reference; a
                    # container filled after construction (`add_mixin`) holds what callers add.
                    lv.populated = True
                if r.kind in ("store", F.DELETE):
                    continue
                use = Use(c, m_name, r)
                if r.kind == F.PASSED and init:
                    lv.shared_uses.append(use)
                elif r.kind in USE_KINDS or (r.kind == F.TRUTH and w.kind != F.MODULE and not init):
                    # `if self.initted:` on a buffer branches on its value: a use
                    (lv.init_uses if init else lv.value_uses).append(use)
                elif r.kind == F.INIT:
                    lv.init_uses.append(use)
                elif r.kind == F.KEEPALIVE:
                    lv.keepalive_uses.append(use)
                else:
                    lv.meta_uses.append(use)
        holders = self.holders()
        for c in related:
            for name in names:
                lv.holder_uses.extend(holders.get(c.key, {}).get(name, []))
            lv.key_uses.extend(f"{c.name}.{m.name}" for m in c.facts.methods if w.name in m.key_reads)
        if w.name in self.p.key_read_by:
            lv.key_uses.append(self.p.key_read_by[w.name])
        lv.read_elsewhere = w.name in self._untyped_holder_names or w.name in self.p.external_reads
        lv.holder_guess = self._holder_guess(w)
        if lv.holder_guess is None and w.name in self.p.external_grabs:
            lv.holder_guess = f"kept as `self.{w.name}` by `{self.p.external_grabs[w.name]}`"
        lv.container = self.p.is_container(d)
        lv.tied = self._is_tied(w)
        family = [d, *self.p.descendants(d)]
        lv.judged = [c for c in family if self.is_judged(c) and not self._deletes(c, w)]
        for c in lv.judged:
            if self._consumed_in(c, w, lv):
                lv.live_in.append(c)
        for c in family:
            torch_forward = self.torch_forward_reads(c)
            if torch_forward is not None and not self._deletes(c, w):
                lv.judged.append(c)  # judged against the torch forward it inherits
                if w.name in torch_forward:
                    lv.passed_self = True  # the inherited torch forward reads it
                if w.name in torch_forward or self._held_in(c, w):
                    lv.live_in.append(c)
        if lv.shared_uses and not lv.live_in:
            self._drop_dead_shares(lv)
        return self._live.setdefault(id(w), lv)

    def _drop_dead_shares(self, lv: Liveness) -> None:
        """A weight whose only use is being shared, in `__init__`, with siblings that are
        themselves never used (`self.output.weight = self.emb.weight`, `self.head =
        Head(self.emb)`) is as dead as they are: those shares become reads that only
        initialise. Any share we cannot follow, or a cycle, keeps it alive."""
        if lv.value_uses or lv.holder_uses or lv.passed_self or lv.pattern or lv.stored_call:
            return
        if lv.container or lv.tied:
            return
        w = lv.weight
        into = {u.read.into for u in lv.shared_uses}
        if None in into or w.name in into:
            return
        siblings = {x.name: x for c in w.cls.mro for x in self.p.weights(c)}
        self._sharing.add(id(w))
        try:
            for name in sorted(n for n in into if n is not None):
                other = siblings.get(name)
                if other is None or id(other) in self._sharing or self.liveness(other).consumed_anywhere:
                    return
        finally:
            self._sharing.discard(id(w))
        lv.init_uses.extend(lv.shared_uses)
        lv.shared_with_dead = sorted(n for n in into if n is not None)
        lv.shared_uses = []

    def _consumed_in(self, c: ClassInfo, w: Weight, lv: Liveness) -> bool:
        s = self._consumption(c)
        names = {w.name, *w.aliases}
        hit = not names.isdisjoint(s.used) or (w.kind != F.MODULE and not names.isdisjoint(s.truth))
        if not names.isdisjoint(s.via_stored):
            lv.stored_call = hit = True  # `self.act(x)` calling `lambda x: self.mlp(x)` stored in __init__
        if not names.isdisjoint(s.by_class_attr) or any(re.match(p, w.name) for p in s.patterns):
            lv.pattern = hit = True  # getattr(self, <a name the class sets>), getattr(self, f"fc{i}")
        if any(n.matches(w.name) for n in s.passed) or (w.name in EXTERNAL_BASE_READS and s.external_super):
            lv.passed_self = hit = True  # super().forward() into nn.Embedding/nn.Linear reads self.weight
        lv.dynamic.extend(r for r in self.dynamic_reasons(c) if r not in lv.dynamic)
        return hit or self._held_in(c, w)

    def _consumption(self, c: ClassInfo) -> _Consumption:
        """What `c`'s reachable methods consume, once per class: every weight of the class and
        of its bases asks the same question of the same methods."""
        hit = self._consumptions.get(c.key)
        if hit is not None:
            return hit
        used: set[str] = set()
        truth: set[str] = set()
        via_stored: set[str] = set()
        by_class_attr: set[str] = set()
        patterns: list[str] = []
        passed: dict[int, _Names] = {}
        external_super = False
        stored = self.p.stored(c)
        for cls, m in self.reachable(c).values():
            for r in self.reads(cls, m.name):
                if r.kind in USE_KINDS:
                    used.add(r.chain[0])
                elif r.kind == F.TRUTH and len(r.chain) == 1:
                    truth.add(r.chain[0])  # `if self.initted:` on a buffer branches on its value
                if stored and r.kind == F.VALUE:
                    via_stored.update(stored.get(r.chain[0], ()))
            for d in m.dynamic:
                named = self.named_by_class_attr(c, d)
                if named is not None:
                    by_class_attr.add(named)
            patterns.extend(m.dynamic_patterns)
            for call in m.passes_self:
                names = self._callee_names(c, cls, call)
                passed[id(names)] = names
            if m.decorators:
                names = self._decorator_names(cls, m)
                passed[id(names)] = names
            if not external_super and any(self.p.lookup(c, s, after=cls) is None for s in m.super_calls):
                external_super = True
        hit = self._consumptions[c.key] = _Consumption(
            frozenset(used),
            frozenset(truth),
            frozenset(via_stored),
            frozenset(by_class_attr),
            tuple(dict.fromkeys(patterns)),
            tuple(passed.values()),
            external_super,
        )
        return hit

    def _held_in(self, c: ClassInfo, w: Weight) -> bool:
        """Another class reads `self.<child>.<w>` on a child typed as `c` or one of its bases."""
        holders = self.holders()
        return any(k.key in holders and w.name in holders[k.key] for k in c.mro)

    def _holder_guess(self, w: Weight) -> str | None:
        """An untyped `self.encoder.ctc_proj` read in a module whose file defines or imports the
        weight's class (the model that builds its encoder with `cls.build_encoder(args)`): very
        likely this weight. A read of the same name in code that never names the class is not."""
        reads: list[tuple[str, str]] | None = self._untyped_holder_reads.get(w.name)
        if not reads:
            return None
        names = self._family_names.get(w.cls.key)
        if names is None:
            names = self._family_names[w.cls.key] = frozenset(c.name for c in [w.cls, *self.p.descendants(w.cls)])
        for path, where in reads:
            file = self.p.modules_by_path[path]
            if file is w.cls.file or not names.isdisjoint(self._imported_names(file)):
                return where
        return None

    def _imported_names(self, file: F.FileFacts) -> frozenset[str]:
        deps.frame.add(deps.names_dep(file.path))
        hit = self._imported.get(file.path)
        if hit is None:
            hit = self._imported[file.path] = frozenset(i.name or i.local for i in file.imports)
        return hit

    def _tied(self) -> deps.Index[tuple[str, str], None]:
        """(holder attribute, weight) pairs named in `_tied_weights_keys` maps anywhere.

        transformers ties `cls.predictions.bias` to `cls.predictions.decoder.bias` after
        loading: the parameter is used through the decoder even though no method reads it."""
        if self._tied_pairs is None:
            pairs: deps.Index[tuple[str, str], None] = deps.Index("tied")
            with deps.isolated():
                for info in self.p.classes.values():
                    for key in _tie_keys(info):
                        for pair in itertools.pairwise(key.split(".")):
                            pairs[pair] = None
            self._tied_pairs = pairs
            self.p.register(pairs)
        return self._tied_pairs

    def moved_by_apply(self) -> deps.Index[str, None]:
        """Attributes some `_apply` override moves itself (`m.stride = fn(m.stride)`): torch's
        `.to()`/`.half()`/`.cuda()` all run `_apply`, so such a tensor does follow the module."""

        return self.p.index("moved_by_apply")

    def _holder_names(self, c: ClassInfo) -> set[str]:
        """Attribute names under which other classes hold an instance of `c`."""
        names: set[str] = self._holder_names_index().get(c.key, set())
        return names

    def _holder_names_index(self) -> deps.Index[str, set[str]]:
        if self._held_as is None:
            held: deps.Index[str, set[str]] = deps.Index("held_as")
            with deps.isolated():
                for h in self.p.classes.values():
                    for wr in h.facts.writes:
                        if wr.ctor:
                            r = self.p.resolve(h.file, wr.ctor)
                            if isinstance(r, ClassInfo):
                                held.setdefault(r.key, set()).add(wr.attr)
            self._held_as = held
            self.p.register(held)
        return self._held_as

    def _is_tied(self, w: Weight) -> bool:
        pairs = self._tied()
        if not pairs:
            return False
        family = [*w.cls.mro, *self.p.descendants(w.cls)]
        if any(self._ties_own(c, w.name) for c in family):
            return True
        return any((h, w.name) in pairs for c in [w.cls, *self.p.descendants(w.cls)] for h in self._holder_names(c))

    def _ties_own(self, c: ClassInfo, name: str) -> bool:
        """The class's own tied-weights map names `<name>.<param>` (either side of a tie:
        `{"lm_head.weight": "shared.weight"}` makes `shared` the tensor `lm_head` runs with)."""
        tied = self._own_ties.get(c.key)
        if tied is None:
            tied = self._own_ties[c.key] = frozenset(key.split(".", 1)[0] for key in _tie_keys(c) if "." in key)
        return name in tied

    def absent_in(self, c: ClassInfo, w: Weight) -> bool:
        """Public for `inspect`: building `c` never creates `w` (see `_deletes`)."""
        return self._deletes(c, w)

    def _deletes(self, c: ClassInfo, w: Weight) -> bool:
        """`c` does not have the weight: its construction never runs the write that creates it
        (a builder it overrides, a base `__init__` it skips, a branch its constants rule out),
        or `del self.encoder_attn` in its `__init__` removes it."""
        if not self.construction.creates(c, w):
            return True
        for k in c.mro:
            if k is w.cls:
                return False
            if any(r.kind == F.DELETE and r.chain == (w.name,) and self.p.is_init(r.method) for r in k.facts.reads):
                return True
        return False

    def dynamic_reasons(self, c: ClassInfo) -> list[str]:
        """Access by name on `c`'s forward path that may reach any weight, once per class.

        Not in installed frameworks' own methods (torchmetrics syncing its `add_state` states,
        torch's fast-path checks over parameters: bookkeeping; containers, whose forward does
        call every child, escape anyway), nor in the `optimizer_methods`."""
        cached = self._dynamic.get(c.key)
        if cached is None:
            cached = self._dynamic[c.key] = list(
                dict.fromkeys(
                    f"`{r}` in `{cls.name}.{m.name}`"
                    for cls, m in self.forward_path(c).values()
                    if not cls.external and m.name not in OPTIMIZER_METHODS
                    for r in m.dynamic
                    if self.named_by_class_attr(c, r) is None
                )
            )
        return cached

    def named_by_class_attr(self, c: ClassInfo, dynamic: str) -> str | None:
        """`getattr(self, self.base_model_prefix)` in a class whose MRO sets
        `base_model_prefix = "model"`: a read of `self.model` for that class, not access by
        any name. None when the access is not of that form or the attribute is no literal."""
        m = _CLASS_ATTR_GETATTR.fullmatch(dynamic)
        if m is None:
            return None
        for k in c.mro:
            for attr, code in k.facts.class_attrs:
                if attr == m.group(1):
                    try:
                        value = ast.literal_eval(code)
                    except (ValueError, SyntaxError):
                        return None
                    return value if isinstance(value, str) and value.isidentifier() else None
        return None

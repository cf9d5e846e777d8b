"""Types of constructor arguments, read from the calls that build the class.

`self.transformer = transformer` types nothing on its own: the parameter has no annotation and
the class never builds the child. The project's own builder does, in a call such as
`Model(transformer=build_transformer())` or `Model(transformer=t)` with `t = Wrapper(...)`.
Reads like `self.transformer.decoder.query_embed` in the model then reach the decoder's
weight. A parameter gets a type only when every call site that says something agrees on one
repo class; a call with `*args` or an argument we cannot trace says nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deadweight.extract import facts as F
from deadweight.model import deps

if TYPE_CHECKING:
    from deadweight.model.project import ClassInfo, Project

_DEPTH = 3  # `return build_inner(cfg)` chains followed through helper functions


class CallSites:
    def __init__(self, project: Project) -> None:
        self.p = project
        self._by_name: deps.Index[str, list[tuple[F.FileFacts, F.CtorArg]]] | None = None
        self._types: dict[str, dict[str, ClassInfo | None]] = deps.Memo()

    def index(self) -> deps.Index[str, list[tuple[F.FileFacts, F.CtorArg]]]:
        if self._by_name is None:
            index: deps.Index[str, list[tuple[F.FileFacts, F.CtorArg]]] = deps.Index("ctor_args")
            for f in self.p.files:
                if F.is_external(f.path):
                    continue
                for a in f.ctor_args:
                    index.setdefault(a.callee.rsplit(".", 1)[-1], []).append((f, a))
            self._by_name = index
            self.p.register(index)
        return self._by_name

    def param_type(self, cls: ClassInfo, init: F.MethodFacts, param: str) -> ClassInfo | None:
        """The repo class every traced call site passes for `param` of `cls.__init__`."""
        types = self._types.get(cls.key)
        if types is None:
            types = self._types[cls.key] = self._param_types(cls, init)
        return types.get(param)

    def _param_types(self, cls: ClassInfo, init: F.MethodFacts) -> dict[str, ClassInfo | None]:
        params = init.params[1:]
        found: dict[str, ClassInfo | None] = {}
        for f, a in self.index().get(cls.name, ()):
            if self.p.resolve(f, a.callee) is not cls:
                continue
            name = a.param if isinstance(a.param, str) else (params[a.param] if a.param < len(params) else None)
            if name is None:
                continue
            t = self._produced(f, a.producer, _DEPTH)
            if name in found and found[name] is not t:
                found[name] = None  # call sites disagree: no type
            else:
                found[name] = t
        return found

    def _produced(self, f: F.FileFacts, callee: str, depth: int) -> ClassInfo | None:
        """The repo class a call's result is: the class called, or what a function returns."""
        r = self.p.resolve(f, callee)
        if r is not None:
            return r if not isinstance(r, str) else None
        if depth <= 0:
            return None
        hit = self.p.resolve_function_in(f, callee)
        if hit is None:
            return None
        home, fn = hit
        kinds = {self._produced(home, made, depth - 1) for made in fn.returns}
        if len(kinds) == 1:
            return kinds.pop()
        return None

"""Which constructor code runs when a concrete class is built, and so which weights it has.

A base class's weight exists in a subclass only if the subclass's `__init__` chain runs the
code that creates it. Detection and speech code bases build layers in methods the base's
`__init__` calls (`self._init_layers()`) and subclasses override; skip a base with
`super(Base, self).__init__()` or `Grandparent.__init__(self)`; and pass constants up the
chain (`super().__init__(num_decoder_layers=0, feed_forward=False)`) that decide the base's
`if` branches. Reporting a base's layer against a subclass that never builds it is the most
common false positive on such code, so construction is followed per concrete class, with
dispatch through that class's MRO, the way Python runs it.

When following the chain cannot even show that the defining class creates its own weight
(a builder called through a helper we do not follow), nothing is concluded: the weight is
assumed to exist everywhere, as before.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from deadweight.extract import facts as F
from deadweight.model import deps
from deadweight.model.project import ClassInfo, Project, Weight

Bindings = dict[str, object]
Reads = Callable[[ClassInfo, str], list[F.Read]]  # a class's reads in one method (Analysis.reads)
_UNKNOWN = object()
_STARTS = ("__init__", "setup", "build")


@dataclass(frozen=True)
class _Step:
    cls: ClassInfo
    method: F.MethodFacts


class Construction:
    """Per concrete class: the methods its construction runs, with constants known there."""

    def __init__(self, project: Project, reads: Reads) -> None:
        self.p = project
        self.reads = reads
        self._runs: dict[str, dict[tuple[str, str], Bindings]] = deps.Memo()

    def runs(self, info: ClassInfo) -> dict[tuple[str, str], Bindings]:
        cached = self._runs.get(info.key)
        if cached is None:
            cached = self._runs[info.key] = self._follow(info)
        return cached

    def _follow(self, info: ClassInfo) -> dict[tuple[str, str], Bindings]:
        out: dict[tuple[str, str], Bindings] = {}
        queue: list[tuple[_Step, Bindings]] = []
        for name in _STARTS:
            hit = self.p.lookup(info, name)
            if hit is not None:
                queue.append((_Step(*hit), {}))
        while queue:
            step, bound = queue.pop()
            key = (step.cls.key, step.method.name)
            if key in out:
                out[key] = {k: v for k, v in out[key].items() if bound.get(k, _UNKNOWN) == v}
                continue
            bound = out[key] = _with_self_attrs(step, bound)
            carried = {k: v for k, v in bound.items() if k.startswith("self.")}
            stored = {t for _, t in step.cls.facts.stored_calls}
            for r in self.reads(step.cls, step.method.name):
                if len(r.chain) == 1 and r.kind == F.VALUE and r.chain[0] not in stored:
                    hit = self.p.lookup(info, r.chain[0])
                    if hit is not None and not self.p.is_entry(hit[1].name):
                        queue.append((_Step(*hit), carried))
            for call in step.method.init_calls:
                target = self._target(info, step.cls, call)
                if target is not None:
                    queue.append((_Step(*target), _bind(target[1], call)))
        return out

    def _target(self, info: ClassInfo, cls: ClassInfo, call: F.InitCall) -> tuple[ClassInfo, F.MethodFacts] | None:
        if not call.target:
            return self.p.lookup(info, call.method, after=cls)  # super().m(): the next class in info's MRO
        named = self.p.resolve(cls.file, call.target)
        if not isinstance(named, ClassInfo):
            return None  # nn.Module.__init__(self), or a base we cannot see: it builds nothing of ours
        if call.skip:
            return self.p.lookup(info, call.method, after=named)  # super(Base, self): after Base
        return self.p.lookup(named, call.method)  # Base.__init__(self): Base's own MRO

    def creates(self, info: ClassInfo, w: Weight) -> bool:
        """Does building `info` run a write that creates `w`?"""
        own = self.runs(w.cls)
        if not any((w.cls.key, wr.method) in own for wr in w.writes):
            return True  # the chain is not followed even for the defining class: conclude nothing
        runs = own if info is w.cls else self.runs(info)
        for wr in w.writes:
            if wr.kind == F.NONE:
                continue  # `else: self.bias_k = None` runs, but creates nothing
            bound = runs.get((w.cls.key, wr.method))
            cond = wr.resolved_condition or wr.condition
            if bound is not None and not (cond and evaluate(cond, bound) is False):
                return True
        return False


def _with_self_attrs(step: _Step, bound: Bindings) -> Bindings:
    """`self.use_bias = use_bias` with `use_bias` bound: guards may test `self.use_bias`. Only
    attributes copied from a bound parameter, and only when the method sets them once."""
    if not bound:
        return bound
    sets: dict[str, list[F.Write]] = {}
    for w in step.cls.facts.writes:
        if w.method == step.method.name:
            sets.setdefault(w.attr, []).append(w)
    out = dict(bound)
    for attr, ws in sets.items():
        w = ws[0]
        if len(ws) == 1 and not w.conditional and w.source is not None and w.source in bound:
            out["self." + attr] = bound[w.source]
    return out


def _bind(target: F.MethodFacts, call: F.InitCall) -> Bindings:
    """The target's parameters that the call fixes to a literal."""
    params = target.params[1:]  # after self
    out: Bindings = {}
    for name, text in zip(params, call.args, strict=False):
        if text:
            out[name] = _value(text)
    for name, text in call.kwargs:
        if name in params:
            out[name] = _value(text)
    if not call.star:  # nothing forwarded: what the call leaves out takes its default
        given = {*params[: len(call.args)], *call.named}
        for name, text in target.defaults:
            if name not in given:
                out[name] = _value(text)
    return {k: v for k, v in out.items() if v is not _UNKNOWN}


def _value(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return _UNKNOWN


def evaluate(condition: str, bound: Bindings) -> bool | None:
    """The truth of a guard's source text when its names are bound constants; None if unknown."""
    if not bound:
        return None
    try:
        tree = ast.parse(condition.strip(), mode="eval")
    except SyntaxError:
        return None
    value = _eval(tree.body, bound)
    return None if value is _UNKNOWN else bool(value)


def _eval(node: ast.expr, bound: Bindings) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return bound.get(node.id, _UNKNOWN)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return bound.get("self." + node.attr, _UNKNOWN)
    if isinstance(node, ast.IfExp):
        test = _eval(node.test, bound)
        return _UNKNOWN if test is _UNKNOWN else _eval(node.body if test else node.orelse, bound)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        v = _eval(node.operand, bound)
        return _UNKNOWN if v is _UNKNOWN else not v
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, bound) for v in node.values]
        decisive = isinstance(node.op, ast.Or)  # a True decides `or`, a False decides `and`
        if any(v is not _UNKNOWN and bool(v) is decisive for v in values):
            return decisive
        return _UNKNOWN if any(v is _UNKNOWN for v in values) else not decisive
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = _eval(node.left, bound), _eval(node.comparators[0], bound)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        return _compare(node.ops[0], left, right)
    return _UNKNOWN


def _compare(op: ast.cmpop, left: object, right: object) -> object:
    try:
        if isinstance(op, ast.Is):
            return left is right
        if isinstance(op, ast.IsNot):
            return left is not right
        if isinstance(op, ast.Eq):
            return left == right
        if isinstance(op, ast.NotEq):
            return left != right
        if isinstance(op, ast.Gt):
            return left > right  # type: ignore[operator]
        if isinstance(op, ast.GtE):
            return left >= right  # type: ignore[operator]
        if isinstance(op, ast.Lt):
            return left < right  # type: ignore[operator]
        if isinstance(op, ast.LtE):
            return left <= right  # type: ignore[operator]
    except TypeError:
        return _UNKNOWN
    return _UNKNOWN

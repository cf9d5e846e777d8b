"""Shared helpers for the DW2xx/DW3xx/DW4xx rules (registration, configuration, dataflow)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from deadweight.conventions import CONTAINERS
from deadweight.extract import facts as F
from deadweight.findings import Confidence, Finding, Related
from deadweight.model.project import ClassInfo, Project, Weight
from deadweight.model.verdicts import explain_confidence, module_doubt
from deadweight.rules.base import Rule
from deadweight.rules.context import Context

WEIGHT_KINDS = frozenset({F.PARAMETER, F.BUFFER, F.MODULE})

CHECKPOINT_NOTE = (
    "the fix changes the state-dict keys of released checkpoints; to keep them loading, remap or "
    "drop the keys in `_load_from_state_dict` (or load with `strict=False` and check the reported keys)"
)


def at(
    rule: Rule,
    info: ClassInfo,
    span: F.Span,
    attribute: str,
    message: str,
    *,
    confidence: Confidence,
    defined_in: str | None = None,
    related: Iterable[Related] = (),
    claim: tuple[str, int, int] | None = None,
) -> Finding:
    """A finding anchored at any span of `info`'s file (a call, a read, a write).

    Below high confidence because the class is only judged a module, the finding says so
    (rules that lower it for other reasons say theirs first, and this adds nothing then).
    """
    if confidence != Confidence.HIGH and not info.module_certain:
        message = explain_confidence(message, confidence, [module_doubt(info)])
    found = rule.finding_at(
        info.path, span, info.name, attribute, message, confidence=confidence, defined_in=defined_in, related=related
    )
    return found if claim is None else replace(found, claim=claim)


def module_ctor(project: Project, info: ClassInfo, ctor: str | None) -> str | None:
    """The resolved name of `ctor` when it certainly builds a module or a parameter, else None."""
    if not ctor:
        return None
    last = ctor.rsplit(".", 1)[-1]
    if last == "Parameter":
        return "nn.Parameter"
    r = project.resolve(info.file, ctor)
    if isinstance(r, ClassInfo):
        return r.name if r.is_module and r.module_certain else None
    if r is not None and project.is_module_qualname(r):
        return ctor
    if last in CONTAINERS and (r is None or r.startswith("torch.")):
        return ctor
    return None


def weight_write(project: Project, info: ClassInfo, w: F.Write) -> bool:
    """A write that certainly creates a parameter, buffer or module."""
    if w.kind in (F.PARAMETER, F.BUFFER):
        return True
    return w.kind == F.MODULE and module_ctor(project, info, w.ctor) is not None


def weights_by_name(project: Project, info: ClassInfo) -> dict[str, Weight]:
    """Weights visible on instances of `info`: its own and those of its repo bases."""
    out: dict[str, Weight] = {}
    for c in reversed(info.mro):
        for w in project.weights(c):
            out[w.name] = w
    return out


def weight_statements(
    ctx: Context, kind: str, skip: Callable[[ClassInfo, F.MethodFacts], bool] | None = None
) -> Iterator[tuple[ClassInfo, ClassInfo, F.MethodFacts, F.Statement, Weight]]:
    """Forward-path statements of `kind` whose `self.<x>` is a weight, once per location."""
    seen: set[tuple[str, int, int]] = set()
    weights: dict[str, dict[str, Weight]] = {}
    project = ctx.project
    of_kind: dict[int, list[F.Statement]] = {}  # a base's method is reached once per subclass
    for info, cls, m in ctx.statement_sites:
        statements = of_kind.get(id(m))
        if statements is None:
            statements = of_kind[id(m)] = [s for s in m.statements if s.kind == kind]
        if not statements or (skip is not None and skip(cls, m)):
            continue
        for s in statements:
            key = (cls.path, s.span.line, s.span.column)
            if key in seen:
                continue
            if info.key not in weights:
                weights[info.key] = weights_by_name(project, info)
            w = weights[info.key].get(s.chain[0])
            if w is not None:
                seen.add(key)
                yield info, cls, m, s, w


def short(text: str | None, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."

"""What a run judged: how many classes were judged as modules, and which were skipped.

A silent "no dead weights found" on a code base whose base classes come from an uninstalled
framework is the worst answer deadweight can give. So the classes that create weights but
were not judged (no ancestor is a known module base and their own code does not prove they
are modules) are counted per unresolved base, with what to do about it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from deadweight.extract import facts as F
from deadweight.model.project import ClassInfo, Project


@dataclass(slots=True)
class SkippedBase:
    base: str  # the unresolved base as resolved as far as it goes ("mmengine.model.BaseModule")
    classes: int  # classes that create weights and were skipped because of it
    example: str  # one of them, "path::Class"

    def to_dict(self) -> dict[str, object]:
        return {"base": self.base, "classes": self.classes, "example": self.example}


@dataclass(slots=True)
class Coverage:
    classes: int = 0  # classes in the analyzed project
    modules: int = 0  # judged as modules
    modules_from_evidence: int = 0  # of those, judged from their own code (base unresolved)
    skipped: list[SkippedBase] = field(default_factory=list)

    @property
    def skipped_classes(self) -> int:
        return sum(s.classes for s in self.skipped)


def _creates_weights(project: Project, info: ClassInfo) -> bool:
    """A parameter, a buffer, or a layer whose class resolves to a module: a class that would
    have weights if it were a module."""
    return any(
        w.kind in (F.PARAMETER, F.BUFFER)
        or (w.kind == F.MODULE and w.ctor is not None and project.builds_module(info, w.ctor))
        for w in info.facts.writes
    )


def coverage(project: Project) -> Coverage:
    out = Coverage(classes=sum(not c.external for c in project.classes.values()))
    by_base: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for info in project.classes.values():
        if info.external:
            continue
        if info.is_module:
            out.modules += 1
            out.modules_from_evidence += not info.module_certain
            continue
        if not info.unknown_bases or not _creates_weights(project, info):
            continue
        base = info.unknown_bases[0]
        by_base[base] += 1
        examples.setdefault(base, f"{info.path}::{info.name}")
    out.skipped = [SkippedBase(b, n, examples[b]) for b, n in sorted(by_base.items(), key=lambda kv: (-kv[1], kv[0]))]
    return out

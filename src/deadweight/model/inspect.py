"""`deadweight inspect PATH::Class`: why a class is (not) a module, and what deadweight saw.

The answer to "why did (or didn't) it report this?" without reading deadweight's code: the
class's MRO, how its module-ness was decided, its entry points and reachable methods, and
each weight it can see with its verdict. Plain data, rendered as text or JSON by the CLI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from deadweight.model.project import ClassInfo, Project
from deadweight.model.reach import Analysis
from deadweight.model.verdicts import verdict


@dataclass(slots=True)
class WeightReport:
    name: str
    kind: str
    defined_in: str
    line: int
    verdict: str  # "used", or "DW101 high: <message>"
    used_in: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ClassReport:
    name: str
    path: str
    line: int
    is_module: bool
    why: str
    mro_names: list[str]  # (`mro` would be read as a default: every class has `type.mro`)
    entry_points: list[str]
    reachable: list[str]
    weights: list[WeightReport]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _why(info: ClassInfo, project: Project) -> str:
    if info.is_module and info.module_certain:
        root = next(
            (b for c in info.mro for b in c.bases if isinstance(b, str) and project.is_module_qualname(b)), None
        )
        return f"a subclass of the module base `{root}`" if root else "a subclass of a module class"
    if info.is_module:
        return f"judged a module because {info.module_evidence or 'of its own code'} (medium confidence)"
    if info.unknown_bases:
        bases = ", ".join(f"`{b}`" for b in info.unknown_bases)
        return (
            f"not judged: its base {bases} is not resolved (pass --python, or add it to module-bases) "
            "and its own code does not prove it is a module"
        )
    return "not a module: no base is a module class"


def inspect_class(project: Project, analysis: Analysis, info: ClassInfo) -> ClassReport:
    entries = [f"{c.name}.{m.name}" for c, m in analysis.entry_methods(info)] if info.is_module else []
    reached = sorted({f"{c.name}.{m.name}" for c, m in analysis.reachable(info).values()}) if entries else []
    weights: list[WeightReport] = []
    if info.is_module:
        seen: dict[str, WeightReport] = {}
        for c in reversed(info.mro):
            for w in project.weights(c):
                lv = analysis.liveness(w)
                v = verdict(project, analysis, lv)
                text = f"{v.code} {v.confidence}: {v.message}" if v is not None else "used"
                if analysis.absent_in(info, w):
                    text = (
                        f"not created when `{info.name}` is built: its construction skips the write or "
                        "the constants it passes rule out the write's guard"
                    )
                elif v is None and lv.judged and info not in lv.live_in and lv.live_in:
                    text = f"used by {', '.join(sorted(c.name for c in lv.live_in))}, not reached from this class"
                uses = sorted({f"{u.where}" for u in lv.value_uses})
                seen[w.name] = WeightReport(w.name, str(w.kind), w.owner, w.write.span.line, text, uses)
        weights = list(seen.values())
    return ClassReport(
        info.name,
        info.path,
        info.facts.span.line,
        info.is_module,
        _why(info, project),
        [c.name if not c.external else f"{c.key} (environment)" for c in info.mro]
        + [b for c in info.mro for b in c.bases if isinstance(b, str)],
        entries,
        reached,
        weights,
    )


def find_classes(project: Project, path: str | None, name: str) -> list[ClassInfo]:
    """Classes named `name` (or `Outer.Inner`), in the file `path` when given (root-relative)."""
    return [
        c
        for c in project.classes.values()
        if not c.external and c.name == name and (path is None or c.path == path or c.path.endswith("/" + path))
    ]

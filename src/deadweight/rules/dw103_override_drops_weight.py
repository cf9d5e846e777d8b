from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from deadweight.findings import Confidence, Finding, Related
from deadweight.model.project import ClassInfo, Project, Weight
from deadweight.model.reach import Analysis, Liveness
from deadweight.model.verdicts import base_confidence, checkpoint_note, describe, explain_confidence, uncertainty
from deadweight.rules.base import Rule
from deadweight.rules.context import Context


class OverrideDropsWeight(Rule):
    code = "DW103"
    name = "override-drops-weight"
    summary = "A subclass overrides a method so that an inherited weight is no longer used"
    rationale = (
        "The base class creates and uses the weight; a subclass overrides `forward` (or a helper "
        "it calls) and the new code path never reaches it. Every instance of the subclass still "
        "creates, initialises and checkpoints the weight, which never trains: the image-to-video "
        "variant that drops the position embedding its text-to-video base used."
    )
    fix = (
        "Use the weight in the override (often by calling `super().forward(...)` or the base "
        "helper), or stop creating it for the subclass (a constructor flag). Either choice changes "
        "the subclass's checkpoint keys; keep old checkpoints loading in `_load_from_state_dict`."
    )
    fix_availability = "none"
    fix_safety = (
        "No automatic fix: consuming the weight in the override changes the subclass's outputs, and not "
        "creating it changes its checkpoint keys."
    )
    bad = (
        """
# file: models/base.py
import torch
import torch.nn as nn

class VideoDiT(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, 64, dim))  # expect: DW103

    def forward(self, x):
        return self.proj(x + self.pos_embed)

# file: models/i2v.py
from .base import VideoDiT

class ImageToVideoDiT(VideoDiT):
    def forward(self, x):
        return self.proj(x)
""",
    )
    good = (
        """
import torch
import torch.nn as nn

class VideoDiT(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, 64, dim))

    def forward(self, x):
        return self.proj(x + self.pos_embed)

class ImageToVideoDiT(VideoDiT):
    def forward(self, x):
        return super().forward(x * 2)
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        project = ctx.project
        analysis: Analysis = ctx.reach
        for w in ctx.all_weights():
            lv = analysis.liveness(w)
            if not lv.live_in or lv.escapes:
                continue
            # A base whose subclasses use the weight after `super().forward()` is a building
            # block, not a class that stopped using it: only classes below a user can drop it.
            drops = [c for c in lv.judged if c not in lv.live_in and not any(c in k.mro[1:] for k in lv.live_in)]
            # One finding per class that drops it first; its subclasses inherit the same
            # override, so they are named in that finding rather than repeated.
            roots = [c for c in drops if not any(d in drops for d in c.mro[1:])]
            if not w.cls.is_module:
                # A mixin's weight (peft's LoraLayer) used by one layer type and not another is
                # no override story: only a base that uses it can be dropped from.
                roots = [c for c in roots if any(b in lv.live_in for b in c.mro[1:])]
            # Sibling classes that each drop it are one defect at one line (the weight's):
            # one finding per confidence, naming them all, with each override as a location.
            by_conf: dict[Confidence, list[_Drop]] = {}
            for root in sorted(roots, key=lambda c: c.name):
                inherit = [c for c in drops if c is not root and root in c.mro]
                drop = self._report(project, analysis, lv, w, root, inherit)
                by_conf.setdefault(drop.confidence, []).append(drop)
            for conf, group in by_conf.items():
                first, others = group[0], group[1:]
                msg = first.message
                related = list(first.related)
                if others:
                    names = ", ".join(f"`{d.cls.name}`" for d in others)
                    msg += f"; {names} {'drops' if len(others) == 1 else 'each drop'} it the same way"
                    for d in others:
                        related += [r for r in d.related if r not in related]
                msg = explain_confidence(msg, conf, first.reasons)
                found = self.finding(w, msg, confidence=conf, class_name=first.cls.name, related=related)
                yield replace(found, also_classes=tuple(d.cls.name for d in others)) if others else found

    def _report(
        self, project: Project, analysis: Analysis, lv: Liveness, w: Weight, c: ClassInfo, inherit: list[ClassInfo]
    ) -> _Drop:
        base = next((b for b in c.mro[1:] if b in lv.live_in), None)
        conf = base_confidence(project, lv)
        related: list[Related] = []
        if base is None:
            sibling = lv.live_in[0]
            msg = (
                f"{describe(w)} from `{w.owner}` is used by `{sibling.name}` but not by `{c.name}`, "
                f"whose entry points never reach it; {checkpoint_note(w)}"
            )
            conf = Confidence.MEDIUM if conf == Confidence.HIGH else conf
        else:
            # Prefer the override of the very method that read the weight in the base, then
            # the override of an entry point on the way to it.
            reading = [u.method for u in lv.value_uses if (u.cls.key, u.method) in analysis.reachable(base)]
            names = [*dict.fromkeys(reading), *(m.name for _, m in analysis.entry_methods(base))]
            overrides = []
            for name in names:
                mine = project.lookup(c, name)
                theirs = project.lookup(base, name)
                if mine and theirs and mine[0] is not theirs[0]:
                    overrides.append((mine, theirs))
            if overrides:
                (mc, mm), (bc, bm) = overrides[0]
                msg = (
                    f"{describe(w)} is not used by `{c.name}`: `{mc.name}.{mm.name}` overrides "
                    f"`{bc.name}.{bm.name}`, which used it; {checkpoint_note(w)}"
                )
                related.append(
                    Related(
                        mc.path, mm.span.line, mm.span.column, f"`{mc.name}.{mm.name}` no longer reaches `{w.name}`"
                    )
                )
            else:
                msg = (
                    f"{describe(w)} is not used by `{c.name}`, although its base `{base.name}` uses it; "
                    f"an override in `{c.name}` no longer reaches it; {checkpoint_note(w)}"
                )
            for u in lv.value_uses:
                if (u.cls.key, u.method) in analysis.reachable(base):
                    related.append(
                        Related(u.cls.path, u.read.span.line, u.read.span.column, f"used here by `{base.name}`")
                    )
                    break
        reasons = uncertainty(lv)
        if base is None:
            reasons.append(f"`{c.name}` may reach it in a way the override hides")
        if lv.populated:
            conf = Confidence.LOW
            reasons.insert(0, "it is filled item by item, and its items may be used through another reference")
        dyn = analysis.dynamic_reasons(c)
        if dyn:
            conf = Confidence.LOW
            reasons.insert(0, f"{dyn[0]} may reach it by name")
        if inherit:
            names = sorted(k.name for k in inherit)
            more = f" and {len(names) - 5} more" if len(names) > 5 else ""
            msg += f"; the same holds for its subclasses {', '.join(f'`{n}`' for n in names[:5])}{more}"
        return _Drop(c, msg, conf, reasons, related)


@dataclass
class _Drop:
    """One class that stops using the weight: the words and locations of its part of the finding."""

    cls: ClassInfo
    message: str
    confidence: Confidence
    reasons: list[str]
    related: list[Related]

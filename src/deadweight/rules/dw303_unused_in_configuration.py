from __future__ import annotations

from collections.abc import Iterable

from deadweight.extract import facts as F
from deadweight.findings import Confidence, Finding, Related
from deadweight.model.configs import unused_settings
from deadweight.model.deps import Index
from deadweight.model.project import INDEXES, ClassInfo, Project, Weight
from deadweight.model.verdicts import describe, explain_confidence
from deadweight.rules.base import Rule
from deadweight.rules.context import Context


class UnusedInConfiguration(Rule):
    code = "DW303"
    name = "unused-in-configuration"
    summary = "A weight always created but used only under a constructor flag: unused in the other settings"
    preview = True
    rationale = (
        "`if self.use_flash_attn: ... else: x = self.attend(x)` builds `attend` in every configuration "
        "and uses it in some. In the others its parameters get no gradient, and "
        'DistributedDataParallel without `find_unused_parameters=True` fails with "parameters that '
        'were not used in producing loss" on the first multi-GPU run of that configuration; with it, '
        "every step pays for a search of the autograd graph. The weight is also trained in some "
        "configurations and saved untrained in the others."
    )
    fix = (
        "Create the weight only in the configurations that use it (`self.attend = nn.Softmax(-1) if not "
        "use_flash_attn else None`), or use it in every configuration. Creating it conditionally drops "
        "its checkpoint keys from the configurations that did not use it: load those checkpoints with "
        "`strict=False`."
    )
    fix_availability = "none"
    fix_safety = "No automatic fix: which configurations should hold the weight is a design decision."
    bad = (
        """
import torch.nn as nn

class Attention(nn.Module):
    def __init__(self, dim, use_flash_attn=False):
        super().__init__()
        self.use_flash_attn = use_flash_attn
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)  # expect: DW303

    def forward(self, x):
        q = self.qkv(x)
        if self.use_flash_attn:
            return q * 2
        else:
            return self.proj(q)
""",
    )
    good = (
        """
import torch.nn as nn

class Attention(nn.Module):
    def __init__(self, dim, use_flash_attn=False):
        super().__init__()
        self.use_flash_attn = use_flash_attn
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        q = self.qkv(x)
        if x.shape[0] > 1:
            q = self.proj(q)
        if self.use_flash_attn:
            q = q * 2
        return self.proj(q)
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        for w in ctx.all_weights():
            if w.parameter_free or w.conditional:
                continue  # nothing to train, or created only in some settings already
            for u in unused_settings(ctx.reach, w):
                setting = f"`{u.param}={u.value}`" if u.value != "<set>" else f"`{u.param}` set (not None)"
                which = "in the default configuration " if u.default else ""
                built = f"built {which}with {setting}"
                if u.derived:  # `self.downsample = in_ch != out_ch or stride != 1`
                    setting = f"`{u.param}` {u.value.lower()}"
                    built = f"built {which}with arguments that make {setting}"
                msg = (
                    f"{_what(ctx, w)} is used only under `{u.guard}` (line {u.line}): {built} "
                    "it gets no gradient, so DistributedDataParallel fails on it unless "
                    "`find_unused_parameters=True`; create it only where it is used"
                )
                related = [Related(w.path, u.line, 1, f"its first use, only under `{u.guard}`")]
                site = _built_so(ctx, w, u.param, u.value)
                if site is not None:  # the project itself builds that configuration
                    holder, wr = site
                    msg += f"; `{holder.name}` builds it so (`self.{wr.attr}`, line {wr.span.line})"
                    related.append(Related(holder.path, wr.span.line, wr.span.column, f"built with {setting}"))
                    yield self.finding(w, msg, confidence=Confidence.HIGH, related=related)
                    break
                why = (
                    "callers may always pass another value"
                    if u.default
                    else "no module of the project was found building this class with that literal setting, and callers may never pass it"
                )
                msg = explain_confidence(msg, Confidence.MEDIUM, [why])
                yield self.finding(w, msg, confidence=Confidence.MEDIUM, related=related)
                break


def _what(ctx: Context, w: Weight) -> str:
    """The weight by name and class; a placeholder replaced under a condition is named with
    both classes (`nn.Conv2d` when `spatial or temporal`, else `nn.Identity`), since the
    setting the finding names may be one that builds the parameters."""
    holding = [x for x in w.writes if x.kind == F.MODULE and not ctx.project.holds_no_keys(w.cls, x)]
    if len(holding) == 1 and holding[0] is not w.write and ctx.project.holds_no_keys(w.cls, w.write):
        real = holding[0]
        return f"submodule `{w.name}` (`{real.ctor}` when `{real.condition}`, else `{w.write.ctor}`)"
    return describe(w)


def _built_so(ctx: Context, w: Weight, param: str, value: str) -> tuple[ClassInfo, F.Write] | None:
    """A module of the project that builds the weight's class (or a subclass) with the literal
    setting as a keyword (`self.block_cat = SingleConvBlock(6, 1, use_bs=False)`): evidence
    that the configuration is used, not only possible."""
    if value == "<set>":
        return None
    family = {w.cls.key, *(d.key for d in ctx.project.descendants(w.cls))}
    for holder, wr in ctx.project.index("keyword_calls").get((param, value), ()):
        target = ctx.project.resolve(holder.file, wr.ctor)
        if isinstance(target, ClassInfo) and target.key in family:
            return holder, wr
    return None


def _keyword_calls(project: Project, out: Index[tuple[str, str], list[tuple[ClassInfo, F.Write]]]) -> None:
    """Every module class's constructor calls, by each literal keyword they pass."""
    for holder in project.module_classes():
        for wr in holder.facts.writes:
            if wr.ctor:
                for kv in dict.fromkeys(wr.kwargs):
                    out.setdefault(kv, []).append((holder, wr))


INDEXES["keyword_calls"] = _keyword_calls

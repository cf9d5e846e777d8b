from __future__ import annotations

from collections.abc import Iterable

from deadweight.extract import facts as F
from deadweight.findings import Confidence, Finding, Related
from deadweight.model.configs import creation, holds
from deadweight.model.passed import Omitted, needs_argument, omitted_arguments, passed_settings
from deadweight.model.project import ClassInfo, Weight
from deadweight.model.tree import dotted_names, weight_node
from deadweight.model.verdicts import describe, explain_confidence
from deadweight.rules._common import weights_by_name
from deadweight.rules.base import Rule
from deadweight.rules.context import Context

_KEYS = 4  # keys named in the message


class UnusedInInstance(Rule):
    code = "DW304"
    name = "unused-in-instance"
    summary = "A child module's weight that one instance never runs: its holder never passes the argument it needs"
    preview = True
    rationale = (
        "`CondResBlock.forward(x, time_emb=None)` applies `time_mlp` only when `time_emb` is given, and "
        "the U-Net calls `self.final_res_block(x)` without it. The class is fine, since other instances "
        "get the embedding, but that instance's `time_mlp` never runs: its parameters are trained by "
        "nothing, saved in every checkpoint, and DistributedDataParallel reports "
        "`final_res_block.time_mlp.1.weight` as not used in producing loss (imagen-pytorch#75)."
    )
    fix = (
        "Pass the argument where the instance is called (`self.final_res_block(x, t)`), or build that "
        "instance without the weight (`CondResBlock(dim)` without `time_cond_dim`). The second drops "
        "the instance's keys from new checkpoints: load old ones with `strict=False`."
    )
    fix_availability = "none"
    fix_safety = "No automatic fix: whether the instance should receive the argument is a modelling decision."
    bad = (
        """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim, cond_dim=None):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.cond = nn.Linear(cond_dim, dim) if cond_dim is not None else None

    def forward(self, x, cond=None):
        h = self.proj(x)
        if self.cond is not None and cond is not None:
            h = h + self.cond(cond)
        return h

class Net(nn.Module):
    def __init__(self, dim, cond_dim):
        super().__init__()
        self.down = Block(dim, cond_dim=cond_dim)
        self.out = Block(dim, cond_dim=cond_dim)  # expect: DW304

    def forward(self, x, c):
        return self.out(self.down(x, c))
""",
    )
    good = (
        """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim, cond_dim=None):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.cond = nn.Linear(cond_dim, dim) if cond_dim is not None else None

    def forward(self, x, cond=None):
        h = self.proj(x)
        if self.cond is not None and cond is not None:
            h = h + self.cond(cond)
        return h

class Net(nn.Module):
    def __init__(self, dim, cond_dim):
        super().__init__()
        self.down = Block(dim, cond_dim=cond_dim)
        self.out = Block(dim)

    def forward(self, x, c):
        return self.out(self.down(x, c))
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        project = ctx.project
        for holder in ctx.module_classes():
            if not ctx.reach.is_judged(holder):
                continue
            for w in project.weights(holder):
                child = self._child(ctx, holder, w)
                if child is None:
                    continue
                omitted = omitted_arguments(project, ctx.reach, holder, w.name, child)
                if omitted is None:
                    continue
                env = passed_settings(holder, w, {}, child)
                for inner in weights_by_name(project, child).values():
                    found = self._report(ctx, holder, w, child, inner, omitted, env)
                    if found is not None:
                        yield found

    @staticmethod
    def _child(ctx: Context, holder: ClassInfo, w: Weight) -> ClassInfo | None:
        if w.kind != F.MODULE or not w.write.ctor or w.conditional:
            return None
        target = ctx.project.resolve(w.cls.file, w.write.ctor)
        if not isinstance(target, ClassInfo) or target.external or not target.is_module or target is holder:
            return None
        return target

    def _report(
        self,
        ctx: Context,
        holder: ClassInfo,
        w: Weight,
        child: ClassInfo,
        inner: Weight,
        omitted: Omitted,
        env: dict[str, str],
    ) -> Finding | None:
        if inner.parameter_free or ctx.verdict(inner) is not None:
            return None  # nothing to wait for, or dead in every instance (DW1 says so)
        needed = needs_argument(ctx.reach, inner, child, omitted)
        if needed is None:
            return None
        made = creation(inner, ctx.project)
        built = holds(made, env, inner.cls) if made is not None else True
        if built is False:
            return None  # this instance is built without it
        node = weight_node(ctx.project, ctx.reach, child, inner)
        keys = [f"{w.name}.{inner.name}.{k}" for k in dotted_names(node)] if node.children else []
        if inner.kind in (F.PARAMETER, F.BUFFER):
            keys = [f"{w.name}.{inner.name}"]
        shown = ", ".join(f"`{k}`" for k in keys[:_KEYS]) + (
            f" and {len(keys) - _KEYS} more" if len(keys) > _KEYS else ""
        )
        what = describe(inner).replace(f"`{inner.name}`", f"`{w.name}.{inner.name}`", 1)
        message = (
            f"{what} never runs in this instance: `{child.name}.forward` uses it only when `{needed}` is "
            f"passed, and `{holder.name}` calls `self.{w.name}(...)` without it (line {omitted.line}); "
            + (f"its parameters {shown} get no gradient" if shown else "its parameters get no gradient")
        )
        confidence = Confidence.HIGH
        reasons: list[str] = []
        if built is None and made is not None:
            confidence = Confidence.MEDIUM
            reasons.append(
                f"whether this instance builds it (`{made.condition}`) is not decided by what `{holder.name}` passes"
            )
        if not inner.certain or not holder.module_certain:
            confidence = Confidence.MEDIUM
            reasons.append(inner.doubt or "the weight's class is not certain")
        related = (Related(omitted.path, omitted.line, 1, f"`self.{w.name}(...)` called without `{needed}`"),)
        return self.finding(
            w,
            explain_confidence(message, confidence, reasons),
            confidence=confidence,
            class_name=holder.name,
            related=related,
        )

from __future__ import annotations

import re
from collections.abc import Iterable

from deadweight.extract import facts as F
from deadweight.findings import Confidence, Finding
from deadweight.model.project import ClassInfo, Project
from deadweight.model.verdicts import explain_confidence
from deadweight.rules._common import at, weight_statements
from deadweight.rules.base import Rule
from deadweight.rules.context import Context

_HOOKS = re.compile(r"hook", re.IGNORECASE)

# Attribute names of modules called for their side effects (caches, metrics, loggers, hooks).
_STATEFUL = re.compile(
    r"(cache|hook|log|ema|observer|quant|metric|stat|callback|profil|timer|register|update|accum|"
    r"memory|queue|writer|monitor|tracker|meter|counter|recorder|debug|print|visual|save|dump|"
    r"check|assert|valid|warn)",
    re.IGNORECASE,
)


class DiscardedModuleOutput(Rule):
    code = "DW401"
    name = "discarded-module-output"
    summary = "A submodule called as a statement in forward, its result thrown away"
    rationale = (
        "Modules do not change their input in place: `self.norm(x)` on its own line computes a "
        "normalised tensor and drops it, so the layer's parameters get no gradient and the "
        "model trains without the normalisation, dropout or projection the architecture "
        "describes. Nothing fails; DDP complains about unused parameters only when the layer has "
        "parameters and only on multi-GPU runs."
    )
    fix = (
        "Assign the result (`x = self.norm(x)`), or delete the call (and the layer, if nothing "
        "else uses it). Assigning keeps all checkpoint keys; the checkpoints trained without the "
        "layer's effect will behave differently once it is applied, so retrain or fine-tune."
    )
    fix_availability = "none"
    fix_safety = (
        "No automatic fix: the result may be what forward should have used, or the call may be meant for "
        "its side effect."
    )
    bad = (
        """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.drop = nn.Dropout(0.1)
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        self.norm(x)  # expect: DW401
        x = self.fc(x)
        self.drop(x)  # expect: DW401
        return x
""",
    )
    good = (
        """
import torch.nn as nn

class Cache(nn.Module):
    def forward(self, k):
        self.last = k

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, dim)
        self.store = Cache()
        self.kv_cache = nn.Identity()
        self.stats = nn.BatchNorm1d(dim)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.norm(x)
        self.fc.weight.data.clamp_(-1, 1)
        self.fc.reset_parameters()
        self.store(x)
        self.kv_cache(x)
        self.stats(x)
        self.act(x)
        self.helper(x)
        return self.fc(x)

    def helper(self, x):
        return x
""",
        # hard negative: features collected by forward hooks, the call runs for its hooks
        """
import torch.nn as nn

class Features(nn.Module):
    def __init__(self, dim, hooks):
        super().__init__()
        self.blocks = nn.Sequential(nn.Linear(dim, dim), nn.Linear(dim, dim))
        self.feature_hooks = hooks

    def forward(self, x):
        self.blocks(x)
        return self.feature_hooks.get_output(x.device)
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        project = ctx.project

        seen: dict[tuple[str, str], bool] = {}

        def hooked(cls: ClassInfo, m: F.MethodFacts) -> bool:
            # outputs collected by forward hooks: the call is run for its hooks (asked once per
            # method for each weight, so answered once per method)
            key = (cls.key, m.name)
            if key not in seen:
                seen[key] = any(_HOOKS.search(r.chain[0]) for r in ctx.reach.reads(cls, m.name))
            return seen[key]

        for info, cls, _m, s, w in weight_statements(ctx, "discarded_call", skip=hooked):
            if len(s.chain) != 1 or w.kind != "module" or _STATEFUL.search(w.name):
                continue
            if not self._returns_value(project, w.ctor):
                continue
            if any(k == "inplace" and v == "True" for x in w.writes for k, v in x.kwargs):
                continue  # `nn.ReLU(inplace=True)` as a statement does change its input
            ctor = w.write.ctor or w.ctor
            msg = (
                f"the output of `self.{w.name}(...)` (`{ctor}`) is discarded: modules do not change "
                f"their input in place, so this call has no effect on the result and `{w.name}` "
                "gets no gradient from it; assign it (`x = self."
                f"{w.name}(x)`) or remove the call"
            )
            msg = explain_confidence(msg, Confidence.MEDIUM, [_WHY_MEDIUM])
            claim = (cls.path, s.span.line, s.span.column)
            yield at(self, info, s.span, w.name, msg, confidence=Confidence.MEDIUM, defined_in=w.owner, claim=claim)

    @staticmethod
    def _returns_value(project: Project, ctor: str | None) -> bool:
        """torch.nn layers return a value; a repo module only if its forward returns one."""
        if not ctor:
            return False
        target = project.classes.get(ctor)
        if isinstance(target, ClassInfo):
            found = project.lookup(target, "forward") or project.lookup(target, "__call__")
            return found is not None and found[1].returns_value and not found[1].abstract
        return ctor.startswith("torch.nn.") and ctor.rsplit(".", 1)[-1] not in _SIDE_EFFECT_LAYERS


# Not high: a call made only for what it does besides returning (a hook registered elsewhere, state
# the layer keeps) looks the same from the source.
_WHY_MEDIUM = "the call may be kept for a side effect that is not visible in this code"

# torch.nn layers whose call updates state that matters even when the output is dropped.
_SIDE_EFFECT_LAYERS = frozenset(
    {
        "BatchNorm1d",
        "BatchNorm2d",
        "BatchNorm3d",
        "SyncBatchNorm",
        "LazyBatchNorm1d",
        "LazyBatchNorm2d",
        "LazyBatchNorm3d",
    }
)

from __future__ import annotations

import itertools
from collections.abc import Iterable

from deadweight.conventions import CONTAINERS, is_parameter_free
from deadweight.extract import facts as F
from deadweight.findings import Confidence, Finding, Related
from deadweight.model.project import ClassInfo
from deadweight.rules._common import at, weight_write
from deadweight.rules.base import Rule
from deadweight.rules.context import Context


class OverwrittenWeight(Rule):
    code = "DW204"
    name = "overwritten-weight"
    summary = "A weight assigned again in `__init__` before anything reads it (in every branch, or after it): the first one is dead"
    rationale = (
        "When `__init__` assigns `self.proj` twice, the first module is built, initialised (and "
        "consumes random numbers, shifting every later initialisation) and then replaced: it is "
        "never trained, never saved. Usually a copy-paste leftover; sometimes the first "
        "definition was the intended one (a different width, bias, or init), and the model "
        "silently trains a different architecture than the config says."
    )
    fix = (
        "Delete the assignment that should not be there (or give the two weights different "
        "names if both were meant to exist). The surviving weight keeps its state-dict key, so "
        "checkpoints load unchanged; if the key's shape changes, convert old checkpoints in "
        "`_load_from_state_dict`."
    )
    fix_availability = "sometimes"
    fix_applicability = "unsafe"
    fix_safety = (
        "Unsafe (applied only with `--unsafe-fixes`): deletes the first assignment when its value is a "
        "constructor call with no call on `self`. Checkpoint keys do not change, but building the first "
        "object drew random numbers to initialise it, so without it every weight created later starts "
        "from different values."
    )
    bad = (
        """
import torch
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)  # expect: DW204
        self.proj = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.gamma = nn.Parameter(torch.ones(dim))  # expect: DW204
        self.gamma = nn.Parameter(1e-5 * torch.ones(dim))

    def forward(self, x):
        return x + self.gamma * self.proj(self.norm(x))
""",
    )
    fixed = (
        """
import torch
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.gamma = nn.Parameter(1e-5 * torch.ones(dim))

    def forward(self, x):
        return x + self.gamma * self.proj(self.norm(x))
""",
    )
    good = (
        """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim, pre_norm):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        if not pre_norm:
            self.norm = nn.Identity()
        if pre_norm:
            self.proj = nn.Linear(dim, dim)
        else:
            self.proj = nn.Linear(dim, dim, bias=False)
        self.fc = nn.Linear(dim, dim)
        self.fc = nn.utils.parametrizations.weight_norm(self.fc)
        self.stages = nn.Sequential()
        self.stages = nn.Sequential(nn.Linear(dim, dim), nn.GELU())
        self.out = nn.Linear(dim, dim)
        dim_in = self.out.in_features
        self.out = nn.Linear(dim_in, dim)

    def forward(self, x):
        return self.stages(self.out(self.fc(self.proj(self.norm(x)))))
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        project = ctx.project
        for info in ctx.module_classes():
            by_attr: dict[str, list[F.Write]] = {}
            for w in info.facts.writes:
                if w.method == "__init__":
                    by_attr.setdefault(w.attr, []).append(w)
            for attr, writes in by_attr.items():
                if len(writes) < 2:
                    continue
                writes.sort(key=lambda w: (w.statement, w.span.line))
                for first, second in itertools.pairwise(writes):
                    if first.conditional or second.conditional or first.statement == second.statement:
                        continue
                    # whatever replaces it (a layer of an uninstalled package, None), the first
                    # weight is gone, unless the replacement reads it: `wrap(self.fc)`
                    if not weight_write(project, info, first) or not self._replaces(second):
                        continue
                    if self._placeholder(first):
                        continue
                    if self._read_between(info, attr, first, second):
                        continue
                    msg = (
                        f"`{attr}` is assigned again on line {second.span.line} before anything reads it: "
                        f"this `{first.ctor or first.kind}` is created and initialised, then replaced, never "
                        "trained or saved; delete one of the two assignments (the surviving one keeps the "
                        "checkpoint key)"
                    )
                    related = [Related(info.path, second.span.line, second.span.column, "replaced here")]
                    conf = Confidence.HIGH if info.module_certain else Confidence.MEDIUM
                    yield at(self, info, first.span, attr, msg, confidence=conf, related=related)
            yield from self._replaced_on_every_branch(ctx, info, by_attr)

    def _replaced_on_every_branch(
        self, ctx: Context, info: ClassInfo, by_attr: dict[str, list[F.Write]]
    ) -> Iterable[Finding]:
        """`self.emb = build()` then `if c: self.emb = None` / `else: self.emb = Other()`: each
        arm of a later statement assigns the attribute again, so the first weight is replaced
        whichever branch runs (`MethodFacts.overwrites`)."""
        init = info.facts.method("__init__")
        if init is None or not init.overwrites:
            return
        for index, attrs in init.overwrites:
            for attr in attrs:
                writes = by_attr.get(attr, [])
                later = [w for w in writes if w.statement == index]
                earlier = [w for w in writes if w.statement < index]
                if not later or not earlier or not all(self._replaces(w) for w in later):
                    continue
                first = max(earlier, key=lambda w: (w.statement, w.span.line))
                if first.conditional or not weight_write(ctx.project, info, first) or self._placeholder(first):
                    continue
                last = max(later, key=lambda w: (w.span.end_line, w.span.end_column))
                if self._read_between(info, attr, first, last):
                    continue
                lines = [str(w.span.line) for w in later]
                where = f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(lines[:-1])} or {lines[-1]}"
                msg = (
                    f"`{attr}` is assigned again on every path ({where}) before anything reads it: "
                    f"this `{first.ctor or first.kind}` is created and initialised, then replaced whichever "
                    "branch runs, never trained or saved; delete it (where a branch creates a weight, that "
                    "weight keeps the checkpoint key)"
                )
                related = [Related(info.path, w.span.line, w.span.column, "replaced here") for w in later]
                conf = Confidence.HIGH if info.module_certain else Confidence.MEDIUM
                yield at(self, info, first.span, attr, msg, confidence=conf, related=related)

    @staticmethod
    def _replaces(w: F.Write) -> bool:
        """A write that puts a new value in place of the old one without reading it (a bare
        `self.x: T` annotation assigns nothing)."""
        return w.via != "annotation" and not w.uses_previous

    @staticmethod
    def _placeholder(w: F.Write) -> bool:
        """`self.stages = nn.Sequential()` / `nn.Identity()` first: holds nothing, costs nothing."""
        last = (w.ctor or "").rsplit(".", 1)[-1]
        if last in CONTAINERS and not w.elements and not w.kwargs:
            return True
        return w.kind == F.MODULE and is_parameter_free(last, dict(w.kwargs))

    @staticmethod
    def _read_between(info: ClassInfo, attr: str, first: F.Write, second: F.Write) -> bool:
        lo, hi = first.span.end_line, second.span.end_line
        for r in info.facts.reads:
            if r.method != "__init__" or r.chain[0] != attr or r.kind in (F.DELETE, F.INIT):
                continue
            if (lo, first.span.end_column) <= (r.span.line, r.span.column) and r.span.line <= hi:
                return True
        # a helper called in between may read it: `self._init_proj()`
        for r in info.facts.reads:
            if (
                r.method == "__init__"
                and len(r.chain) == 1
                and r.kind == F.VALUE
                and lo <= r.span.line <= hi
                and info.facts.method(r.chain[0]) is not None
            ):
                return True
        return False

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Iterator

from deadweight.extract import facts as F
from deadweight.findings import Finding
from deadweight.model.project import ClassInfo, Project, Weight
from deadweight.model.reach import Analysis
from deadweight.model.verdicts import describe
from deadweight.rules.base import Rule
from deadweight.rules.context import Context

_NAME = re.compile(r"(?<![\w.'\"])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_DEAD = frozenset({"DW101", "DW104"})  # DW105 layers hold no parameters: nothing to train
_CONSEQUENCE = (
    "setting it only adds untrained parameters to the optimizer and checkpoints, so the configuration "
    "changes nothing the model computes"
)
_FLAGS = re.compile(r"flag (.+?) decides whether ")  # the flag names, as `check` words them


def flags_in(condition: str, params: tuple[str, ...]) -> list[str]:
    """`not (cfg.use_pos and learnable)` -> ["cfg.use_pos", "learnable"] (init params / self attrs)."""
    out: list[str] = []
    for name in _NAME.findall(condition):
        head = name.split(".")[0]
        if keyword.iskeyword(head) or head in ("None", "True", "False"):
            continue
        if ((head == "self" and "." in name) or (head != "self" and head in params)) and name not in out:
            out.append(name)
    return out


class IgnoredFlag(Rule):
    code = "DW301"
    folds_into = _DEAD  # one defect: the dead weight's finding carries the ignored flag
    name = "ignored-flag"
    summary = "An `__init__` flag that decides whether a weight exists, while forward ignores both"
    rationale = (
        "A configuration flag (`learnable_pos_embed=True`) makes `__init__` create a weight, but no "
        "entry point reads the flag or uses the weight: turning the flag on adds parameters to the "
        "optimizer and keys to every checkpoint and changes nothing else. Experiments that sweep "
        "the flag compare identical models; a released config that sets it ships a weight that "
        "was never trained. This is the CogVideoX image-to-video defect seen from the "
        "configuration side. When DW101 or DW104 runs too, this finding is folded into the weight's "
        "finding (one defect, one finding, with both facts); it is reported on its own otherwise."
    )
    fix = (
        "Make forward use the weight when the flag is set (the usual intent), or remove the flag "
        "and the weight. Removing the weight drops its checkpoint keys: load released "
        "checkpoints with `strict=False` or drop the stale keys in `_load_from_state_dict`."
    )
    fix_availability = "none"
    fix_safety = (
        "No automatic fix: forward should either honour the flag or the flag should go, and both change "
        "the model or its configuration."
    )
    bad = (
        """
import torch
import torch.nn as nn

class PatchEmbed(nn.Module):
    def __init__(self, dim, n, learnable_pos_embed=False):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        if learnable_pos_embed:
            self.pos_embedding = nn.Parameter(torch.zeros(1, n, dim))  # expect: DW301

    def forward(self, x):
        return self.proj(x)
""",
        """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.fc = nn.Linear(config.dim, config.dim)
        self.gate = nn.Linear(config.dim, 1) if config.use_gate else None  # expect: DW301

    def forward(self, x):
        return self.fc(x)
""",
    )
    good = (
        """
import torch
import torch.nn as nn

class PatchEmbed(nn.Module):
    def __init__(self, dim, n, learnable_pos_embed=False):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        if learnable_pos_embed:
            self.pos_embedding = nn.Parameter(torch.zeros(1, n, dim))

    def forward(self, x):
        x = self.proj(x)
        if hasattr(self, "pos_embedding"):
            x = x + self.pos_embedding
        return x
""",
        # hard negatives: the flag is copied to self and consulted in forward (the weight is
        # then judged by DW101 alone); an unconditional dead weight is DW101's business
        """
import torch
import torch.nn as nn

class PatchEmbed(nn.Module):
    def __init__(self, dim, n, use_pos=False):
        super().__init__()
        self.use_pos = use_pos
        self.proj = nn.Linear(dim, dim)
        self.unused = nn.Linear(dim, dim)
        if use_pos:
            self.pos = nn.Parameter(torch.zeros(1, n, dim))

    def forward(self, x):
        if self.use_pos:
            x = x * 2
        return self.proj(x)
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        project, analysis = ctx.project, ctx.reach
        for w in ctx.all_weights():
            if w.parameter_free or not analysis.is_judged(w.cls):
                continue  # an abstract holder (weights loaded into another model) is not judged here
            cond_writes = [
                x for x in w.writes if x.conditional and x.condition and x.kind in (F.PARAMETER, F.BUFFER, F.MODULE)
            ]
            if not cond_writes:
                continue
            method = w.cls.facts.method(cond_writes[0].method)
            params = tuple(p for p in (method.params if method else ()) if p != "self")
            flags = flags_in(cond_writes[0].condition or "", params)
            if not flags:
                continue
            v = ctx.verdict(w)
            if v is None or v.code not in _DEAD:
                continue
            if self._tested_on_path(project, analysis, w):
                continue  # `if self.proj is not None:` in forward: the flag changes what runs
            consulted = self._consulted(project, analysis, w.cls, flags)
            flags = [f for f in flags if f not in consulted]
            if not flags:
                continue
            names = ", ".join(f"`{f}`" for f in flags)
            msg = (
                f"flag {names} decides whether {describe(w)} is created, but no entry point reads the "
                f"flag or uses the weight (see {v.code}): {_CONSEQUENCE}"
            )
            yield self.finding(w, msg, confidence=v.confidence, related=v.related)

    @classmethod
    def folded_message(cls, mine: Finding, target: Finding) -> str:
        """Into the weight's DW101/DW104: 'the flag ... is read by no entry point either'."""
        names = _FLAGS.match(mine.message)
        flag = f"the flag {names.group(1)} that decides whether it is created" if names else "the flag that creates it"
        return f"{target.message}; {flag} is read by no entry point either (DW301): {_CONSEQUENCE}"

    @staticmethod
    def _path_reads(project: Project, analysis: Analysis, info: ClassInfo) -> Iterator[tuple[str, F.Read]]:
        """(method, read) for every read an entry point of `info` or a judged subclass reaches."""
        for c in [info, *project.descendants(info)]:
            if analysis.is_judged(c):
                for cls, m in analysis.reachable(c).values():
                    for r in analysis.reads(cls, m.name):
                        yield m.name, r

    @classmethod
    def _tested_on_path(cls, project: Project, analysis: Analysis, w: Weight) -> bool:
        """A test of the weight that steers the forward path (`if self.adaptive_softmax is None:
        return self.output_projection(x)`): the flag decides what runs. A test inside `assert`
        (or an `if` that only asserts) steers nothing."""
        return any(
            r.chain == (w.name,) and r.kind in (F.NONE_TEST, F.TRUTH)
            for _, r in cls._path_reads(project, analysis, w.cls)
        )

    @classmethod
    def _consulted(cls, project: Project, analysis: Analysis, info: ClassInfo, flags: list[str]) -> set[str]:
        keys = {f: f.rsplit(".", 1)[-1] for f in flags}
        out: set[str] = set()
        for method, r in cls._path_reads(project, analysis, info):
            if not project.is_init(method):
                out.update(f for f, key in keys.items() if key in r.chain)
        return out

from __future__ import annotations

from collections.abc import Iterable

from deadweight.extract import facts as F
from deadweight.findings import Confidence, Finding, Related
from deadweight.model.verdicts import explain_confidence
from deadweight.rules._common import at
from deadweight.rules.base import Rule
from deadweight.rules.context import Context

# Reads that show the code moves the tensor itself (`self.freqs.to(x.device)`).
_DEVICE_AWARE = frozenset({"to", "cuda", "type_as", "cpu", "half", "float", "double", "bfloat16"})


class UnregisteredTensor(Rule):
    code = "DW202"
    name = "unregistered-tensor"
    summary = "A tensor built in `__init__` and used in forward, but not a parameter or a buffer"
    rationale = (
        "A tensor assigned as a plain attribute (`self.mask = torch.ones(...)`) is not part of the "
        "module's state: `.to(device)`, `.cuda()`, `.half()` leave it on the CPU in float32 (a "
        "device or dtype error on the first GPU forward, or a silent CPU round-trip), "
        "`state_dict()` does not save it, DataParallel replicas do not receive it, and if it was "
        "built with `requires_grad=True` the optimizer never sees it, so it is never trained."
    )
    fix = (
        'Register it: `self.register_buffer("mask", torch.ones(...), persistent=False)` for a '
        "constant that should follow the device but stay out of checkpoints (no key changes), "
        '`register_buffer("mask", ...)` to save it (adds a key: load older checkpoints with '
        "`strict=False` or add the key in `_load_from_state_dict`), or `nn.Parameter(...)` if it "
        "is meant to be learned."
    )
    fix_availability = "none"
    fix_safety = (
        "No automatic fix: a parameter is trained and a buffer is not, and a buffer is saved unless "
        "`persistent=False`; each choice changes the optimizer or the checkpoint keys."
    )
    bad = (
        """
import torch
import torch.nn as nn

class Attention(nn.Module):
    def __init__(self, dim, n):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.mask = torch.tril(torch.ones(n, n))  # expect: DW202
        self.temperature = torch.ones(1, requires_grad=True)  # expect: DW202

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        a = (q @ k.transpose(-1, -2)) / self.temperature
        return a.masked_fill(self.mask == 0, float("-inf")).softmax(-1) @ v
""",
    )
    good = (
        """
import torch
import torch.nn as nn

class Attention(nn.Module):
    def __init__(self, dim, n):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.register_buffer("mask", torch.tril(torch.ones(n, n)), persistent=False)
        self.temperature = nn.Parameter(torch.ones(1))

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        a = (q @ k.transpose(-1, -2)) / self.temperature
        return a.masked_fill(self.mask == 0, float("-inf")).softmax(-1) @ v
""",
        # hard negatives: moved to the input's device at use; registered later; a cache rebuilt
        # in forward; only used in __init__; a tensor in a class that is not a module
        """
import torch
import torch.nn as nn

class Rotary(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.freqs = torch.arange(dim)
        self.scale = torch.ones(dim)
        self.register_buffer("scale", self.scale)
        self.cache = torch.zeros(1)
        self.init_table = torch.randn(dim)
        self.table = self.init_table * 2

    def forward(self, x):
        if self.cache.shape[0] != x.shape[0]:
            self.cache = torch.zeros(x.shape[0], device=x.device)
        return x * self.freqs.to(x.device) * self.scale + self.cache

class Sampler:
    def __init__(self, n):
        self.steps = torch.linspace(0, 1, n)

    def __call__(self, x):
        return x * self.steps
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        project = ctx.project
        analysis = ctx.reach
        moved = analysis.moved_by_apply()
        for info in ctx.module_classes():
            if not analysis.is_judged(info):
                continue
            tensor_writes = [w for w in info.facts.writes if w.kind == F.TENSOR and w.method == "__init__"]
            if not tensor_writes:
                continue
            reached = analysis.reachable(info).values()
            names = {w.attr for w in tensor_writes}
            other_writes: set[str] = set()
            for c in info.mro:
                for o in c.facts.writes:
                    if o.attr in names and (o.kind in (F.PARAMETER, F.BUFFER) or not project.is_init(o.method)):
                        other_writes.add(o.attr)  # registered, or rebuilt/moved outside __init__
            uses: dict[str, list[tuple[str, F.Read]]] = {}
            aware: set[str] = set()
            for cls, m in reached:
                if project.is_init(m.name):
                    continue
                for r in analysis.reads(cls, m.name):
                    if r.chain[0] not in names:
                        continue
                    if len(r.chain) > 1 and r.chain[1] in _DEVICE_AWARE:
                        aware.add(r.chain[0])
                    if r.kind == F.VALUE:
                        uses.setdefault(r.chain[0], []).append((cls.path, r))
            aware |= {n for n in names if n in moved}
            seen: set[str] = set()
            for w in tensor_writes:
                if w.attr in seen or w.attr in other_writes or w.attr in aware or w.attr not in uses:
                    continue
                seen.add(w.attr)
                grad = any(k == "requires_grad" and v == "True" for k, v in w.kwargs)
                ctor = w.ctor.rsplit(".", 1)[-1] if w.ctor else "tensor"
                if grad:
                    msg = (
                        f"`{w.attr}` is a tensor with `requires_grad=True` (`{w.ctor}`) assigned as a plain "
                        "attribute: it is not an `nn.Parameter`, so the optimizer never trains it, "
                        "`state_dict()` does not save it and `.to(device)` does not move it; wrap it in "
                        "`nn.Parameter` (this adds a checkpoint key: load older checkpoints with `strict=False`)"
                    )
                else:
                    msg = (
                        f"`{w.attr}` is a tensor (`{w.ctor}`) assigned as a plain attribute and used in "
                        "forward: `.to(device)`/`.half()` do not move it and `state_dict()` does not save "
                        f'it; use `register_buffer("{w.attr}", ..., persistent=False)` (no checkpoint '
                        "key changes) or a persistent buffer (load older checkpoints with `strict=False`)"
                    )
                conf = (
                    Confidence.HIGH
                    if grad
                    else (
                        Confidence.MEDIUM
                        if ctor in ("tensor", "as_tensor", "Tensor") or not info.module_certain
                        else Confidence.HIGH
                    )
                )
                if conf == Confidence.MEDIUM and info.module_certain:
                    # a `torch.tensor(...)` attribute is often kept off the module deliberately
                    why = f"a plain `{w.ctor}` attribute is sometimes kept off the module on purpose and moved by hand where used"
                    msg = explain_confidence(msg, conf, [why])
                upath, u = uses[w.attr][0]
                related = [Related(upath, u.span.line, u.span.column, f"used here, in `{u.method}`")]
                yield at(self, info, w.span, w.attr, msg, confidence=conf, related=related)

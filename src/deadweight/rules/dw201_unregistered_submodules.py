from __future__ import annotations

from collections.abc import Iterable

from deadweight.conventions import TORCH_NN, is_parameter_free, torch_layer_keys
from deadweight.extract import facts as F
from deadweight.findings import Confidence, Finding
from deadweight.model.project import ClassInfo, Project
from deadweight.rules._common import CHECKPOINT_NOTE, at, module_ctor
from deadweight.rules.base import Rule
from deadweight.rules.context import Context


class UnregisteredSubmodules(Rule):
    code = "DW201"
    name = "unregistered-submodules"
    summary = "Modules or parameters kept in a plain `list`, `dict` or `tuple` attribute"
    rationale = (
        "`nn.Module` registers a submodule only when it is assigned directly or held by "
        "`nn.ModuleList`/`nn.ModuleDict`/`nn.Sequential`. Layers kept in a plain list are invisible "
        "to `parameters()` (the optimizer never updates them: they stay at their random "
        "initialisation), to `state_dict()` (they are not saved, so a reloaded model silently "
        "re-randomises them), to `.to(device)`/`.half()` (device mismatch at the first forward on "
        "GPU) and to `.train()`/`.eval()` (dropout and batch-norm stay in the wrong mode)."
    )
    fix = (
        "Wrap the container: `nn.ModuleList([...])` for lists and tuples of modules, "
        "`nn.ModuleDict({...})` for dicts, `nn.ParameterList`/`nn.ParameterDict` for parameters. "
        "This adds new state-dict keys (`blocks.0.weight`, ...): checkpoints saved before the fix "
        "lack them, so load those with `strict=False` (the new keys are reported as missing and "
        "keep their fresh initialisation, which is what the old model effectively had) or fill "
        "them in `_load_from_state_dict`."
    )
    fix_availability = "sometimes"
    fix_applicability = "unsafe"
    fix_safety = (
        "Unsafe (applied only with `--unsafe-fixes`): wraps a list or tuple in `nn.ModuleList` "
        "(`nn.ParameterList` for parameters) and a dict in `nn.ModuleDict` (`nn.ParameterDict`), when the"
        " file imports `torch.nn`. What it holds then joins `state_dict()` (new keys: old checkpoints "
        "load only with `strict=False`), `parameters()` and the optimizer, `.to()` and `.cuda()` moves, "
        "and `train()` / `eval()`; code that relied on a plain list (concatenation, JSON dumps) may "
        "behave differently."
    )
    bad = (
        """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(x)

class Tower(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.blocks = [Block(dim) for _ in range(depth)]  # expect: DW201
        self.heads = {"cls": nn.Linear(dim, 10), "box": nn.Linear(dim, 4)}  # expect: DW201

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return {k: h(x) for k, h in self.heads.items()}
""",
        """
import torch
import torch.nn as nn

class Scales(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.scales = [nn.Parameter(torch.ones(1)) for _ in range(n)]  # expect: DW201

    def forward(self, xs):
        return [x * s for x, s in zip(xs, self.scales)]
""",
    )
    fixed = (
        """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(x)

class Tower(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(dim, 10), "box": nn.Linear(dim, 4)})

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return {k: h(x) for k, h in self.heads.items()}
""",
        """
import torch
import torch.nn as nn

class Scales(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(1)) for _ in range(n)])

    def forward(self, xs):
        return [x * s for x, s in zip(xs, self.scales)]
""",
    )
    good = (
        """
import torch.nn as nn

class Tower(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(dim, dim) for _ in range(depth)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(dim, 10)})

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.heads["cls"](x)
""",
        # hard negatives: a list converted to a ModuleList later; lists of plain values, of
        # shapes, of functions; a list that wraps an existing model on purpose (kept out of the
        # state dict: a frozen teacher); a class that is not a module
        """
import torch.nn as nn
import torch.nn.functional as F

class Tower(nn.Module):
    def __init__(self, dim, depth, teacher):
        super().__init__()
        layers = []
        self.blocks = [nn.Linear(dim, dim) for _ in range(depth)]
        self.blocks = nn.ModuleList(self.blocks)
        self.dims = [int(dim * 2 ** i) for i in range(depth)]
        self.acts = (F.relu, F.gelu)
        self.teacher = [teacher]

    def forward(self, x):
        for block, act in zip(self.blocks, self.acts):
            x = act(block(x))
        return x, self.dims, self.teacher[0](x)

class Builder:
    def __init__(self, dim):
        self.layers = [nn.Linear(dim, dim)]
""",
        # hard negatives: a list registered right away under computed names (keeps
        # nn.Sequential-style checkpoint keys), and a list of stateless loss modules
        """
import torch.nn as nn

class PredictionBlock(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.layers = [nn.Linear(dim, dim), nn.ReLU()]
        for i, layer in enumerate(self.layers):
            self.add_module(str(i), layer)
        self.losses = [nn.SmoothL1Loss(), nn.CrossEntropyLoss()]

    def forward(self, x, y):
        for layer in self.layers:
            x = layer(x)
        return sum(loss(x, y) for loss in self.losses)
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        project = ctx.project
        for info in ctx.module_classes():
            writes = info.facts.writes
            for w in writes:
                if w.kind != F.PLAIN_CONTAINER or (
                    not project.is_init(w.method) and w.method not in ("setup", "build")
                ):
                    continue
                mods = [c for c in (module_ctor(project, info, e) for e in w.elements) if c]
                if not mods or (all(_stateless(c) for c in mods) and not any(_follows_mode(c) for c in mods)):
                    continue  # losses and activations: nothing to register, nothing that eval() changes
                if _registers_by_name(info, w.method):
                    continue  # `for i, m in enumerate(self.layers): self.add_module(str(i), m)`
                # re-registered later: `self.blocks = nn.ModuleList(self.blocks)`
                if any(
                    o.attr == w.attr and o.kind in (F.MODULE, F.PARAMETER) and o.statement > w.statement for o in writes
                ):
                    continue
                params = all(c == "nn.Parameter" for c in mods)
                wrapper = "nn.ParameterList` / `nn.ParameterDict" if params else "nn.ModuleList` / `nn.ModuleDict"
                what = "parameters" if params else f"modules (`{mods[0].rsplit('.', 1)[-1]}`)"
                if all(_stateless(c) for c in mods) or _keyless(project, info, w.elements):
                    # Project modules without parameters (a dropout wrapper): what goes wrong is
                    # the mode and the device, not the checkpoint.
                    msg = (
                        f"`{w.attr}` keeps {what} in a plain container: they are not registered, so "
                        "`.train()/.eval()` never reach them (their `self.training` stays as built) and "
                        f"`.to(device)` never moves them; use `{wrapper}`; they hold no parameters, so "
                        "wrapping them changes no checkpoint key"
                    )
                else:
                    msg = (
                        f"`{w.attr}` keeps {what} in a plain container: they are not registered, so "
                        "`parameters()`, the optimizer, `state_dict()`, `.to(device)` and `.train()/.eval()` "
                        f"never see them; use `{wrapper}`; {CHECKPOINT_NOTE}"
                    )
                conf = Confidence.HIGH if info.module_certain else Confidence.MEDIUM
                yield at(self, info, w.span, w.attr, msg, confidence=conf)


def _stateless(ctor: str) -> bool:
    """Modules that hold no parameters or buffers (losses, activations, dropout)."""
    last = ctor.rsplit(".", 1)[-1]
    if torch_layer_keys(last, {}) is not None:  # torch's own: `AdaptiveLogSoftmaxWithLoss` has weights
        return is_parameter_free(last, {})
    return (last.endswith("Loss") and last != "Loss") or is_parameter_free(last, {})


def _follows_mode(ctor: str) -> bool:
    """A torch layer whose forward reads `self.training` (dropout, RReLU), as torch's own
    sources say (`conventions.TORCH_NN`): left unregistered, `eval()` never switches it off."""
    entry = TORCH_NN.get(ctor.rsplit(".", 1)[-1]) if ctor.startswith(("nn.", "torch.nn.")) else None
    return entry is not None and "training" in entry[0]


def _keyless(project: Project, info: ClassInfo, elements: tuple[str, ...]) -> bool:
    """Every module in the container is one of the project's classes that holds no checkpoint
    state, so registering them adds no key."""
    classes = [project.resolve(info.file, e) for e in elements]
    modules = [c for c in classes if isinstance(c, ClassInfo) and c.is_module]
    return bool(modules) and len(modules) == len(classes) and all(project.stateless(c) for c in modules)


def _registers_by_name(info: ClassInfo, method: str) -> bool:
    """The builder registers modules under computed names (`self.add_module(str(i), layer)`)."""
    m = info.facts.method(method)
    return m is not None and any(
        r in ("self.add_module", "self.register_module", "self.register_parameter") for r in m.computed_writes
    )

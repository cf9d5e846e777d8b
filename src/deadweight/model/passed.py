"""Forward arguments that a holder never passes to one child instance, and the weights of that
instance that run only when such an argument is given.

imagen-pytorch#75: a U-Net builds its final residual block with a time-conditioning MLP and
calls it as `self.final_res_block(x)`, while the block applies the MLP only under `if time_emb
is not None`. The class is fine (other instances get the embedding); that one instance's MLP
never runs, and DDP names `final_res_block.time_mlp.1.weight`. A guard on a forward argument
is input-dependent in general; it is decided here only when every call of the instance is
read (direct calls `self.<attr>(...)` whose arguments are counted) and the argument defaults
to None, so a call that leaves it out passes None.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from deadweight.extract import facts as F
from deadweight.model import deps
from deadweight.model.configs import UNKNOWN_SETTING, init_defaults
from deadweight.model.project import ClassInfo, Project, Weight
from deadweight.model.reach import Analysis

_LOOKS = (F.META, F.NONE_TEST, F.TRUTH, F.ASSERTED, F.HASATTR)  # reads that call nothing


@dataclass(frozen=True, slots=True)
class Omitted:
    params: frozenset[str]  # forward parameters (default None) that no call of the instance passes
    holder: ClassInfo  # the class whose code makes the calls
    line: int  # the first call, for the message
    path: str


def omitted_arguments(
    project: Project, analysis: Analysis, holder: ClassInfo, attr: str, child: ClassInfo
) -> Omitted | None:
    """The defaulted-to-None forward parameters of `child` that no call `self.<attr>(...)` in
    `holder` passes; None when the instance may be reached another way (passed on, iterated,
    `self.<attr>.forward(..)`, a star argument) or nothing is left out."""
    found = project.lookup(child, "forward")
    if found is None:
        return None
    _, forward = found
    defaults = dict(forward.defaults)
    params = [p for p in forward.params if p != "self"]
    calls: list[tuple[F.Read, ClassInfo]] = []
    for c in holder.mro:
        if c.external:
            continue
        for r in c.facts.reads:
            if r.chain[0] != attr:
                continue
            if len(r.chain) == 1 and r.kind in _LOOKS:
                continue
            if len(r.chain) > 1 or r.passes is None or "*" in r.passes:
                return None  # `self.block.forward(..)`, passed on, iterated: calls not read
            calls.append((r, c))
    if not calls or _reached_otherwise(project, analysis, holder, attr):
        return None
    left_out = set()
    for index, p in enumerate(params):
        if defaults.get(p) != "None":
            continue
        if all(int(r.passes[0]) <= index and p not in r.passes[1:] for r, _ in calls if r.passes is not None):
            left_out.add(p)
    if not left_out:
        return None
    for _, c in calls:  # the first call, by line, over files: their positions choose it
        deps.position(c.path)
    first, home = min(calls, key=lambda rc: rc[0].span.line)
    return Omitted(frozenset(left_out), holder, first.span.line, home.path)


def _reached_otherwise(project: Project, analysis: Analysis, holder: ClassInfo, attr: str) -> bool:
    """The holder hands itself or the child to code whose calls are not read."""
    weight = next((w for c in holder.mro if not c.external for w in project.weights(c) if w.name == attr), None)
    if weight is None:
        return True
    lv = analysis.liveness(weight)
    return bool(lv.passed_self or lv.pattern or lv.stored_call or lv.dynamic or lv.escapes or lv.holder_uses)


def needs_argument(analysis: Analysis, w: Weight, child: ClassInfo, omitted: Omitted) -> str | None:
    """The left-out argument every use of `w` (a weight `child` has) requires, when all its uses
    sit in `child`'s forward under a guard that holds only when that argument is not None."""
    found = analysis.p.lookup(child, "forward")
    if found is None:
        return None
    home, _ = found
    lv = analysis.liveness(w)
    if not lv.value_uses or lv.escapes or lv.holder_uses or lv.passed_self or lv.pattern or lv.stored_call:
        return None
    needed: set[str] = set()
    for u in lv.value_uses:
        if u.cls is not home or u.method != "forward" or not u.read.guarded_by:
            return None
        p = _required(u.read.guarded_by, omitted.params)
        if p is None:
            return None
        needed.add(p)
    return sorted(needed)[0] if needed else None


def _required(guard: str, params: frozenset[str]) -> str | None:
    """`time_emb is not None`, `self.mlp is not None and time_emb is not None`, `if time_emb:`:
    the parameter among `params` the guard requires to be not None."""
    try:
        node = ast.parse(guard, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    terms = node.values if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) else [node]
    for t in terms:
        if isinstance(t, ast.Name) and t.id in params:
            return t.id
        if (
            isinstance(t, ast.Compare)
            and isinstance(t.left, ast.Name)
            and t.left.id in params
            and len(t.ops) == 1
            and isinstance(t.ops[0], ast.IsNot)
            and isinstance(t.comparators[0], ast.Constant)
            and t.comparators[0].value is None
        ):
            return t.left.id
    return None


def passed_settings(
    holder: ClassInfo, w: Weight, env: dict[str, str], child: ClassInfo | None = None
) -> dict[str, str]:
    """The constructor arguments the holder passes to the child it builds as `w`, as settings of
    the child: literals, and the holder's own parameters at their values in `env` or their
    defaults (`CondResBlock(dim, time_cond_dim=cond_dim)` with `cond_dim=32`); any other
    expression is passed but unknown (`UNKNOWN_SETTING`), so the child's default does not apply.
    With `child`, the parameters its `__init__` takes by position are passed-but-unknown as
    far as the call passes positional arguments (all of them after a `*args`)."""
    defaults = init_defaults(holder)
    out: dict[str, str] = {}
    count = w.write.positional
    init = next((c.facts.method("__init__") for c in child.mro if c.facts.method("__init__")), None) if child else None
    if init is not None and count:
        taken = [p for p in init.params if p != "self"]
        for name in taken if count < 0 else taken[:count]:
            out[name] = UNKNOWN_SETTING
    for name, text in w.write.kwargs:
        try:
            ast.literal_eval(text)
            out[name] = text
            continue
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            pass
        value = env.get(text, defaults.get(text))
        out[name] = value if value is not None else UNKNOWN_SETTING  # passed, value not known
    return out

"""From a weight's liveness to at most one DW101/DW102/DW104/DW105 verdict.

The four codes are one decision seen from different sides (never read, read only off the
forward path, only inspected, a parameter-free layer never applied), so they are decided
here once, and each rule file reports the verdicts that carry its code. DW103 is per
subclass and lives in its own rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from deadweight.conventions import CONTAINERS, torch_layer_keys
from deadweight.extract import facts as F
from deadweight.findings import Confidence, Related
from deadweight.model import deps
from deadweight.model.elements import describe_skipped, skipped_elements, written
from deadweight.model.project import ClassInfo, Project, Weight
from deadweight.model.reach import Analysis, Liveness, Use


@dataclass(frozen=True)
class Verdict:
    code: str
    confidence: Confidence
    message: str
    related: tuple[Related, ...]
    # the container elements the verdict is about (`0`, `-1` for the last); () for the whole weight
    elements: tuple[str, ...] = ()


def describe(w: Weight) -> str:
    """`parameter `pos``, `submodule `head` (`nn.Linear`)`: what the weight is, by name."""
    if w.kind == F.PARAMETER:
        return f"parameter `{w.name}`"
    if w.kind == F.BUFFER:
        return f"buffer `{w.name}`"
    ctor = w.write.ctor or (w.ctor or "module").rsplit(".", 1)[-1]
    return f"{'layer' if w.parameter_free else 'submodule'} `{w.name}` (`{ctor}`)"


def non_persistent(w: Weight) -> bool:
    return w.kind == F.BUFFER and ("persistent", "False") in w.write.kwargs


def empty_container(w: Weight) -> bool:
    """`nn.ModuleList()` that nothing fills (callers check `populated`): it holds no keys."""
    return w.kind == F.MODULE and w.write.no_args and (w.write.ctor or "").rsplit(".", 1)[-1] in CONTAINERS


def checkpoint_note(w: Weight, populated: bool = True) -> str:
    """The state-dict keys a fix would remove: what maintainers weigh before deleting."""
    if not populated and empty_container(w):
        return "it is an empty container that nothing fills, so removing it changes no checkpoint key"
    if non_persistent(w):
        return "it is a non-persistent buffer, so removing it changes no checkpoint key"
    if w.parameter_free:
        return "it holds no parameters, so removing it changes no checkpoint key"
    if w.kind == F.MODULE and not w.certain:
        return f"removing it drops whatever checkpoint keys `{w.name}.*` it has"
    if w.kind == F.MODULE:
        keys = torch_keys(w)
        if keys:
            named = [f"`{w.name}.{k}`" for k in keys[:_KEYS_SHOWN]]
            more = f" and {len(keys) - _KEYS_SHOWN} more" if len(keys) > _KEYS_SHOWN else ""
            return f"removing it drops the checkpoint key{'s' if len(keys) > 1 else ''} {', '.join(named)}{more}"
        return f"removing it drops the checkpoint keys `{w.name}.*`"
    return f"removing it drops the checkpoint key `{w.name}`"


_KEYS_SHOWN = 4


def torch_keys(w: Weight) -> list[str]:
    """The keys a torch.nn layer built with these literal arguments holds, as building it gave
    them (`_torch_state_table.py`); empty when that is not known (a flag read from config)."""
    found: set[frozenset[str] | None] = set()
    for x in w.writes:
        if x.kind == F.NONE:
            continue
        ctor = x.ctor or ""
        if x.kind != F.MODULE or not ctor.startswith(("nn.", "torch.nn.")):
            return []
        found.add(torch_layer_keys(ctor.rsplit(".", 1)[-1], dict(x.kwargs)))
    if len(found) != 1:
        return []  # built differently per branch: say `name.*`
    keys = found.pop()
    return sorted(keys) if keys else []


def created(w: Weight) -> str:
    if w.write.condition:
        cond = w.write.condition if len(w.write.condition) <= 60 else w.write.condition[:57] + "..."
        return f" (created only when `{cond}`)"
    return ""


def _commented_out(project: Project, w: Weight) -> tuple[ClassInfo, int, str] | None:
    """The first commented-out line that mentions the weight, in its class, a base or a
    subclass (`# h = self.embedding_dropout(h)`)."""
    for c in (*w.cls.mro, *project.descendants(w.cls)):
        for attr, line, text in c.facts.commented:
            if attr == w.name:
                deps.position(c.path)  # the line goes into the message
                return c, line, text
    return None


def _init_note(project: Project, lv: Liveness, u: Use) -> str:
    """Where a read that does not count as a use sits, in words that hold for that method:
    `__init__`, a method `__init__` calls to build the module, or an initialisation method;
    none of them is on the forward path (reach.py keeps those that are as uses)."""
    if u.read.into is not None and u.read.into in lv.shared_with_dead:
        return f"shared here with `{u.read.into}`, which is never used either"
    if u.method == "__init__":
        return f"read here, in `{u.where}`"
    if project.is_init(u.method):
        return f"read here, in `{u.where}`, an initialisation method the forward path does not reach"
    return f"read here, in `{u.where}`, which `__init__` calls to build the module"


def use_note(u: Use, message: str) -> Related:
    return Related(u.cls.path, u.read.span.line, u.read.span.column, message)


def base_confidence(project: Project, lv: Liveness) -> Confidence:
    w = lv.weight
    if lv.dynamic:
        return Confidence.LOW
    if not w.certain or not w.cls.module_certain or lv.read_elsewhere:
        return Confidence.MEDIUM
    return Confidence.HIGH


def module_doubt(info: ClassInfo) -> str:
    """Why a class whose bases do not resolve to torch is still judged a module."""
    return f"`{info.name}` is judged a module because {info.module_evidence or 'of its own code'}"


def uncertainty(lv: Liveness) -> list[str]:
    """Why a finding on this weight is not high confidence, in words a maintainer can check."""
    w = lv.weight
    out = []
    if not w.cls.module_certain:
        out.append(module_doubt(w.cls))
    if not w.certain:
        out.append(w.doubt or f"`{w.write.ctor or w.name}` could not be shown to build a module")
    if lv.read_elsewhere:
        out.append(f"`.{w.name}` is also read on an object of unknown type, which may be this module")
    return out


def explain_confidence(msg: str, conf: Confidence, reasons: list[str]) -> str:
    """Append why a medium or low finding is not high, unless the message already says it."""
    if conf == Confidence.HIGH or not reasons or "confidence:" in msg:
        return msg
    return f"{msg} ({conf} confidence: {'; '.join(dict.fromkeys(reasons))})"


def verdict(project: Project, analysis: Analysis, lv: Liveness) -> Verdict | None:
    w = lv.weight
    what = describe(w)
    if w.parameter_free and any(not project.is_init(u.method) for u in lv.meta_uses):
        return None  # `self.dropout.p` handed to an attention kernel: the layer's setting is used
    if not lv.consumed_anywhere:
        dyn = lv.dynamic
        conf = Confidence.LOW if dyn else base_confidence(project, lv)
        reasons = uncertainty(lv)
        # Filled item by item (the modules may be called through another list), or no class
        # that inherits it has a forward to judge against (a container kept for state_dict).
        if lv.holder_guess and conf != Confidence.LOW:
            conf = Confidence.LOW  # a module reads `self.<child>.<name>`: likely this module's weight
            reasons.insert(0, f"other code reads `.{w.name}` on an object whose class is not known ({lv.holder_guess})")
        if lv.populated:
            conf = Confidence.LOW
            reasons.insert(0, "it is filled item by item, and its items may be called through another reference")
        elif not lv.judged:
            conf = Confidence.LOW
            reasons.insert(0, "no class that has it defines an entry point to judge against")
        elif non_persistent(w):
            conf = Confidence.LOW
            reasons.insert(0, "a non-persistent buffer may be kept on purpose as scratch state")
        related = tuple(
            use_note(u, f"inspected here (`{'.'.join(u.read.chain)}`), which does not use its value")
            for u in lv.meta_uses[:3]
        )
        related += tuple(use_note(u, _init_note(project, lv, u)) for u in lv.init_uses[:3])
        related += tuple(
            use_note(u, "multiplied by zero here: a keep-alive term, not a use") for u in lv.keepalive_uses[:3]
        )
        if lv.key_uses and not (lv.meta_uses or lv.init_uses or lv.keepalive_uses):
            hooks = ", ".join(f"`{k}`" for k in sorted(set(lv.key_uses))[:3])
            msg = (
                f"{what} is read only by its checkpoint key, in {hooks}, never on the forward path"
                f"{created(w)}: checkpoint-compatibility logic keeps it; {checkpoint_note(w)}"
            )
            return Verdict("DW102", Confidence.LOW, msg, ())
        if lv.keepalive_uses:
            msg = f"{what} is only kept alive by a term multiplied by zero{created(w)}; {checkpoint_note(w)}"
            code = "DW101"
        elif lv.meta_uses and not lv.init_uses:
            reads = sorted(
                {
                    f"`{'.'.join(u.read.chain)}`"
                    if u.read.kind == F.META
                    else {F.TRUTH: "a truth test", F.ASSERTED: "an assertion"}.get(u.read.kind, "a `None` test")
                    for u in lv.meta_uses
                }
            )
            if all(u.read.chain[-1] in ("device", "dtype") for u in lv.meta_uses):
                conf = Confidence.LOW  # a device/dtype anchor: intended, if wasteful
                reasons.insert(0, "reading only its device or dtype is a common, intended anchor")
            msg = f"{what} is only inspected ({', '.join(reads)}), never used as a value{created(w)}; {checkpoint_note(w)}"
            code = "DW104"
        elif lv.init_uses and lv.shared_with_dead and all(u.method == "__init__" for u in lv.init_uses):
            others = ", ".join(f"`{n}`" for n in lv.shared_with_dead)
            msg = (
                f"{what} is used only in `__init__`, to share it with {others}, which "
                f"{'is' if len(lv.shared_with_dead) == 1 else 'are'} never used either{created(w)}; {checkpoint_note(w)}"
            )
            code = "DW102"
        elif lv.init_uses:
            where = sorted({f"`{u.method}`" for u in lv.init_uses})
            msg = f"{what} is read only in {', '.join(where)}, never on the forward path{created(w)}; {checkpoint_note(w)}"
            code = "DW102"
            if lv.read_elsewhere and conf != Confidence.LOW:
                conf = Confidence.LOW  # read on some object we cannot type: maybe the host model uses it
        else:
            note = checkpoint_note(w, lv.populated)
            msg = f"{what} is never used: no method reads it{created(w)}{_silent_hooks(analysis, w)}; {note}"
            code = "DW105" if not lv.populated and empty_container(w) else "DW101"
            commented = _commented_out(project, w)
            if commented is not None:
                cls, line, text = commented
                msg += f"; its only use is commented out, at line {line} (`{text}`): restoring it may be the fix"
                related += (Related(cls.path, line, 1, "the use, commented out"),)
        if dyn:
            msg += f" (low confidence: {dyn[0]} may reach it by name)"
        if w.parameter_free:
            code = "DW105"
        return Verdict(code, conf, explain_confidence(msg, conf, reasons), related)
    if lv.live_in and not lv.escapes:
        return _elements_verdict(project, lv)
    if not lv.judged or lv.escapes:
        return None
    # Used somewhere, but no entry point of any concrete class reaches that use.
    public = [u for u in lv.value_uses if not u.method.startswith("_")]
    conf = base_confidence(project, lv)
    if public:
        conf = Confidence.LOW
    elif conf == Confidence.HIGH:
        conf = Confidence.MEDIUM
    where = sorted({f"`{u.where}`" for u in lv.value_uses})
    entry = (
        ", ".join(sorted({f"`{m.name}`" for c in lv.judged[:1] for _, m in analysis.entry_methods(c)}))
        or "its entry points"
    )
    msg = (
        f"{what} is used only in {', '.join(where[:3])}, which {entry} never reaches{created(w)}; {checkpoint_note(w)}"
    )
    if public:
        msg += " (low confidence: a public method, maybe called from outside the class)"
    else:
        msg = explain_confidence(msg, conf, [*uncertainty(lv), "the weight is used, only not on the forward path"])
    related = tuple(use_note(u, f"used here, in `{u.where}`, which no entry point reaches") for u in lv.value_uses[:3])
    return Verdict("DW105" if w.parameter_free else "DW102", conf, msg, related)


def _elements_verdict(project: Project, lv: Liveness) -> Verdict | None:
    """A live container some of whose elements no use reaches (`self.stages[1:]` only)."""
    s = skipped_elements(lv)
    if s is None:
        return None
    w = lv.weight
    one = len(s.head) + len(s.tail) == 1
    for u in s.uses:  # their lines go into the message
        deps.position(u.cls.path)
    reads = sorted({(u.cls.path, u.read.span.line, u.read.span.column, written(u.read.index or "")) for u in s.uses})
    shown = ", ".join(f"`self.{w.name}{text}` at line {line}" for _, line, _, text in reads[:3])
    whatever = "" if s.constant else f", whatever `{s.count}` is" if s.count else ", whatever its length"
    if w.parameter_free:
        note = "it holds no parameters, so removing it changes no checkpoint key"
    elif s.renumbers:
        note = (
            "removing it renumbers the checkpoint keys of the elements after it"
            if one
            else ("removing them renumbers the checkpoint keys of the elements after them")
        )
    else:
        note = "removing it drops its checkpoint keys" if one else "removing them drops their checkpoint keys"
    msg = (
        f"{describe_skipped(s)} of {describe(w)} {'is' if one else 'are'} never used: every use takes an "
        f"index or a slice that leaves {'it' if one else 'them'} out ({shown}){whatever}{created(w)}; {note}"
    )
    conf = base_confidence(project, lv)
    related = tuple(
        use_note(u, f"the only items used: `self.{w.name}{written(u.read.index or '')}`") for u in s.uses[:3]
    )
    code = "DW105" if w.parameter_free else "DW101"
    return Verdict(code, conf, explain_confidence(msg, conf, uncertainty(lv)), related, tuple(s.labels()))


def _silent_hooks(analysis: Analysis, w: Weight) -> str:
    """The CogVideo shape: a hook of the class that returns only None (where the weight was
    presumably meant to be returned)."""
    hooks = [
        f"`{c.name}.{m.name}`"
        for c, m in analysis.entry_methods(w.cls)
        if m.returns_only_none and m.name != "forward" and analysis.p.is_entry(m.name)  # a framework hook
    ]
    return f" and {', '.join(hooks)} returns None" if hooks else ""

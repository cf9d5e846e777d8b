"""`check_model(model, *inputs)`: one forward and backward, compared with the static findings.

For users who have torch (`pip install deadweight[torch]`; deadweight itself never needs it).
The run records the parameters that get no gradient and the submodules that are never called,
maps each to the class and attribute that create it, and sets them against what deadweight
reports statically for the model's source:

- confirmed: unused at runtime, and reported;
- static-only: reported, yet used in this run (the finding is about another configuration, or
  is wrong: the report says which to suspect);
- input-dependent: unused in this run, and statically used only under a condition (the input
  or a setting decided);
- runtime-only: unused in this run, used on the static forward path unconditionally: a static
  miss, which the report says how to file.

The model's own code runs here, by the user's choice: that is the point of a runtime check.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deadweight.findings import Finding


@dataclass(frozen=True)
class RuntimeItem:
    name: str  # dotted, as named_parameters() spells it (a module's prefix for a never-called module)
    cls: str  # the class whose construction creates the attribute
    attribute: str
    finding: str = ""  # `DW101 high` when a static finding matches


@dataclass
class RuntimeReport:
    confirmed: list[RuntimeItem] = field(default_factory=list)
    static_only: list[RuntimeItem] = field(default_factory=list)
    input_dependent: list[RuntimeItem] = field(default_factory=list)
    runtime_only: list[RuntimeItem] = field(default_factory=list)
    never_called: list[str] = field(default_factory=list)  # submodules forward never ran

    def summary(self) -> str:
        lines = [
            f"confirmed {len(self.confirmed)}, static-only {len(self.static_only)}, "
            f"input-dependent {len(self.input_dependent)}, runtime-only {len(self.runtime_only)}"
        ]
        for item in self.runtime_only:
            lines.append(
                f"runtime-only: {item.name} (`{item.cls}.{item.attribute}`) got no gradient, yet deadweight "
                f"sees it used: please file it with the output of `deadweight inspect PATH::{item.cls}` and this run"
            )
        for item in self.static_only:
            lines.append(
                f"static-only: {item.finding} on `{item.cls}.{item.attribute}` but it got a gradient here: "
                "another configuration, or a false positive"
            )
        return "\n".join(lines)


def check_model(
    model: Any,
    *inputs: Any,
    loss: Callable[[Any], Any] | None = None,
    findings: Iterable[Finding] | None = None,
    root: str | Path | None = None,
) -> RuntimeReport:
    """Run `model(*inputs)` once, backpropagate `loss(output)` (by default the sum of every
    floating tensor in the output), and compare what got no gradient with the static findings
    (`findings`, or deadweight's run on `root`, by default the package holding the model's class)."""
    torch = importlib.import_module("torch")  # the optional extra: never imported by deadweight itself

    called: set[int] = set()
    hooks = [m.register_forward_hook(lambda mod, _i, _o: called.add(id(mod))) for m in model.modules()]
    try:
        model.zero_grad(set_to_none=True)
        out = model(*inputs)
        value = loss(out) if loss is not None else _sum_floats(torch, out)
        value.backward()
    finally:
        for h in hooks:
            h.remove()
    unused = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    modules = dict(model.named_modules())
    report = RuntimeReport(never_called=[n for n, m in modules.items() if n and id(m) not in called])
    static = list(findings) if findings is not None else _static_findings(type(model), root)
    by_place = {(f.class_name, f.attribute): f for f in static if f.code.startswith(("DW1", "DW4"))}
    by_place.update({(f.defined_in, f.attribute): f for f in static if f.code.startswith(("DW1", "DW4"))})
    guarded = _guarded(type(model), root)
    matched: set[tuple[str, str]] = set()
    for name in unused:
        item = _match(name, modules, by_place)
        if item.finding:
            matched.add((item.cls, item.attribute))
            report.confirmed.append(item)
        elif (item.cls, item.attribute) in guarded:
            report.input_dependent.append(item)
        else:
            report.runtime_only.append(item)
    used = {_owner(n, modules) for n, p in model.named_parameters() if p.grad is not None}
    for (cls, attribute), f in sorted(by_place.items()):
        if (cls, attribute) not in matched and (cls, attribute) in used:
            report.static_only.append(RuntimeItem("", cls, attribute, f"{f.code} {f.confidence}"))
    return report


def _sum_floats(torch: Any, out: Any) -> Any:
    """The default loss: every floating tensor the forward returned, summed."""
    total = None
    todo = [out]
    while todo:
        x = todo.pop()
        if isinstance(x, torch.Tensor):
            if x.is_floating_point() and x.requires_grad:
                total = x.sum() if total is None else total + x.sum()
        elif isinstance(x, dict):
            todo.extend(x.values())
        elif isinstance(x, list | tuple):
            todo.extend(x)
        elif hasattr(x, "__dict__"):
            todo.extend(vars(x).values())  # a dataclass-like model output
    if total is None:
        raise ValueError("the model's output holds no floating tensor that requires grad; pass loss=")
    return total


def _match(name: str, modules: dict[str, Any], by_place: dict[tuple[str, str], Finding]) -> RuntimeItem:
    """The (class, attribute) of a parameter: every split of its dotted name, deepest module
    first, for a finding; else the deepest owner (the attribute holding the parameter's layer)."""
    parts = name.split(".")
    candidates: list[tuple[str, str]] = []
    for i in range(len(parts) - 1, -1, -1):
        owner = modules.get(".".join(parts[:i]))
        if owner is None:
            continue
        for cls in (c.__name__ for c in type(owner).__mro__):
            candidates.append((cls, parts[i]))
    for cls, attribute in candidates:
        f = by_place.get((cls, attribute))
        if f is not None:
            return RuntimeItem(name, cls, attribute, f"{f.code} {f.confidence}")
    owner_path = ".".join(parts[:-2]) if len(parts) > 1 else ""
    owner = modules.get(owner_path)
    cls = type(owner).__name__ if owner is not None else ""
    return RuntimeItem(name, cls, parts[-2] if len(parts) > 1 else parts[0])


def _owner(name: str, modules: dict[str, Any]) -> tuple[str, str]:
    parts = name.split(".")
    owner = modules.get(".".join(parts[:-2]) if len(parts) > 1 else "")
    return (type(owner).__name__ if owner is not None else "", parts[-2] if len(parts) > 1 else parts[0])


def _source_root(cls: type, root: str | Path | None) -> Path:
    if root is not None:
        return Path(root)
    source = inspect.getsourcefile(cls)
    if source is None:
        raise ValueError(f"no source file for {cls.__name__}; pass root=")
    here = Path(source).resolve().parent
    while (here / "__init__.py").exists() and (here.parent / "__init__.py").exists():
        here = here.parent
    return here


# A test suite checks several models of one package (timm's ViT, ResNet, ...): the static side
# of a source tree is computed once per state of its files, keyed on their sizes and mtimes.
_FINDINGS: dict[str, list[Finding]] = {}
_GUARDED: dict[str, set[tuple[str, str]]] = {}


def _project_root(where: Path) -> str:
    """A package is analyzed from its parent, so that its modules are named as it imports them
    (`timm.models.vision_transformer`): from inside, deit.py's `from timm.models... import
    VisionTransformer` would not resolve, and the subclass would be judged without its base."""
    return str(where.parent if (where / "__init__.py").is_file() else where)


def _fingerprint(where: Path) -> str:
    files = sorted(where.rglob("*.py")) if where.is_dir() else [where]
    return ";".join(f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)


def _static_findings(cls: type, root: str | Path | None) -> list[Finding]:
    from deadweight.api import check
    from deadweight.settings import Settings

    where = _source_root(cls, root)
    key = f"{where.resolve()}|{_fingerprint(where)}"
    if key not in _FINDINGS:
        settings = Settings(min_confidence="low", use_cache=False, jobs=1, project_root=_project_root(where))
        _FINDINGS[key] = list(check([where], settings).findings)
    return list(_FINDINGS[key])


def _guarded(cls: type, root: str | Path | None) -> set[tuple[str, str]]:
    """(class, attribute) of weights whose every static use sits under a condition."""
    where = _source_root(cls, root)
    key = f"{where.resolve()}|{_fingerprint(where)}"
    if key not in _GUARDED:
        _GUARDED[key] = _guarded_in(where)
    return set(_GUARDED[key])


def _guarded_in(where: Path) -> set[tuple[str, str]]:
    from deadweight.api import link
    from deadweight.settings import Settings

    ctx, _ = link([where], Settings(use_cache=False, jobs=1, project_root=_project_root(where)))
    out: set[tuple[str, str]] = set()
    for w in ctx.project.all_weights():
        uses = ctx.reach.liveness(w).value_uses
        if uses and all(u.read.guarded_by for u in uses):
            out.add((w.owner, w.name))
    return out

"""The words `deadweight explain-ddp` prints for each parameter a DDP error names."""

from __future__ import annotations

from deadweight.ddp.locate import Located


def explain(loc: Located, root: str) -> list[str]:
    """Lines for one parameter: where it is created, and why it may have had no gradient."""
    if not loc.found or loc.weight is None:
        return [
            loc.name,
            f"  not in `{root}`'s tree as deadweight reads it (another root class, or built in a way not read)",
        ]
    w = loc.weight
    key = f", key `{loc.parameter}`" if loc.parameter else ""
    when = f", only when `{w.condition}`" if w.condition else ""
    out = [loc.name, f"  created by `{w.owner}` as `{w.name}` ({w.ctor or w.kind}), {w.path}:{w.line}{key}{when}"]
    if loc.dead is not None:
        out.append(f"  deadweight: {loc.dead.dead}: {loc.dead.reason}")
    elif loc.guarded is not None and loc.guarded.used_under is not None:
        cond, path, line = loc.guarded.used_under
        out.append(
            f"  used on the static forward path, but only under `{cond}` ({path}:{line}): "
            "an input or a setting that makes it false leaves it without a gradient"
        )
    else:
        out.append(
            "  used on the static forward path: its output likely does not reach the loss for this input "
            "(an input-dependent branch, or an output the loss ignores)"
        )
    return out


def to_dict(loc: Located) -> dict[str, object]:
    w = loc.weight
    return {
        "name": loc.name,
        "found": loc.found,
        "owner": loc.owner,
        "attribute": w.name if w else None,
        "key": loc.parameter,
        "path": w.path if w else None,
        "line": w.line if w else None,
        "condition": w.condition if w else None,
        "verdict": loc.dead.dead if loc.dead else None,
        "reason": loc.dead.reason if loc.dead else None,
        "used_under": list(loc.guarded.used_under) if loc.guarded and loc.guarded.used_under else None,
    }

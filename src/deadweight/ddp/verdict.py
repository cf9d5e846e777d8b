"""`deadweight ddp PATH::Class`: which parameters of a root model get no gradient in which
configuration, and whether DDP's `find_unused_parameters=False` is safe for a given one.

A parameter gets no gradient in a configuration when its weight is dead (a DW1 finding), or
when every use of it sits under a flag condition that the configuration makes false
(`model/configs.py`). A flag's value is the creating class's own constructor default unless
`--set name=value` gives one; what a holder passes to a nested class's constructor is not
followed, so a nested flag is judged at its own default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deadweight.model.configs import unused_settings
from deadweight.model.project import Project, Weight
from deadweight.model.reach import Analysis
from deadweight.model.tree import TreeNode, dotted_names


@dataclass
class Entry:
    names: list[str]  # dotted parameter names under the root (`*` for a non-constant index)
    owner: str
    attribute: str
    line: int
    why: str  # "never used: DW101 high" or "used only under `not (self.use_flash_attn)`"
    when: str | None = None  # the setting that leaves it unused (`use_flash_attn=True`); None: always
    applies: bool = False  # unused in the configuration judged


@dataclass
class DdpVerdict:
    root: str
    entries: list[Entry] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def unused(self) -> list[str]:
        return [n for e in self.entries if e.applies for n in e.names]


def judge(project: Project, analysis: Analysis, tree: TreeNode, settings: dict[str, str]) -> DdpVerdict:
    by_key: dict[tuple[str, str], Weight] = {}
    for w in project.all_weights():
        by_key.setdefault((w.owner, w.name), w)
    out = DdpVerdict(tree.name, settings=dict(settings))

    def walk(node: TreeNode, prefix: str) -> None:
        for c in node.children:
            path = f"{prefix}{c.name}"
            if c.owner and c.kind in ("parameter", "module", "container"):
                names = [path] if c.kind == "parameter" else [f"{path}.{n}" for n in dotted_names(c)]
                w = by_key.get((c.owner, c.name))
                if names and w is not None:
                    _judge_weight(analysis, w, c, names, settings, out)
            walk(c, path + ".")

    walk(tree, "")
    return out


def _judge_weight(
    analysis: Analysis, w: Weight, node: TreeNode, names: list[str], settings: dict[str, str], out: DdpVerdict
) -> None:
    if node.dead:
        out.entries.append(Entry(names, w.owner, w.name, node.line, f"never used: {node.dead}", None, True))
        return
    for u in unused_settings(analysis, w):
        given = settings.get(u.param)
        applies = (given == u.value or (u.value == "<set>" and given not in (None, "None"))) if given else u.default
        when = f"{u.param}={u.value}" if u.value != "<set>" else f"{u.param} set"
        out.entries.append(Entry(names, w.owner, w.name, node.line, f"used only under `{u.guard}`", when, applies))


def render(v: DdpVerdict) -> list[str]:
    lines = [f"{v.root}: parameters without a gradient in some configuration"]
    if not v.entries:
        lines.append("  none found")
    for e in v.entries:
        when = f"unused when `{e.when}`" if e.when else "unused in every configuration"
        mark = "  *" if e.applies else "   "
        shown = ", ".join(e.names[:4]) + (f" and {len(e.names) - 4} more" if len(e.names) > 4 else "")
        lines.append(f"{mark} {shown}: {when} ({e.owner}.{e.attribute}, line {e.line}; {e.why})")
    config = ", ".join(f"{k}={val}" for k, val in sorted(v.settings.items())) or "the defaults"
    unused = v.unused
    if unused:
        lines.append(
            f"find_unused_parameters=False: not safe with {config}: {len(unused)} parameter name"
            f"{'s' if len(unused) != 1 else ''} (marked *) get no gradient, and DDP fails on the first step"
        )
    else:
        lines.append(
            f"find_unused_parameters=False: safe with {config} as far as the code shows (input-dependent "
            "branches are not judged; `deadweight.testing.check_model` checks one real step)"
        )
    lines.append(
        "static_graph=True: needs the same parameters used on every step; "
        + ("the marked ones are never used, which it tolerates, " if unused else "")
        + "and an input-dependent branch around a weight breaks it"
    )
    return lines

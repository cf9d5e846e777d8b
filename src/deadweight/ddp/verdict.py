"""`deadweight ddp PATH::Class`: which parameters of a root model get no gradient in which
configuration, and whether DDP's `find_unused_parameters=False` is safe for a given one.

A parameter gets no gradient in a configuration when its weight is dead (a DW1 finding), when
the class that holds it in the tree (the root, or a nested module's class) overrides the method
that used it (DW103's mechanism, judged for that class only), or when every use of it sits under
a flag condition that the configuration makes false (`model/configs.py`). A weight that holds its
parameters only under a constructor condition (`nn.LayerNorm(d) if use_fc_norm else
nn.Identity()`, `if learnable_pos_embed:`) is unused only in the configurations that build
them. A module that holds no parameters (a dropout) skipped by a setting is listed, and counts
for nothing: DDP has no gradient of it to wait for.

A flag's value is what the holder passes to the nested class's constructor by keyword (a
literal, or one of the holder's own parameters at its value: `Block(dim, qk_norm=qk_norm)`;
by position or as another expression: passed, value unknown), else `--set name=value`, else
the creating class's own default. A weight of one instance that
runs only when a forward argument is given, which its holder's calls never pass
(`self.final_res_block(x)` without `time_emb`: `model/passed.py`), is unused there in every
configuration that builds it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from deadweight.model.configs import creating_settings, creation, holds, unused_settings
from deadweight.model.elements import element_keys
from deadweight.model.passed import Omitted, needs_argument, omitted_arguments, passed_settings
from deadweight.model.project import ClassInfo, Project, Weight
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
    holds_parameters: bool = True  # False: a module without parameters (dropout): nothing to wait for
    path: str = ""  # the weight's own dotted path under the root (`blocks.*.attn.attn_drop`)


@dataclass
class DdpVerdict:
    root: str
    entries: list[Entry] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def unused(self) -> list[str]:
        return list(dict.fromkeys(n for e in self.entries if e.applies and e.holds_parameters for n in e.names))


def judge(
    project: Project, analysis: Analysis, tree: TreeNode, settings: dict[str, str], root: ClassInfo | None = None
) -> DdpVerdict:
    """The verdict for `tree`, built from `root` (the class whose overrides are judged at the
    top; nested classes are found by the name the tree gives them)."""
    by_key: dict[tuple[str, str], Weight] = {}
    for w in project.all_weights():
        by_key.setdefault((w.owner, w.name), w)
    by_name: dict[str, list[ClassInfo]] = {}
    for c in project.module_classes():
        by_name.setdefault(c.name, []).append(c)
    out = DdpVerdict(tree.name, settings=dict(settings))

    def walk(
        node: TreeNode, prefix: str, holder: ClassInfo | None, env: dict[str, str], omitted: Omitted | None
    ) -> None:
        for c in node.children:
            path = f"{prefix}{c.name}"
            w = by_key.get((c.owner, c.name)) if c.owner else None
            if w is not None and c.kind in ("parameter", "module", "container"):
                keys = dotted_names(c)
                if c.dead_elements:  # `stages[0]` only: the other items are used
                    keys = element_keys(keys, c.dead_elements)
                names = [path] if c.kind == "parameter" else [f"{path}.{n}" for n in keys]
                if not names and not w.parameter_free and c.kind != "parameter":
                    names = [f"{path}.*"]  # a module whose parameters are not read: some, maybe
                needed = needs_argument(analysis, w, holder, omitted) if holder and omitted else None
                if needed is not None and omitted is not None:
                    _never_passed(project, w, c, names, path, needed, omitted, env, out)
                else:
                    _judge_weight(project, analysis, w, c, names, path, holder, env, out)
            nested = by_name.get(c.ctor.split(" = ")[-1], []) if c.kind == "module" else []
            child = nested[0] if len(nested) == 1 else None
            inner_env, inner_omitted = env, None
            if child is not None and holder is not None and w is not None:
                inner_env = {**settings, **passed_settings(holder, w, env, child)}
                inner_omitted = omitted_arguments(project, analysis, holder, c.name, child)
            walk(c, path + ".", child, inner_env, inner_omitted)

    walk(tree, "", root, dict(settings), None)
    return out


def _never_passed(
    project: Project,
    w: Weight,
    node: TreeNode,
    names: list[str],
    path: str,
    needed: str,
    omitted: Omitted,
    env: dict[str, str],
    out: DdpVerdict,
) -> None:
    """An entry for a weight of one instance that runs only when a forward argument its holder
    never passes is given: unused in every configuration that builds it."""
    if w.parameter_free or not names:
        return
    made = creation(w, project)
    applies = made is None or holds(made, env, w.cls) is not False
    why = (
        f"used only when `{needed}` is passed to `{w.cls.name}.forward`, and `{omitted.holder.name}` "
        f"calls this instance without it ({omitted.path}, line {omitted.line})"
    )
    if made is not None and applies:
        why += f"; built because `{made.condition}` holds for the arguments `{omitted.holder.name}` passes"
    out.entries.append(Entry(names, w.owner, w.name, node.line, why, None, applies, path=path))


def _dropped_by(project: Project, analysis: Analysis, w: Weight, holder: ClassInfo | None) -> str | None:
    """Why `holder`, which inherits `w`, never uses it although a base does: the override."""
    if holder is None:
        return None
    lv = analysis.liveness(w)
    if holder not in lv.judged or holder in lv.live_in or not lv.live_in or lv.escapes:
        return None
    base = next((b for b in holder.mro[1:] if b in lv.live_in), None)
    if base is None:
        return f"never used by `{holder.name}`, whose entry points do not reach it"
    for u in lv.value_uses:
        if (u.cls.key, u.method) not in analysis.reachable(base):
            continue
        mine, theirs = project.lookup(holder, u.method), project.lookup(base, u.method)
        if mine and theirs and mine[0] is not theirs[0]:
            overrides = f"`{mine[0].name}.{u.method}` overrides `{theirs[0].name}.{u.method}`"
            return f"never used by `{holder.name}`: {overrides}, which used it"
    return f"never used by `{holder.name}`, although its base `{base.name}` uses it: an override hides it"


def _judge_weight(
    project: Project,
    analysis: Analysis,
    w: Weight,
    node: TreeNode,
    names: list[str],
    node_path: str,
    holder: ClassInfo | None,
    settings: dict[str, str],
    out: DdpVerdict,
) -> None:
    free = w.parameter_free
    dropped = None if node.dead else _dropped_by(project, analysis, w, holder)
    if (node.dead or dropped) and not free:
        why = f"never used: {node.dead}" if node.dead else f"{dropped} (DW103)"
        made = creation(w, project)
        if made is None or holds(made, {}) is not False:  # built with the defaults, or undecided
            applies = made is None or holds(made, settings) is not False
            out.entries.append(Entry(names, w.owner, w.name, node.line, why, None, applies, path=node_path))
            return
        why += f"; it holds parameters only when `{made.condition}`" if made.holds_when else ""
        why += f"; it holds parameters only unless `{made.condition}`" if not made.holds_when else ""
        applies = holds(made, settings) is not False
        fallback = made.condition if made.holds_when else f"not ({made.condition})"
        for when in creating_settings(made) or [fallback]:
            out.entries.append(Entry(names, w.owner, w.name, node.line, why, when, applies, path=node_path))
        return
    if node.dead:
        return  # a dead module without parameters: nothing of it in DDP, nor in a checkpoint
    for u in unused_settings(analysis, w):
        if u.derived:  # a flag derived from several arguments: the settings decide its test, or not
            decided = u.holds_with(settings)
            applies = decided if decided is not None else u.default
            when = u.param if u.value == "True" else f"not ({u.param})"
            why = f"used only under `{u.guard}`"
            out.entries.append(Entry(names, w.owner, w.name, node.line, why, when, applies, not free, node_path))
            continue
        given = settings.get(u.param)
        applies = (
            (_same(given, u.value) or (u.value == "<set>" and given not in (None, "None"))) if given else u.default
        )
        when = f"{u.param}={u.value}" if u.value != "<set>" else f"{u.param} set"
        why = f"used only under `{u.guard}`"
        out.entries.append(Entry(names, w.owner, w.name, node.line, why, when, applies, not free, node_path))


def render(v: DdpVerdict) -> list[str]:
    lines = [f"{v.root}: parameters without a gradient in some configuration"]
    if not v.entries:
        lines.append("  none found")
    for e in v.entries:
        if not e.holds_parameters:
            lines.append(
                f"    {e.path}: not run when `{e.when}`, and holds no parameters, so DDP waits for nothing "
                f"of it ({e.owner}.{e.attribute}, line {e.line}; {e.why})"
            )
            continue
        when = f"unused when `{e.when}`" if e.when else "unused in every configuration"
        mark = "  *" if e.applies else "   "
        shown = ", ".join(e.names[:4]) + (f" and {len(e.names) - 4} more" if len(e.names) > 4 else "")
        lines.append(f"{mark} {shown}: {when} ({e.owner}.{e.attribute}, line {e.line}; {e.why})")
    config = ", ".join(f"{k}={val}" for k, val in sorted(v.settings.items())) or "the defaults"
    unused = v.unused
    if unused:
        one = len(unused) == 1
        patterns = any(n.endswith(".*") for n in unused)  # a module whose own keys are not read
        what = "parameter name" + (" or pattern" if patterns else "") + ("" if one else "s")
        lines.append(
            f"find_unused_parameters=False: not safe with {config}: {len(unused)} {what} (marked *) "
            f"get{'s' if one else ''} no gradient, and DDP fails on the first step"
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


def _same(given: str, value: str) -> bool:
    """`--set spatial_prior=grid` names the setting `"grid"`: a bare word is a string, as the
    option's help says; literals compare by value (`1.0` is `1.0`, `'a'` is `"a"`)."""
    if given == value:
        return True
    try:
        wanted = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return False
    try:
        return bool(ast.literal_eval(given) == wanted)
    except (ValueError, SyntaxError):
        return isinstance(wanted, str) and given == wanted

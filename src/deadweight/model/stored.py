"""Modules a class's construction stores in a container through one of its methods.

SwissArmyTransformer's models (CogVideoX among them) hold their mixins in a `ModuleDict` that
the base model creates empty (`self.mixins = nn.ModuleDict()`) and fills through a method:
`add_mixin(self, name, new_mixin)` runs `self.mixins[name] = new_mixin`, and a subclass's
`__init__` calls `self.add_mixin("pos_embed", PositionMixin(...))`. The mixin's parameters are
then named `mixins.pos_embed.<name>` by `named_parameters()`. Reading that takes both halves:
the method that stores one of its parameters under another as key (`MethodFacts.keyed_stores`),
and the construction-time calls of that method with a constructor among the arguments
(`MethodFacts.self_calls`), bound to its parameters the way Python binds them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from deadweight.extract import facts as F
from deadweight.model.project import ClassInfo, Project


@dataclass(frozen=True)
class Stored:
    key: str  # the literal key (`pos_embed`), or `*` when the key is not a literal
    ctor: str  # the constructor as the calling class spells it
    caller: ClassInfo  # the class whose construction makes the call (its file resolves `ctor`)
    kwargs: tuple[tuple[str, str], ...] = ()


def stored_members(project: Project, holder: ClassInfo, attr: str) -> list[Stored]:
    """What the construction of `holder` stores in `self.<attr>[key]` through a method."""
    out: list[Stored] = []
    for c in holder.mro:
        builders = project.builder_methods(c)
        for m in c.facts.methods:
            if m.name not in builders:
                continue
            for call in m.self_calls:
                hit = project.lookup(holder, call.method)
                if hit is None:
                    continue
                target = hit[1]
                for store_attr, key_param, value_param in target.keyed_stores:
                    if store_attr != attr:
                        continue
                    bound = _bind(target, call)
                    value, key = bound.get(value_param), bound.get(key_param)
                    if value is None or value.ctor is None:
                        continue
                    out.append(Stored(_key(key), value.ctor, c, value.kwargs))
    return out


def _bind(target: F.MethodFacts, call: F.SelfCall) -> dict[str, F.CallArg]:
    """The call's arguments by the parameter they bind (`self` is the first parameter)."""
    params = target.params[1:]
    out: dict[str, F.CallArg] = {}
    position = 0
    for arg in call.args:
        if arg.keyword is not None:
            out[arg.keyword] = arg
        elif not call.star and position < len(params):
            out[params[position]] = arg
            position += 1
    return out


def _key(arg: F.CallArg | None) -> str:
    if arg is None or arg.literal is None:
        return "*"
    try:
        value = ast.literal_eval(arg.literal)
    except (ValueError, SyntaxError):
        return "*"
    return value if isinstance(value, str) and value else "*"

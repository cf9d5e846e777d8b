"""What a class's constructor code sees in one configuration: the values of its parameters, of
the attributes it stores, and of a config object's fields, so that `deadweight tree --set` can
decide which conditional weights a configuration builds.

Why here and not in the tree: the same environment decides a condition (`if add_pooling_layer:`),
a ternary's branch (`nn.LayerNorm(d) if qk_norm else nn.Identity()`), a torch layer's optional
keys (`nn.Linear(d, d, bias=config.attention_bias)`) and what a holder passes to the class it
builds (`Block(dim, qk_norm=qk_norm)`), and a base's constructor sees what `super().__init__`
passes it. Values are read, never run: literals, parameters, stored attributes, a config class's
field defaults (`hidden_act: str = "gelu"`, or `self.x = x` from its own `__init__` defaults).
Anything else is unknown, and an unknown value decides nothing (the tree keeps the weight as
optional, as it does without a configuration).
"""

from __future__ import annotations

import ast

from deadweight.extract import facts as F
from deadweight.model.configs import SET, UNKNOWN, Obj, value_of
from deadweight.model.project import ClassInfo, Project

Env = dict[str, object]  # name (`dim`, `self.use_cls`) -> value; a missing name is unknown
Args = list[tuple[str, object]]  # a call's arguments: ("", v) positional, ("*", v), ("**", v), (kw, v)
Scopes = dict[str, Env]  # class key -> the environment of that class's `__init__` code

_DEPTH = 8  # bases followed through `super().__init__` calls


def literal(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return UNKNOWN


def settings_args(settings: dict[str, str]) -> tuple[Args, dict[str, object]]:
    """`--set` values as keyword arguments (`depth=2`, a bare word as a string) and as config
    fields (`config.add_cross_attention=True`)."""
    args: Args = []
    fields: dict[str, object] = {}
    for name, text in settings.items():
        value = literal(text)
        if value is UNKNOWN:
            value = text  # `--set global_pool=avg`
        if name.startswith("config."):
            fields[name.removeprefix("config.")] = value
        else:
            args.append((name, value))
    return args, fields


def call_args(call: tuple[tuple[str, str], ...], env: Env) -> Args:
    """A call's argument sources (`Write.call`) evaluated where the call is written."""
    return [(key, value_of(text, env)) for key, text in call]


def scopes(project: Project, info: ClassInfo, args: Args | None, fields: dict[str, object] | None = None) -> Scopes:
    """The environment of each class in `info`'s MRO whose `__init__` runs when `info` is built
    with `args` (None: the call is not read, so no parameter is known, not even its default);
    `fields` set a config object's fields (a root's `config.x` settings)."""
    out: Scopes = {}
    _scope(project, info.mro, args, fields or {}, out, 0)
    return out


def _scope(
    project: Project, mro: list[ClassInfo], args: Args | None, fields: dict[str, object], out: Scopes, depth: int
) -> Env:
    """The environment of the first class in `mro` with an `__init__`, its bases' first."""
    at = next((i for i, c in enumerate(mro) if c.facts.method("__init__") is not None and not c.external), None)
    if at is None or depth > _DEPTH:
        return {}
    c = mro[at]
    init = c.facts.method("__init__")
    assert init is not None
    env = _bind(project, c.file, init, args, fields)
    call = next((x for x in init.init_calls if x.method == "__init__"), None)
    if call is not None and not call.target:
        base = _scope(project, mro[at + 1 :], call_args(call.call, env), fields, out, depth + 1)
        env.update({k: v for k, v in base.items() if k.startswith("self.")})  # what the base stored
    _run_writes(c, env, {w.name for w in project.weights(c)})
    for skipped in mro[:at]:
        out.setdefault(skipped.key, env)
    out[c.key] = env
    return env


def unpack(args: Args) -> Args:
    """A call's arguments with what is known of `*xs` (a tuple) and `**kw` (a dict, as
    `**{"device": device}` is) spread out; an unknown one stays `("*", v)` / `("**", v)`."""
    flat: Args = []
    for key, v in args:
        if key == "*" and isinstance(v, tuple):
            flat.extend(("", x) for x in v)
        elif key == "**" and isinstance(v, dict):
            flat.extend(v.items())
        else:
            flat.append((key, v))
    return flat


def helper_call(project: Project, holder: ClassInfo, helper: str, args: Args | None) -> Args | None:
    """What a helper that builds and returns a class (`_create_attn(attn_layer, dim, qkv_bias=
    qkv_bias)` returning `attn_layer(dim, qkv_bias=qkv_bias, **kwargs)`) passes to it, when the
    helper returns one call: its arguments evaluated with the helper's parameters bound to
    `args`. None when not read."""
    found = project.resolve_function_in(holder.file, helper)
    if found is None or args is None:
        return None
    home, fn = found
    if len({callee for callee, _ in fn.return_calls}) != 1:
        return None
    env = _bind(project, home, fn, args, {})
    return call_args(fn.return_calls[0][1], env)


def _bind(
    project: Project,
    file: F.FileFacts,
    init: F.MethodFacts | F.FunctionFacts,
    args: Args | None,
    fields: dict[str, object],
) -> Env:
    """`init`'s parameters bound to `args` as Python would, defaults where nothing is passed."""
    env: Env = {}
    if args is None:
        return env
    positional = [p for p in init.positional if not p.startswith("*") and p != "self"]
    star = next((p[1:] for p in init.positional if p.startswith("*") and not p.startswith("**")), None)
    kwstar = next((p[2:] for p in init.positional if p.startswith("**")), None)
    bound: dict[str, object] = {}
    extra_pos: list[object] = []
    extra_kw: dict[str, object] = {}
    rest_unknown = kw_unknown = False
    flat = unpack(args)
    i = 0
    for key, v in flat:
        if key == "":
            if rest_unknown:
                continue
            if i < len(positional):
                bound[positional[i]] = v
            else:
                extra_pos.append(v)
            i += 1
        elif key == "*":
            rest_unknown = True  # every position from here on may be passed
        elif key == "**":
            kw_unknown = True  # any parameter may be passed
        elif key in init.params:
            bound[key] = v
        else:
            extra_kw[key] = v
    defaults = dict(init.defaults)
    for p in init.params:
        if p == "self":
            continue
        if p in bound:
            env[p] = bound[p]
        elif (rest_unknown and p in positional[i:]) or kw_unknown:
            continue  # maybe passed: its default does not apply
        elif p in defaults:
            env[p] = literal(defaults[p])
        else:
            made = _config(project, file, init, p, fields)
            if made is not None:
                env[p] = made
    if star is not None and not rest_unknown:
        env[star] = tuple(extra_pos)
    if kwstar is not None and not kw_unknown:
        env[kwstar] = extra_kw
    for p in init.rebound:
        env.pop(p, None)  # bound again in the body: a test of it is not a test of the argument
    if fields:  # the root's config object is given its settings even when it is passed
        for p, v in list(env.items()):
            if isinstance(v, Obj):
                env[p] = Obj(v.cls, {**v.attrs, **fields})
    return {k: v for k, v in env.items() if v is not UNKNOWN}


def _config(
    project: Project, file: F.FileFacts, init: F.MethodFacts | F.FunctionFacts, param: str, fields: dict[str, object]
) -> Obj | None:
    """The config object a root's `__init__(self, config: BertConfig)` is built with when the
    caller gives none of its own: its class's field defaults, with the `config.x` settings."""
    annotated = dict(init.annotations).get(param, ())
    for name in annotated:
        target = project.resolve(file, name)
        if isinstance(target, ClassInfo) and not target.is_module:
            return Obj(target.name, {**config_fields(target), **fields})
    return None


def config_fields(cfg: ClassInfo) -> dict[str, object]:
    """A config class's field defaults, base first: class-level literals (`hidden_act: str =
    "gelu"`) and what its `__init__` stores from its literal defaults (`self.x = x`)."""
    out: dict[str, object] = {}
    for c in reversed(cfg.mro):
        if c.external:
            continue
        for name, code in c.facts.class_attrs:
            value = literal(code)
            if value is not UNKNOWN:
                out[name] = value
        init = c.facts.method("__init__")
        if init is None:
            continue
        env = {p: literal(t) for p, t in init.defaults}
        for w in c.facts.writes:
            if w.method == "__init__" and not w.conditional and w.value is not None:
                v = value_of(w.value, {k: x for k, x in env.items() if x is not UNKNOWN})
                if v is not UNKNOWN:
                    out[w.attr] = v
                else:
                    out.pop(w.attr, None)
    return out


def _run_writes(c: ClassInfo, env: Env, weights: set[str]) -> None:
    """What `__init__` stores on `self`, in order: a value over known names (`self.use_cls =
    config.use_cls`), or one of the class's `weights` built on every path (so `self.head is not
    None` holds); anything else stored is not known."""
    for w in c.facts.writes:
        if w.method != "__init__":
            continue
        decided = all_hold(w.guards, env) if w.guards else True
        if decided is False:
            continue
        key = f"self.{w.attr}"
        if decided is None:
            env.pop(key, None)  # set on some paths only
        elif w.value is not None:
            v = value_of(w.value, env)
            if v is UNKNOWN:
                env.pop(key, None)
            else:
                env[key] = v
        elif w.kind in (F.MODULE, F.PARAMETER, F.BUFFER) and w.attr in weights:
            env[key] = SET
        elif w.kind == F.NONE:
            env[key] = None
        else:
            env.pop(key, None)


def all_hold(guards: tuple[str, ...], env: Env) -> bool | None:
    """Whether every guard holds: False as soon as one is false, None if one is unknown (a loop
    or `try` level, "", decides nothing)."""
    unknown = False
    for g in guards:
        if not g:
            unknown = True
            continue
        v = value_of(g, env)
        if v is UNKNOWN:
            unknown = True
        elif not (v is SET or bool(v)):
            return False
    return None if unknown else True


def decide(cond: str, env: Env) -> bool | None:
    v = value_of(cond, env)
    if v is UNKNOWN:
        return None
    return True if v is SET else bool(v)

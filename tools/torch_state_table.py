"""Generate `src/deadweight/conventions/_torch_state_table.py` by building every torch.nn layer.

deadweight needs to know which checkpoint keys a torch layer holds (`nn.ReLU()` none,
`nn.LayerNorm(d, elementwise_affine=False)` none, `nn.BatchNorm2d(c, affine=False)` its running
statistics). A hand-kept list drifts from torch, so this script asks torch itself, once: it
instantiates each public `torch.nn.modules` class with small arguments inferred from its
signature, reads `state_dict().keys()` (parameters and persistent buffers, full dotted keys for
classes with children), then builds it again with each argument set to another value and keeps
the arguments that change the keys. Everything is built on the meta device, so
nothing is allocated. deadweight is not imported: run it with any interpreter that has torch.

    python tools/torch_state_table.py [--out src/deadweight/conventions/_torch_state_table.py]
"""

from __future__ import annotations

import argparse
import ast
import inspect
import itertools
import json
import re
import sys
import textwrap
import typing
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

OUT = Path(__file__).resolve().parents[1] / "src" / "deadweight" / "conventions" / "_torch_state_table.py"
LINE_LENGTH = 120  # [tool.ruff] line-length in pyproject.toml

# class -> (state-shaping argument -> its default's source literal, or None when required;
#           sorted "argument=literal" assignments away from the defaults -> state_dict keys)
Table = dict[str, tuple[dict[str, str | None], dict[tuple[str, ...], frozenset[str]]]]

Make = Callable[[], object]

# Not recorded: their state is whatever the caller puts in them (or, for Module, whatever a
# subclass adds), so no table row could be true.
CONTAINERS = frozenset(
    {"Module", "Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"}
)
# Never probed: they place or type tensors, they never add or remove one.
PLACEMENT = frozenset({"device", "dtype"})
# Probing spells a value with no single source literal this way; no source text equals it,
# so a layer built with such a value is looked up as unknown, never guessed.
PLACEHOLDER = re.compile(r"^<\w+>$")
WEIGHT_LIKE = re.compile(r"(^|_)weight$")
# Other values of string options that carry no Literal[...] annotation.
STRING_ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "reduction": ("sum", "none"),
    "approximate": ("tanh",),
    "nonlinearity": ("relu",),
    "mode": ("sum", "max", "bilinear", "LSTM"),
}


@dataclass(frozen=True)
class Choice:
    """One value to build with: how source code spells it, and how to make a fresh one."""

    literal: str
    make: Make


def _tensor() -> torch.Tensor:
    return torch.ones(4)


def _module() -> nn.Module:
    """A module with weights of its own: an argument that stores it changes the keys."""
    return nn.Linear(1, 1)


def _encoder_layer(bias: bool = True) -> nn.Module:
    return nn.TransformerEncoderLayer(4, 1, dim_feedforward=4, bias=bias)


def _decoder_layer(bias: bool = True) -> nn.Module:
    return nn.TransformerDecoderLayer(4, 1, dim_feedforward=4, bias=bias)


def _const(value: object) -> Make:
    return lambda: value


@dataclass(frozen=True)
class Override:
    """Where the signature cannot say what to pass: the value to build with and the others to try."""

    base: Make
    others: tuple[Choice, ...] = ()


# (class, argument) -> what to build with, for required arguments the annotation cannot fill,
# and for optional ones whose generic alternatives cannot be built.
OVERRIDES: dict[tuple[str, str], Override] = {
    ("AdaptiveLogSoftmaxWithLoss", "cutoffs"): Override(_const([2]), (Choice("<list>", _const([1, 2])),)),
    ("Unflatten", "unflattened_size"): Override(_const((2, 2)), (Choice("<tuple>", _const((1, 4))),)),
    ("RNNBase", "mode"): Override(_const("RNN_TANH"), (Choice("<str>", _const("LSTM")),)),
    ("TransformerEncoder", "encoder_layer"): Override(
        _encoder_layer, (Choice("<module>", lambda: _encoder_layer(False)),)
    ),
    ("TransformerDecoder", "decoder_layer"): Override(
        _decoder_layer, (Choice("<module>", lambda: _decoder_layer(False)),)
    ),
    # Annotated `Any`: what a caller passes is a module (its keys become the layer's).
    ("Transformer", "custom_encoder"): Override(_const(None), (Choice("<module>", _module),)),
    ("Transformer", "custom_decoder"): Override(_const(None), (Choice("<module>", _module),)),
    ("Embedding", "_weight"): Override(_const(None), (Choice("<tensor>", lambda: torch.ones(4, 4)),)),
    ("EmbeddingBag", "_weight"): Override(_const(None), (Choice("<tensor>", lambda: torch.ones(4, 4)),)),
    # It needs an output size or an output ratio; the ratio is then left at None.
    ("FractionalMaxPool2d", "output_size"): Override(_const(2), (Choice("<int>", _const(1)),)),
    ("FractionalMaxPool3d", "output_size"): Override(_const(2), (Choice("<int>", _const(1)),)),
}
# Classes whose __init__ is `(*args, **kwargs)`: the signature that describes them.
SIGNATURE_OF: dict[str, tuple[type, frozenset[str]]] = {
    "RNN": (nn.RNNBase, frozenset({"mode"})),
    "LSTM": (nn.RNNBase, frozenset({"mode"})),
    "GRU": (nn.RNNBase, frozenset({"mode"})),
}


@dataclass
class Report:
    """What the build could not look at, for the generated header."""

    not_modules: list[str] = field(default_factory=list)
    unprobed: dict[str, list[str]] = field(default_factory=dict)  # class -> "argument (why)"
    unbuilt: dict[str, list[str]] = field(default_factory=dict)  # class -> "argument=value" torch refused
    # class -> the keys that were buffers in some build (the rest are parameters)
    buffers: dict[str, set[str]] = field(default_factory=dict)
    # class -> every key any build held, in state_dict order (`named_parameters()` order too)
    order: dict[str, list[str]] = field(default_factory=dict)


def _annotation(p: inspect.Parameter) -> str:
    if p.annotation is inspect.Parameter.empty:
        return ""
    if isinstance(p.annotation, str):
        return p.annotation
    return inspect.formatannotation(p.annotation)


def _literal(value: object) -> str | None:
    """The source spelling of a plain constant (`False`, `None`, `1`, `'mean'`), else None."""
    text = repr(value)
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return text


def _literal_values(p: inspect.Parameter) -> tuple[object, ...]:
    if typing.get_origin(p.annotation) is typing.Literal:
        return typing.get_args(p.annotation)
    return ()


def parameters(cls: type[nn.Module]) -> list[inspect.Parameter]:
    name = cls.__name__
    owner, drop = SIGNATURE_OF.get(name, (cls, frozenset()))
    sig = inspect.signature(owner.__init__)  # type: ignore[misc]
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p for p in list(sig.parameters.values())[1:] if p.kind not in skip and p.name not in drop]


def required_value(cls_name: str, p: inspect.Parameter) -> Override:
    """A small value for a required argument, and another one to see whether its value shapes the keys."""
    hit = OVERRIDES.get((cls_name, p.name))
    if hit is not None:
        return hit
    ann = _annotation(p)
    if ann == "bool":
        return Override(_const(True), (Choice("<bool>", _const(False)),))
    if ann.startswith("float"):
        return Override(_const(1.0), (Choice("<float>", _const(2.0)),))
    if "int" in ann or not ann:
        # 4 divides and is divided by every other size here (heads, groups, channels).
        return Override(_const(4), (Choice("<int>", _const(8)), Choice("<int>", _const(2))))
    raise SystemExit(f"{cls_name}: no value for required argument {p.name}: {ann}; add it to OVERRIDES")


def alternatives(cls_name: str, p: inspect.Parameter) -> list[list[Choice]] | str:
    """Other values of an optional argument, as groups: each group is one value to probe,
    spelled by its literal, with candidates tried in order until one builds. A string says
    why the argument cannot be probed."""
    hit = OVERRIDES.get((cls_name, p.name))
    if hit is not None:
        return [[c] for c in hit.others]
    d, ann = p.default, _annotation(p)
    groups: list[list[Choice]] = []
    if d is not None and ("None" in ann or "Optional" in ann):
        groups.append([Choice("None", _const(None))])
    if isinstance(d, bool):
        groups.append([Choice(repr(not d), _const(not d))])
    elif d is None:
        if "Callable" in ann or "Options" in ann or ann.startswith("typing.Any"):
            return "takes a callable, an options object or anything"
        elif WEIGHT_LIKE.search(p.name) or "Tensor" in ann:
            groups.append([Choice("<tensor>", _tensor)])
        elif "Module" in ann:
            groups.append([Choice("<module>", _module)])
        elif "bool" in ann:
            groups += [[Choice("True", _const(True))], [Choice("False", _const(False))]]
        elif "int" in ann:
            groups.append([Choice("<int>", _const(3))])
        elif "float" in ann:
            groups.append([Choice("<float>", _const(0.5))])
        elif not ann:
            groups.append([Choice("<int>", _const(3)), Choice("<tensor>", _tensor)])
        else:
            return f"no value to try for {ann}"
    elif isinstance(d, int):
        groups.append([Choice("<int>", _const(d + 1)), Choice("<int>", _const(d * 2 or 2))])
    elif isinstance(d, float):
        groups.append([Choice("<float>", _const(d / 2 or 0.5)), Choice("<float>", _const(d + 0.5))])
    elif isinstance(d, str):
        others = [v for v in (*_literal_values(p), *STRING_ALTERNATIVES.get(p.name, ())) if v != d]
        if not others:
            return "a string option with no known other value"
        groups.append([Choice("<str>", _const(v)) for v in others])
    elif not groups:
        shown = _literal(d)
        return f"no other value to try for its default {shown}" if shown else f"its default is a {type(d).__name__}"
    return groups


# Buffer keys seen by `build`, per class: which state_dict keys are buffers rather than
# parameters (a tree names parameters as `named_parameters()` does).
_BUFFERS: dict[str, set[str]] = {}
_ORDER: dict[str, list[str]] = {}


def _merge_order(known: list[str], keys: list[str]) -> None:
    """Put the keys of one build into the order of all builds: a key not seen yet goes right
    after the key before it in this build (`bias` of `Linear(bias=True)` after `weight`)."""
    for i, key in enumerate(keys):
        if key in known:
            continue
        before = next((k for k in reversed(keys[:i]) if k in known), None)
        known.insert(known.index(before) + 1 if before is not None else 0, key)


def build(cls: type[nn.Module], kwargs: Mapping[str, Make]) -> frozenset[str] | None:
    """The state_dict keys of `cls(**kwargs)`, or None when torch refuses those arguments."""
    for device in ("meta", "cpu"):
        try:
            with warnings.catch_warnings(), torch.device(device):
                warnings.simplefilter("ignore")
                module = cls(**{k: make() for k, make in kwargs.items()})
                ordered = list(module.state_dict().keys())
                keys = frozenset(ordered)
                _BUFFERS.setdefault(cls.__name__, set()).update(k for k, _ in module.named_buffers() if k in keys)
                _merge_order(_ORDER.setdefault(cls.__name__, []), ordered)
                return keys
        except Exception:
            continue
    return None


def first_built(
    cls: type[nn.Module], kwargs: Mapping[str, Make], arg: str, group: Iterable[Choice]
) -> tuple[Choice, frozenset[str]] | None:
    for choice in group:
        keys = build(cls, {**kwargs, arg: choice.make})
        if keys is not None:
            return choice, keys
    return None


def probe(cls: type[nn.Module], report: Report) -> tuple[dict[str, str | None], dict[tuple[str, ...], frozenset[str]]]:
    """The keys at the defaults, the arguments that change them, and the keys for every
    combination of those arguments' literal values (the placeholder ones only alone)."""
    name = cls.__name__
    params = parameters(cls)
    base: dict[str, Make] = {}
    optional: dict[str, list[list[Choice]]] = {}
    required_others: dict[str, list[list[Choice]]] = {}
    for p in params:
        if p.name in PLACEMENT:
            continue
        if p.default is inspect.Parameter.empty:
            value = required_value(name, p)
            base[p.name] = value.base
            required_others[p.name] = [list(value.others)]
        else:
            if (name, p.name) in OVERRIDES:
                base[p.name] = OVERRIDES[name, p.name].base
            groups = alternatives(name, p)
            if isinstance(groups, str):
                report.unprobed.setdefault(name, []).append(f"{p.name} ({groups})")
            else:
                optional[p.name] = groups
    at_defaults = build(cls, base)
    if at_defaults is None:
        raise SystemExit(f"{name} cannot be built with {sorted(base)}; add its arguments to OVERRIDES")

    defaults: dict[str, str | None] = {}
    literal_choices: dict[str, list[Choice]] = {}  # state-shaping argument -> its values spelled as literals
    placeholder_choices: dict[str, Choice] = {}
    for p in params:
        if p.name in required_others:
            hit, unbuilt = _shapes(cls, base, p.name, required_others[p.name], base_keys=at_defaults)
            for literal in unbuilt:
                report.unbuilt.setdefault(name, []).append(f"{p.name}={literal}")
            if hit:
                defaults[p.name] = None
                placeholder_choices[p.name] = hit[0]
    # An argument can matter only once another is set (InstanceNorm's bias needs affine=True):
    # look again under every combination of the literal values found so far, until none is new.
    while True:
        found = False
        for assignment in _combinations(literal_choices):
            kwargs = {**base, **{a: c.make for a, c in assignment}}
            keys = build(cls, kwargs)
            if keys is None:
                continue
            for p in params:
                if p.name not in optional or p.name in defaults or any(a == p.name for a, _ in assignment):
                    continue
                hit, unbuilt = _shapes(cls, kwargs, p.name, optional[p.name], base_keys=keys)
                if not assignment:
                    for literal in unbuilt:
                        report.unbuilt.setdefault(name, []).append(f"{p.name}={literal}")
                if not hit:
                    continue
                found = True
                default = _literal(p.default)
                if default is None:
                    raise SystemExit(f"{name}.{p.name} changes the keys but its default {p.default!r} has no literal")
                defaults[p.name] = default
                for choice in hit:
                    if PLACEHOLDER.match(choice.literal):
                        placeholder_choices.setdefault(p.name, choice)
                    else:
                        literal_choices.setdefault(p.name, []).append(choice)
        if not found:
            break

    variants: dict[tuple[str, ...], frozenset[str]] = {}
    for assignment in _combinations(literal_choices):
        keys = build(cls, {**base, **{a: c.make for a, c in assignment}})
        if keys is not None:
            variants[tuple(sorted(f"{a}={c.literal}" for a, c in assignment))] = keys
    for arg, choice in placeholder_choices.items():
        keys = build(cls, {**base, arg: choice.make})
        if keys is not None:
            variants[(f"{arg}={choice.literal}",)] = keys
    return dict(sorted(defaults.items())), dict(sorted(variants.items(), key=lambda kv: (len(kv[0]), kv[0])))


def _shapes(
    cls: type[nn.Module],
    kwargs: Mapping[str, Make],
    arg: str,
    groups: Iterable[Iterable[Choice]],
    *,
    base_keys: frozenset[str],
) -> tuple[list[Choice], list[str]]:
    """The values of `arg` (one per group, the first that builds) if any changes the keys,
    and the groups none of whose values torch would build."""
    built: list[tuple[Choice, frozenset[str]]] = []
    unbuilt: list[str] = []
    for group in groups:
        hit = first_built(cls, kwargs, arg, group)
        if hit is None:
            unbuilt.append(" or ".join(dict.fromkeys(c.literal for c in group)))
        else:
            built.append(hit)
    # One value that changes them is reason enough to record the argument with all its values.
    changed = [choice for choice, _ in built] if any(keys != base_keys for _, keys in built) else []
    return changed, unbuilt


def _combinations(choices: Mapping[str, list[Choice]]) -> Iterator[tuple[tuple[str, Choice], ...]]:
    """Every assignment of the arguments to a default (left out) or to one of their values."""
    args = sorted(choices)
    for picks in itertools.product(*([None, *choices[a]] for a in args)):
        yield tuple((a, c) for a, c in zip(args, picks, strict=True) if c is not None)


def public_classes(report: Report) -> list[type[nn.Module]]:
    out: list[type[nn.Module]] = []
    for name in sorted(nn.modules.__all__):
        obj = getattr(nn.modules, name)
        if not name[:1].isupper() or name in CONTAINERS:
            continue
        if not (isinstance(obj, type) and issubclass(obj, nn.Module)):
            report.not_modules.append(name)
            continue
        out.append(obj)
    return out


def build_table(report: Report | None = None) -> Table:
    """The table for the torch this runs with (what the generated module holds as TORCH_STATE)."""
    report = report if report is not None else Report()
    _BUFFERS.clear()
    _ORDER.clear()
    table = {cls.__name__: probe(cls, report) for cls in public_classes(report)}
    report.buffers = {name: set(keys) for name, keys in _BUFFERS.items() if keys and name in table}
    report.order = {name: keys for name, keys in _ORDER.items() if len(keys) > 1 and name in table}
    return table


# ---------------------------------------------------------------- writing the module


def _flat(value: object) -> str:
    """`value` on one line, as `ruff format` spells it."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, frozenset):
        return f"frozenset({{{', '.join(_flat(v) for v in sorted(value))}}})" if value else "frozenset()"
    if isinstance(value, tuple):
        return f"({_flat(value[0])},)" if len(value) == 1 else f"({', '.join(_flat(v) for v in value)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r}")


def _format(value: object, indent: int, prefix: str = "", suffix: str = ",") -> str:
    """One line when it fits, else one item a line with a trailing comma, which `ruff format`
    keeps exploded: the written module is already formatted."""
    pad, inner = " " * indent, indent + 4
    flat = f"{prefix}{_flat(value)}{suffix}"
    if indent + len(flat) <= LINE_LENGTH:
        return pad + flat
    if isinstance(value, frozenset):
        items = "".join(f"{' ' * (inner + 4)}{_flat(v)},\n" for v in sorted(value))
        return f"{pad}{prefix}frozenset(\n{' ' * inner}{{\n{items}{' ' * inner}}}\n{pad}){suffix}"
    if isinstance(value, tuple):
        body = "".join(_format(v, inner) + "\n" for v in value)
        return f"{pad}{prefix}(\n{body}{pad}){suffix}"
    if isinstance(value, dict):
        body = "".join(_format(v, inner, f"{_flat(k)}: ") + "\n" for k, v in value.items())
        return f"{pad}{prefix}{{\n{body}{pad}}}{suffix}"
    raise TypeError(f"cannot fit {value!r} on a line")


def _paragraph(text: str) -> str:
    return textwrap.fill(text, width=96, break_long_words=False, break_on_hyphens=False)


def _per_class(entries: Mapping[str, list[str]]) -> str:
    lines = [f"{name}: {', '.join(dict.fromkeys(args))}." for name, args in sorted(entries.items())]
    return "\n".join(textwrap.fill(line, width=96, initial_indent="  ", subsequent_indent="    ") for line in lines)


def render(table: Table, report: Report) -> str:
    """The generated module's text: a docstring saying where the data came from, then the data."""
    containers = ", ".join(sorted(CONTAINERS & set(nn.modules.__all__)))
    excluded = _paragraph(
        f"Not recorded: {containers}, which hold whatever they are given (Module: whatever a "
        "subclass adds), so no row could be true of them"
        + (f"; {', '.join(report.not_modules)}, which are not module classes." if report.not_modules else ".")
        + " Lazy modules are recorded: their uninitialised parameters are already state_dict keys."
    )
    notes = [_paragraph("Never probed: `device` and `dtype`, which place tensors and add none.")]
    if report.unprobed:
        notes.append(
            "Not probed, having no value to try (they are taken to leave the keys alone):\n"
            + _per_class(report.unprobed)
        )
    if report.unbuilt:
        notes.append(
            "Probed, but torch refused every value tried (taken to leave the keys alone):\n"
            + _per_class(report.unbuilt)
        )
    notes_text = "\n\n".join(notes)
    header = f'''"""The checkpoint keys each public torch.nn layer holds, and the arguments that change them.

Generated by tools/torch_state_table.py from torch {torch.__version__}; do not edit by hand.

Each class in torch.nn.modules.__all__ was instantiated (on the meta device) with small sizes
for its required arguments and torch's defaults for the rest, and its `state_dict().keys()`
recorded: parameters and persistent buffers, with full dotted keys for layers that have
children (MultiheadAttention's `out_proj.weight`, Transformer's `encoder.layers.0...`). Then each
argument was given another value (a bool flipped; None given a tensor, a module or a number; a
number moved; None where the annotation allows it) and those that changed the keys kept; they
were probed again under every combination of the kept ones' literal values, since one can
matter only once another is set (InstanceNorm's `bias` needs `affine=True`).

Row: class -> (
    {{argument that changes the keys: the source literal of its default, or None for a required
     argument whose value shapes the keys, which the row then cannot say}},
    {{the arguments set away from their defaults, as sorted "argument=literal": the keys then}},
)
`()` holds the keys at the defaults. A value with no single literal is spelled `<tensor>`,
`<int>`, `<module>`...: such rows show what a value like it does, and no source text matches them.
Sizes change no key (the probes say so: no size argument is a row's argument); counts do
(`num_layers`), and a module passed in brings its own keys (`custom_encoder`, `norm`).

{excluded}

{notes_text}
"""

TORCH_VERSION = {_flat(torch.__version__)}

# class name -> ({{state-shaping argument: default literal or None}}, {{assignments: state_dict keys}})
TORCH_STATE: dict[str, tuple[dict[str, str | None], dict[tuple[str, ...], frozenset[str]]]] = {{
'''
    rows = "".join(_format(table[name], 4, f"{_flat(name)}: ") + "\n" for name in sorted(table))
    buffers = "".join(
        _format(frozenset(report.buffers[name]), 4, f"{_flat(name)}: ") + "\n" for name in sorted(report.buffers)
    )
    order = "".join(_format(tuple(report.order[name]), 4, f"{_flat(name)}: ") + "\n" for name in sorted(report.order))
    tail = (
        "\n# class name -> the state_dict keys that are buffers in some build (every other key is a parameter)\n"
        "TORCH_BUFFERS: dict[str, frozenset[str]] = {\n" + buffers + "}\n"
        "\n# class name -> every key of any build, in state_dict order (which `named_parameters()` follows;\n"
        "# DDP's parameter indices count in it); layers with one key left out\n"
        "TORCH_KEY_ORDER: dict[str, tuple[str, ...]] = {\n" + order + "}\n"
    )
    return header + rows + "}\n" + tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--out", type=Path, default=OUT, help="where to write the generated module")
    args = ap.parse_args(argv)
    report = Report()
    table = build_table(report)
    args.out.write_text(render(table, report), encoding="utf-8")
    print(f"wrote {args.out}: {len(table)} classes from torch {torch.__version__}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What a torch.nn layer puts in a checkpoint, read from the table that building each layer produced
(`_torch_state_table.py`, written by tools/torch_state_table.py)."""

from __future__ import annotations

from collections.abc import Mapping

from deadweight.conventions._torch_state_table import TORCH_BUFFERS, TORCH_KEY_ORDER, TORCH_STATE


def torch_layer_keys(name: str, kwargs: Mapping[str, str]) -> frozenset[str] | None:
    """The state_dict keys of the torch.nn layer `name(**kwargs)`, or None when unknown.

    `kwargs` are the call's keyword arguments as source text (`{"bias": "False"}`).

    The answer comes from building every layer once (tools/torch_state_table.py), not from a
    hand list, because hand lists missed layers (`nn.Unfold`, the paddings, most losses) and
    the flags that empty a layer, and a wrong "holds nothing" hides a real finding. So this
    only answers what the build saw: an argument that changes the keys must be spelled as a
    literal the build tried (`affine=True`), or be its default (`weight=None`). A value read
    from config (`elementwise_affine=cfg.affine`), a tensor, a count (`num_layers=2`) or a
    module passed in could mean other keys, so those give None rather than a guess, as does
    a layer whose required arguments shape its keys (`nn.TransformerEncoder`). Positional
    arguments are not seen: a caller that has `nn.Linear(4, 4, False)` must name them first.
    """
    entry = TORCH_STATE.get(name)
    if entry is None:
        return None
    defaults, variants = entry
    changed: list[str] = []
    for arg, default in defaults.items():
        if default is None:
            return None
        value = kwargs.get(arg)
        if value is None:
            continue
        value = value.strip()
        if value != default:
            changed.append(f"{arg}={value}")
    return variants.get(tuple(sorted(changed)))


def torch_key_order(name: str, keys: frozenset[str] | set[str]) -> list[str]:
    """`keys` of the torch.nn layer `name` in its state_dict order, which `named_parameters()`
    follows and DDP's parameter indices count in (`weight` before `bias`); keys the build never
    saw go last, sorted."""
    order = TORCH_KEY_ORDER.get(name, ())
    rank = {k: i for i, k in enumerate(order)}
    return sorted(keys, key=lambda k: (rank.get(k, len(order)), k))


def torch_buffer_keys(name: str) -> frozenset[str]:
    """Of a torch.nn layer's state_dict keys, those that are buffers (`running_mean`), as the
    build saw them; every other key is a parameter, as `named_parameters()` lists it."""
    return TORCH_BUFFERS.get(name, frozenset())


def torch_layer_variants(name: str) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]] | None:
    """(keys in every build, keys in some builds, the arguments that decide) of a torch.nn layer:
    what a tree can still say when those arguments are not literals (`bias=config.bias`)."""
    entry = TORCH_STATE.get(name)
    if entry is None:
        return None
    decides, variants = entry
    builds = list(variants.values())
    always = frozenset.intersection(*builds) if builds else frozenset()
    some = frozenset().union(*builds) - always
    return always, some, tuple(sorted(decides))

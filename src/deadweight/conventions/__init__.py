"""Framework knowledge as data: what is a module, what is an entry point, what only inspects.

One file per framework family (`torch.py`, `transformers.py`, `sat.py`, ...), each a
`Convention` of plain tables (see `_schema.py`). This module finds every family file in the
package, merges their tables and exposes the merged names the extractor and the model read.
It is the only place framework names appear; repos extend it with `entry-points`,
`init-methods` and `module-bases` in their config.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from deadweight.conventions._schema import Convention


def _families() -> dict[str, Convention]:
    out: dict[str, Convention] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        out[info.name] = module.CONVENTION
    return out


FAMILIES: dict[str, Convention] = _families()

# torch's own nn classes, generated from its sources (tools/torch_nn_table.py): what an
# inherited torch forward reads when torch itself is not installed where we can read it.
from deadweight.conventions._torch_nn_table import TORCH_NN as TORCH_NN  # noqa: E402
from deadweight.conventions._torch_state import torch_buffer_keys as torch_buffer_keys  # noqa: E402
from deadweight.conventions._torch_state import torch_key_order as torch_key_order  # noqa: E402
from deadweight.conventions._torch_state import torch_layer_keys as torch_layer_keys  # noqa: E402
from deadweight.conventions._torch_state import torch_layer_variants as torch_layer_variants  # noqa: E402


def _union(name: str) -> frozenset[str]:
    return frozenset().union(*(getattr(c, name) for c in FAMILIES.values()))


def _concat(name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for c in FAMILIES.values() for p in getattr(c, name)))


def _any_of(name: str) -> re.Pattern[str]:
    """One regex matching any family's pattern (a pattern that never matches when none)."""
    patterns = _concat(name)
    return re.compile("|".join(f"(?:{p})" for p in patterns) if patterns else r"(?!)")


MODULE_BASES = _union("module_bases")
MODULE_NAMESPACES = _concat("module_namespaces")
NOT_MODULES = _union("not_modules")
CONTAINER_BASES = _union("container_bases")
CONTAINERS = _union("containers")
ENTRY_POINTS = _union("entry_points")
ENTRY_POINT_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in _concat("entry_point_patterns"))
BASE_ENTRY_POINTS: dict[str, frozenset[str]] = {}
for _c in FAMILIES.values():
    for _base, _names in _c.base_entry_points.items():
        BASE_ENTRY_POINTS[_base] = BASE_ENTRY_POINTS.get(_base, frozenset()) | _names
OPTIMIZER_METHODS = _union("optimizer_methods")
INIT_METHODS = _union("init_methods")
INIT_METHOD_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in _concat("init_method_patterns"))
PARAMETER_FREE_LAYERS = _union("parameter_free_layers")
TENSOR_FACTORIES = _union("tensor_factories")
INIT_FUNCTIONS = _union("init_functions")
INIT_CALLS = _union("init_calls")
META_ATTRS = _union("meta_attrs")
META_METHODS = _union("meta_methods")
DYNAMIC_SELF_ATTRS = _union("dynamic_self_attrs")
ACTIVATION_REGISTRIES = _union("activation_registries")
MODULE_FACTORY_PATTERN = _any_of("module_factory_patterns")
LAYER_ARGUMENT_PATTERN = _any_of("layer_argument_patterns")
PARAMETER_FREE_ARGUMENTS = _any_of("parameter_free_argument_patterns")
TIED_WEIGHTS_ATTR = _any_of("tied_weights_attr_patterns")
EXTERNAL_BASE_READS = _union("external_base_reads")
GENERATED_FROM: tuple[tuple[str, str], ...] = tuple(
    dict.fromkeys(g for c in FAMILIES.values() for g in c.generated_from)
)


def is_entry_point(name: str, extra: frozenset[str] = frozenset()) -> bool:
    return name in ENTRY_POINTS or name in extra or any(p.match(name) for p in ENTRY_POINT_PATTERNS)


def is_init_method(name: str, extra: frozenset[str] = frozenset()) -> bool:
    return name in INIT_METHODS or name in extra or any(p.match(name) for p in INIT_METHOD_PATTERNS)


def is_parameter_free(ctor_last: str, kwargs: dict[str, str]) -> bool:
    """Whether a layer built as `Ctor(**kwargs)` puts nothing in a checkpoint (so DW105, not DW101).

    torch's own layers are answered from the table made by building each of them
    (`_torch_state_table.py`): `nn.BatchNorm2d(affine=False)` keeps its running statistics,
    `nn.LayerNorm(d, elementwise_affine=False)` keeps nothing. The family tables name the
    layers of other packages that no code here shows (timm's `DropPath` when timm is absent).
    """
    if ctor_last in PARAMETER_FREE_LAYERS or PARAMETER_FREE_ARGUMENTS.match(ctor_last):
        return True
    keys = torch_layer_keys(ctor_last, kwargs)
    return keys is not None and not keys

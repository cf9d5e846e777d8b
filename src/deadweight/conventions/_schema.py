"""The shape of one framework family's knowledge: plain data, no behaviour.

Each file of this package (one per family) defines `CONVENTION = Convention(...)` with only the
fields it knows. `deadweight.conventions` merges them all, so adding a family is one file here
plus its fixture. A name belongs in a table only when no code says the fact: what a class
inherits, what a function returns and which methods call which are read from the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Convention:
    # Fully-qualified classes that make a subclass a module (matched on the resolved base).
    module_bases: frozenset[str] = frozenset()
    # Prefixes whose capitalised members are module classes when called (`torch.nn.`).
    module_namespaces: tuple[str, ...] = ()
    # Classes under those prefixes that are not modules.
    not_modules: frozenset[str] = frozenset()
    # Container base classes: a subclass's own forward or its holder iterates every child.
    container_bases: frozenset[str] = frozenset()
    # Container class names whose iteration or indexing consumes the container.
    containers: frozenset[str] = frozenset()
    # Methods the framework calls on a module, and name patterns of such methods.
    entry_points: frozenset[str] = frozenset()
    entry_point_patterns: tuple[str, ...] = ()
    # Methods the framework calls on subclasses of one base only, for bases whose code may not
    # be installed where we can read it: {fully-qualified base: methods}.
    base_entry_points: dict[str, frozenset[str]] = field(default_factory=dict)
    # Methods that hand the parameters to an optimizer: `self.parameters()` there consumes nothing.
    optimizer_methods: frozenset[str] = frozenset()
    # Methods that only build or initialise: reads there are not consumption.
    init_methods: frozenset[str] = frozenset()
    init_method_patterns: tuple[str, ...] = ()
    # Layer classes outside torch.nn that put nothing in a checkpoint (DW105 when dead); torch.nn's
    # own are read from `_torch_state_table.py`.
    parameter_free_layers: frozenset[str] = frozenset()
    # Calls that build tensors.
    tensor_factories: frozenset[str] = frozenset()
    # Functions that initialise the tensor passed to them.
    init_functions: frozenset[str] = frozenset()
    # Methods called on a weight that initialise or freeze it.
    init_calls: frozenset[str] = frozenset()
    # Attribute reads and method calls that only inspect a tensor or module.
    meta_attrs: frozenset[str] = frozenset()
    meta_methods: frozenset[str] = frozenset()
    # Attributes of self that reach any weight by name.
    dynamic_self_attrs: frozenset[str] = frozenset()
    # Registries indexed to get a parameter-free layer instance (`ACT2FN[name]`).
    activation_registries: frozenset[str] = frozenset()
    # Function-name patterns of factories that return module instances.
    module_factory_patterns: tuple[str, ...] = ()
    # Constructor-argument-name patterns that hold a layer class (`norm_layer(dim)`).
    layer_argument_patterns: tuple[str, ...] = ()
    # Of those, the ones that name parameter-free layers.
    parameter_free_argument_patterns: tuple[str, ...] = ()
    # Class-attribute-name patterns that list weights tied together after loading.
    tied_weights_attr_patterns: tuple[str, ...] = ()
    # Attributes that the framework's own layers read in their forward (`super().forward(x)`).
    external_base_reads: frozenset[str] = frozenset()
    # (source prefix, generated prefix) of files generated from other files: only the generated one is judged.
    generated_from: tuple[tuple[str, str], ...] = ()

"""Other frameworks with the same weights-in-constructor, forward-at-call contract."""

from deadweight.conventions._schema import Convention

CONVENTION = Convention(
    module_bases=frozenset(
        {"flax.linen.Module", "keras.layers.Layer", "tensorflow.keras.layers.Layer", "keras.Model", "mlx.nn.Module"}
    ),
    module_namespaces=("flax.linen.", "keras.layers.", "mlx.nn."),
    entry_points=frozenset({"call"}),  # keras
    init_methods=frozenset({"setup", "build"}),  # flax, keras
)

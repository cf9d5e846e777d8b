"""SwissArmyTransformer: mixins whose hooks (`*_forward`, `attention_fn`) the model calls."""

from deadweight.conventions._schema import Convention

_BASES = ("BaseMixin", "BaseModel")
_PACKAGES = ("sat", "SwissArmyTransformer")

CONVENTION = Convention(
    module_bases=frozenset(
        f"{pkg}.model{sub}.{cls}" for pkg in _PACKAGES for sub in (".base_model", "") for cls in _BASES
    ),
    entry_points=frozenset(
        {
            "attention_fn",
            "attention_forward",
            "cross_attention_forward",
            "mlp_forward",
            "layer_forward",
            "word_embedding_forward",
            "position_embedding_forward",
            "final_forward",
            "branch_embedding_forward",
            "branch_final_forward",
        }
    ),
    # Any other hook a mixin may implement: `*_forward`.
    entry_point_patterns=(r"^[a-z]\w*_forward$",),
    init_methods=frozenset({"reinit"}),
)

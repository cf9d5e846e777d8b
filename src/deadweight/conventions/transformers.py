"""Hugging Face transformers: pretrained-model bases, weight init hooks, tied weights, modular files."""

from deadweight.conventions._schema import Convention

CONVENTION = Convention(
    module_bases=frozenset({"transformers.PreTrainedModel", "transformers.modeling_utils.PreTrainedModel"}),
    init_methods=frozenset({"_init_weights", "init_weights", "post_init", "_tie_or_clone_weights"}),
    parameter_free_layers=frozenset({"ACT2FN", "QuickGELU", "NewGELUActivation", "GELUActivation"}),
    init_functions=frozenset({"init_weights", "_init_weights"}),
    # Config-derived sizes read off a module: inspection, not use.
    meta_attrs=frozenset({"num_heads", "head_dim", "hidden_size"}),
    activation_registries=frozenset({"ACT2FN"}),
    module_factory_patterns=(r"^get_activation$",),
    tied_weights_attr_patterns=(r"tied_weights|tie_weights_keys|_tied_keys",),
    # modular_x.py is the source transformers generates modeling_x.py from; modeling_x.py runs.
    generated_from=(("modular_", "modeling_"),),
)

"""timm: layer factories, layer-class arguments, `forward_features`/`forward_head`, init helpers."""

from deadweight.conventions._schema import Convention

CONVENTION = Convention(
    module_namespaces=("timm.layers.", "timm.models.layers."),
    entry_point_patterns=(r"^forward_\w+$",),
    init_methods=frozenset(
        {
            "_init_weights",
            "init_weights",
            "_initialize_weights",
            "initialize_weights",
            "initialize_parameters",
            "reset_params",
            "_reset_params",
            "init_params",
            "fix_init_weight",
        }
    ),
    init_method_patterns=(r"^_?init_\w*weights?\w*$",),
    parameter_free_layers=frozenset({"DropPath"}),
    init_functions=frozenset(
        {"trunc_normal_tf_", "lecun_normal_", "variance_scaling_", "init_weight_vit", "named_apply"}
    ),
    # `create_act_layer(...)`, `build_norm(...)`: functions named for the module they return.
    # (`get_act_layer`/`get_norm_layer` return classes, not instances, so they are not here.)
    module_factory_patterns=(
        r"^(build|create|make)_\w*(layer|norm|act|activation|block|module|mlp|attn|attention|pool|head|conv|conv2d|embed\w*|dropout|drop_path|aa)$",
        r"^create_classifier$",
    ),
    # Constructor arguments that hold a layer class (`norm_layer(dim)`, `act_layer()`).
    layer_argument_patterns=(r"^(\w+_)?(layer|norm_layer|act_layer|block|block_cls|layer_cls|module_cls)$",),
    parameter_free_argument_patterns=(r"^(act|activation|drop|dropout|drop_path|pool|gate)(_\w+)?_layer$",),
)

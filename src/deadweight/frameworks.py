"""Framework knowledge as data: what is a module, what is an entry point, what only inspects.

Every convention deadweight knows lives in these tables, not in scattered conditionals, so a
reader can audit it and a repo can extend it (`entry-points`, `init-methods`, `module-bases`).
"""

from __future__ import annotations

import re

# Fully-qualified classes that make a subclass a module. Matched against the resolved dotted
# name of a base; any name under `torch.nn.` whose last part is capitalised also counts.
MODULE_BASES: frozenset[str] = frozenset(
    {
        "torch.nn.Module",
        "torch.nn.modules.module.Module",
        # SwissArmyTransformer (both package spellings)
        "sat.model.base_model.BaseMixin",
        "sat.model.base_model.BaseModel",
        "sat.model.BaseMixin",
        "sat.model.BaseModel",
        "SwissArmyTransformer.model.base_model.BaseMixin",
        "SwissArmyTransformer.model.base_model.BaseModel",
        "SwissArmyTransformer.model.BaseMixin",
        "SwissArmyTransformer.model.BaseModel",
        # Hugging Face
        "transformers.PreTrainedModel",
        "transformers.modeling_utils.PreTrainedModel",
        "diffusers.ModelMixin",
        "diffusers.models.ModelMixin",
        "diffusers.models.modeling_utils.ModelMixin",
        # Lightning
        "lightning.LightningModule",
        "lightning.pytorch.LightningModule",
        "pytorch_lightning.LightningModule",
        "pytorch_lightning.core.LightningModule",
        "pytorch_lightning.core.module.LightningModule",
        # other frameworks with the same weight/forward contract
        "flax.linen.Module",
        "keras.layers.Layer",
        "tensorflow.keras.layers.Layer",
        "keras.Model",
        "mlx.nn.Module",
    }
)

# Prefixes of qualified names whose capitalised members are module classes when called.
MODULE_NAMESPACES: tuple[str, ...] = (
    "torch.nn.",
    "flax.linen.",
    "keras.layers.",
    "mlx.nn.",
    "timm.layers.",
    "timm.models.layers.",
)

# torch.nn classes that are not modules although they live in torch.nn.
NOT_MODULES: frozenset[str] = frozenset(
    {"torch.nn.Parameter", "torch.nn.parameter.Parameter", "torch.nn.Buffer", "torch.nn.functional"}
)

# Module classes that hold no parameters: when dead they are DW105 (unused-layer).
PARAMETER_FREE_LAYERS: frozenset[str] = frozenset(
    {
        "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
        "DropPath", "StochasticDepth", "Identity", "Flatten", "Unflatten",
        "ReLU", "ReLU6", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
        "Softplus", "ELU", "ACT2FN", "SELU", "CELU", "LeakyReLU", "Hardswish", "Hardsigmoid", "Hardtanh",
        "GLU", "Tanhshrink", "Softsign", "QuickGELU", "NewGELUActivation", "GELUActivation",
        "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
        "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
        "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
        "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
        "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d",
        "CosineSimilarity", "PairwiseDistance",
    }
)
# Norm layers are parameter-free when built with affine=False / elementwise_affine=False.
AFFINE_LAYERS: dict[str, str] = {
    "LayerNorm": "elementwise_affine",
    "GroupNorm": "affine",
    "InstanceNorm1d": "affine",
    "InstanceNorm2d": "affine",
    "InstanceNorm3d": "affine",
    "BatchNorm1d": "affine",
    "BatchNorm2d": "affine",
    "BatchNorm3d": "affine",
    "RMSNorm": "elementwise_affine",
}
# InstanceNorm is parameter-free by default.
DEFAULT_NON_AFFINE: frozenset[str] = frozenset({"InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"})

# Containers of submodules; iteration/indexing of them consumes the container.
CONTAINERS: frozenset[str] = frozenset({"ModuleList", "ModuleDict", "Sequential", "ParameterList", "ParameterDict"})

# Calls that build tensors (DW202 unregistered-tensor and kind TENSOR).
TENSOR_FACTORIES: frozenset[str] = frozenset(
    {
        "zeros", "ones", "empty", "full", "randn", "rand", "randint", "arange", "linspace",
        "logspace", "eye", "tensor", "as_tensor", "from_numpy", "zeros_like", "ones_like",
        "empty_like", "full_like", "randn_like", "rand_like", "Tensor", "FloatTensor",
        "LongTensor", "triu", "tril", "stack", "cat",
    }
)

# Calls that return modules although they are functions (factories), by name.
# (`get_act_layer`/`get_norm_layer` return classes, not instances, so they are not here.)
MODULE_FACTORY_PATTERN = re.compile(
    r"^(build|create|make)_\w*(layer|norm|act|activation|block|module|mlp|attn|attention|pool|head|conv|conv2d|embed\w*|dropout|drop_path|aa)$"
    r"|^(get_activation|create_classifier)$"
)
# Constructor arguments that hold a layer class (timm's `norm_layer(dim)`, `act_layer()`).
LAYER_ARGUMENT_PATTERN = re.compile(r"^(\w+_)?(layer|norm_layer|act_layer|block|block_cls|layer_cls|module_cls)$")
# Of those, the ones that name parameter-free layers.
PARAMETER_FREE_ARGUMENTS = re.compile(r"^(act|activation|drop|dropout|drop_path|pool|gate)(_\w+)?_layer$")

# Class attributes that name weights the framework ties together after loading.
TIED_WEIGHTS_ATTR = re.compile(r"tied_weights|tie_weights_keys|_tied_keys")

# Attributes that torch's own layers read in their forward: `super().forward(x)` from a
# subclass of nn.Linear / nn.Embedding / nn.Conv2d consumes them.
EXTERNAL_BASE_READS: frozenset[str] = frozenset({"weight", "bias", "running_mean", "running_var", "in_proj_weight", "in_proj_bias"})

# (source prefix, generated prefix): transformers' modular files and the modeling files made from them.
GENERATED_FROM: tuple[str, str] = ("modular_", "modeling_")

# Registries indexed to get a parameter-free layer instance: `self.act = ACT2FN[config.hidden_act]`.
ACTIVATION_REGISTRIES: frozenset[str] = frozenset({"ACT2FN"})
# Container base classes: a subclass's own forward (Sequential) or its holder iterates every child.
CONTAINER_BASES: frozenset[str] = frozenset(
    {
        "torch.nn.Sequential",
        "torch.nn.ModuleList",
        "torch.nn.ModuleDict",
        "torch.nn.modules.container.Sequential",
        "torch.nn.modules.container.ModuleList",
        "torch.nn.modules.container.ModuleDict",
    }
)
# Functions that initialise the tensor passed to them (nn.init.*, timm's trunc_normal_, ...).
INIT_FUNCTIONS: frozenset[str] = frozenset(
    {
        "normal_", "uniform_", "trunc_normal_", "trunc_normal_tf_", "zeros_", "ones_", "constant_",
        "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
        "eye_", "dirac_", "sparse_", "lecun_normal_", "variance_scaling_", "init_weights",
        "_init_weights", "init_weight_vit", "named_apply",
    }
)

# Entry points: methods that the framework calls on a module.
ENTRY_POINTS: frozenset[str] = frozenset(
    {
        "forward",
        "__call__",
        "call",  # keras
        # Lightning
        "training_step",
        "validation_step",
        "test_step",
        "predict_step",
        # SwissArmyTransformer hooks a mixin may implement
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
)
# Any method whose name matches these is an entry point too (SAT hooks: `*_forward`).
ENTRY_POINT_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^[a-z]\w*_forward$"),
    re.compile(r"^forward_\w+$"),
)

# Methods that run only while building or initialising: reads there are not consumption.
INIT_METHODS: frozenset[str] = frozenset(
    {
        "__init__",
        "__post_init__",
        "setup",  # flax
        "build",  # keras
        "_init_weights",
        "init_weights",
        "_initialize_weights",
        "initialize_weights",
        "initialize_parameters",
        "reset_parameters",
        "_reset_parameters",
        "reset_params",
        "_reset_params",
        "init_params",
        "post_init",
        "reinit",  # SwissArmyTransformer
        "extra_repr",
        "__repr__",
        "__str__",
        "_load_from_state_dict",
        "load_state_dict",
        "state_dict",
        "fix_init_weight",
        "_tie_or_clone_weights",
    }
)
INIT_METHOD_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^_?init_\w*weights?\w*$"),
    re.compile(r"^_?reset_\w*parameters$"),
)

# Attribute reads that only inspect a tensor or module.
META_ATTRS: frozenset[str] = frozenset(
    {
        "shape", "dtype", "device", "ndim", "requires_grad", "is_cuda", "is_leaf",
        "in_features", "out_features", "in_channels", "out_channels", "kernel_size", "stride",
        "padding", "dilation", "groups", "num_embeddings", "embedding_dim", "normalized_shape",
        "eps", "padding_idx", "num_features", "training", "p", "inplace", "__class__",
        "num_heads", "head_dim", "hidden_size",
    }
)
META_METHODS: frozenset[str] = frozenset(
    {"size", "dim", "numel", "nelement", "element_size", "get_device", "type", "extra_repr", "is_contiguous", "is_floating_point", "data_ptr"}
)
# Calls on a weight that initialise or freeze it instead of using it.
INIT_CALLS: frozenset[str] = frozenset(
    {
        "copy_", "fill_", "zero_", "normal_", "uniform_", "requires_grad_", "trunc_normal_", "fill_diagonal_",
        "exponential_", "geometric_", "log_normal_", "cauchy_", "random_", "bernoulli_",
        "reset_parameters", "_reset_parameters", "apply", "register_forward_hook", "register_forward_pre_hook",
        "register_full_backward_hook", "register_backward_hook", "load_state_dict",
    }
)
# Attributes of self whose use means "any weight may be reached by name".
DYNAMIC_SELF_ATTRS: frozenset[str] = frozenset(
    {
        "children", "named_children", "modules", "named_modules", "parameters", "named_parameters",
        "buffers", "named_buffers", "_modules", "_parameters", "_buffers", "__dict__", "state_dict",
    }
)


def is_entry_point(name: str, extra: frozenset[str] = frozenset()) -> bool:
    return name in ENTRY_POINTS or name in extra or any(p.match(name) for p in ENTRY_POINT_PATTERNS)


def is_init_method(name: str, extra: frozenset[str] = frozenset()) -> bool:
    return name in INIT_METHODS or name in extra or any(p.match(name) for p in INIT_METHOD_PATTERNS)


def is_parameter_free(ctor_last: str, kwargs: dict[str, str]) -> bool:
    """Whether a layer built as `Ctor(**kwargs)` owns no parameters (so DW105, not DW101)."""
    if ctor_last in PARAMETER_FREE_LAYERS or PARAMETER_FREE_ARGUMENTS.match(ctor_last):
        return True
    flag = AFFINE_LAYERS.get(ctor_last)
    if flag is None:
        return False
    value = kwargs.get(flag)
    if value is None:
        return ctor_last in DEFAULT_NON_AFFINE
    return value == "False"

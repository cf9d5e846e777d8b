"""PyTorch itself (and torchvision's layers): the contract every other family builds on."""

from deadweight.conventions._schema import Convention

CONVENTION = Convention(
    module_bases=frozenset({"torch.nn.Module", "torch.nn.modules.module.Module"}),
    # Any capitalised member of torch.nn is a module class when called, bar the ones below.
    module_namespaces=("torch.nn.",),
    not_modules=frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter", "torch.nn.Buffer", "torch.nn.functional"}),
    container_bases=frozenset(
        {
            "torch.nn.Sequential",
            "torch.nn.ModuleList",
            "torch.nn.ModuleDict",
            "torch.nn.modules.container.Sequential",
            "torch.nn.modules.container.ModuleList",
            "torch.nn.modules.container.ModuleDict",
        }
    ),
    containers=frozenset({"ModuleList", "ModuleDict", "Sequential", "ParameterList", "ParameterDict"}),
    entry_points=frozenset({"forward", "__call__"}),
    init_methods=frozenset(
        {
            "__init__",
            "__post_init__",
            "reset_parameters",
            "_reset_parameters",
            "extra_repr",
            "__repr__",
            "__str__",
            "_load_from_state_dict",
            "load_state_dict",
            "state_dict",
        }
    ),
    init_method_patterns=(r"^_?reset_\w*parameters$",),
    parameter_free_layers=frozenset(
        {
            "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
            "StochasticDepth", "Identity", "Flatten", "Unflatten",
            "ReLU", "ReLU6", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
            "Softplus", "ELU", "SELU", "CELU", "LeakyReLU", "Hardswish", "Hardsigmoid", "Hardtanh",
            "GLU", "Tanhshrink", "Softsign",
            "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
            "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
            "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
            "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
            "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d",
            "CosineSimilarity", "PairwiseDistance",
        }
    ),
    affine_layers={
        "LayerNorm": "elementwise_affine",
        "GroupNorm": "affine",
        "InstanceNorm1d": "affine",
        "InstanceNorm2d": "affine",
        "InstanceNorm3d": "affine",
        "BatchNorm1d": "affine",
        "BatchNorm2d": "affine",
        "BatchNorm3d": "affine",
        "RMSNorm": "elementwise_affine",
    },
    default_non_affine=frozenset({"InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"}),
    tensor_factories=frozenset(
        {
            "zeros", "ones", "empty", "full", "randn", "rand", "randint", "arange", "linspace",
            "logspace", "eye", "tensor", "as_tensor", "from_numpy", "zeros_like", "ones_like",
            "empty_like", "full_like", "randn_like", "rand_like", "Tensor", "FloatTensor",
            "LongTensor", "triu", "tril", "stack", "cat",
        }
    ),
    init_functions=frozenset(
        {
            "normal_", "uniform_", "trunc_normal_", "zeros_", "ones_", "constant_",
            "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
            "eye_", "dirac_", "sparse_",
        }
    ),
    init_calls=frozenset(
        {
            "copy_", "fill_", "zero_", "normal_", "uniform_", "requires_grad_", "trunc_normal_", "fill_diagonal_",
            "exponential_", "geometric_", "log_normal_", "cauchy_", "random_", "bernoulli_",
            "reset_parameters", "_reset_parameters", "apply", "register_forward_hook", "register_forward_pre_hook",
            "register_full_backward_hook", "register_backward_hook", "load_state_dict",
        }
    ),
    meta_attrs=frozenset(
        {
            "shape", "dtype", "device", "ndim", "requires_grad", "is_cuda", "is_leaf",
            "in_features", "out_features", "in_channels", "out_channels", "kernel_size", "stride",
            "padding", "dilation", "groups", "num_embeddings", "embedding_dim", "normalized_shape",
            "eps", "padding_idx", "num_features", "training", "p", "inplace", "__class__",
        }
    ),
    meta_methods=frozenset(
        {"size", "dim", "numel", "nelement", "element_size", "get_device", "type", "extra_repr", "is_contiguous", "is_floating_point", "data_ptr"}
    ),
    dynamic_self_attrs=frozenset(
        {
            "children", "named_children", "modules", "named_modules", "parameters", "named_parameters",
            "buffers", "named_buffers", "_modules", "_parameters", "_buffers", "__dict__", "state_dict",
        }
    ),
    external_base_reads=frozenset({"weight", "bias", "running_mean", "running_var", "in_proj_weight", "in_proj_bias"}),
)

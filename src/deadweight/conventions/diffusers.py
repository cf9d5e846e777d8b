"""Hugging Face diffusers: the model mixin every diffusers model subclasses."""

from deadweight.conventions._schema import Convention

CONVENTION = Convention(
    module_bases=frozenset(
        {"diffusers.ModelMixin", "diffusers.models.ModelMixin", "diffusers.models.modeling_utils.ModelMixin"}
    ),
)

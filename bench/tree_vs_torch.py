"""How far `deadweight tree`'s static parameter names are from what torch really builds.

Why: the module tree (`deadweight.model.tree`) is read from the code, never run. Its names are a
superset pattern over configurations (`*` for an index whose count is not a constant, every
conditional weight, every alternative of `A | B`). This bench measures, on real model classes of
timm, transformers and diffusers built with small configs, which `named_parameters()` names the
static patterns miss ("runtime-only") and which non-optional patterns no real name matches
("static-only"). Results and the diagnosis of every mismatch: `docs/tree-accuracy.md`.

Run from the repo root with the dev venv (deadweight installed); the torch part runs as a
subprocess of a second interpreter that has torch, timm, transformers and diffusers::

    /work/venv/bin/python bench/tree_vs_torch.py --out docs/tree-accuracy.md \\
        [--torch-python /work/torchvenv/bin/python] [--corpus /work/corpus] [--only NAME ...]

Parts (each can be run alone, writing JSON): ``--static FILE`` (no torch needed: the static tree
of every class, from the corpus sources) and ``--real FILE`` (torch: each class instantiated on
the meta device, from a config object only; nothing is downloaded).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPORA = {"timm": "timm-1.0.31", "transformers": "transformers-5.24.0", "diffusers": "diffusers-0.42.1"}
TM, TF, DF = "timm/models/", "transformers/models/", "diffusers/models/"


@dataclass(frozen=True)
class Case:
    """One class built with `kwargs`: passed to the constructor, or with `config` (a config class
    of the library) to that config, which the constructor then gets. The same values are the
    static tree's configuration (`--set name=value`, `--set config.name=value`)."""

    lib: str  # key of CORPORA, also the module imported
    path: str  # the class's file, relative to the corpus root
    cls: str
    ctor: str  # the class, as an attribute path from the library's top-level module
    kwargs: dict[str, Any]
    config: str | None = None  # the config class that takes `kwargs` (transformers)
    factory: str | None = None  # built by this library function instead (`create_model`): no configuration read
    first: str | None = None  # a class passed first by position, an attribute path (ResNet's block)

    def build(self, m: Any) -> Any:
        if self.factory is not None:
            return _attr(m, self.factory)(**self.kwargs)
        ctor = _attr(m, self.ctor)
        if self.config is not None:
            return ctor(_attr(m, self.config)(**self.kwargs))
        return ctor(_attr(m, self.first), **self.kwargs) if self.first else ctor(**self.kwargs)

    def settings(self) -> dict[str, str] | None:
        """The configuration as `--set` values; None when a factory builds the model."""
        if self.factory is not None:
            return None
        prefix = "config." if self.config else ""
        return {f"{prefix}{k}": repr(v) for k, v in self.kwargs.items()}


def _attr(m: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        m = getattr(m, part)
    return m


UNET = {"block_out_channels": (8, 16), "layers_per_block": 1, "norm_num_groups": 4}
VIT = {"img_size": 32, "patch_size": 8, "embed_dim": 16, "depth": 2, "num_heads": 2, "num_classes": 10}
SEQ2SEQ = {
    "vocab_size": 100,
    "d_model": 16,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": 32,
    "decoder_ffn_dim": 32,
}
DECODER = {
    "vocab_size": 100,
    "hidden_size": 16,
    "intermediate_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
}
BERTLIKE = {
    "vocab_size": 100,
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 32,
    "max_position_embeddings": 64,
}

CASES: list[Case] = [
    Case("timm", TM + "vision_transformer.py", "VisionTransformer", "models.vision_transformer.VisionTransformer", VIT),
    Case("timm", TM + "deit.py", "VisionTransformerDistilled", "models.deit.VisionTransformerDistilled", VIT),
    Case("timm", TM + "resnet.py", "ResNet", "models.resnet.ResNet", {"layers": [1, 1, 1, 1], "num_classes": 10}, first="models.resnet.BasicBlock"),
    Case("timm", TM + "convnext.py", "ConvNeXt", "models.convnext.ConvNeXt", {"depths": (1, 1, 1, 1), "dims": (8, 16, 32, 64), "num_classes": 10}),
    Case("timm", TM + "efficientnet.py", "EfficientNet", "", {"model_name": "efficientnet_b0", "pretrained": False, "num_classes": 10}, factory="create_model"),
    Case("timm", TM + "swin_transformer.py", "SwinTransformer", "models.swin_transformer.SwinTransformer", {"img_size": 32, "patch_size": 4, "window_size": 4, "embed_dim": 16, "depths": (1, 1), "num_heads": (2, 2), "num_classes": 10}),
    Case("timm", TM + "mlp_mixer.py", "MlpMixer", "models.mlp_mixer.MlpMixer", {"num_classes": 10, "img_size": 32, "patch_size": 8, "num_blocks": 2, "embed_dim": 16}),
    Case("transformers", TF + "bert/modeling_bert.py", "BertModel", "BertModel", BERTLIKE, config="BertConfig"),
    Case("transformers", TF + "roberta/modeling_roberta.py", "RobertaModel", "RobertaModel", BERTLIKE, config="RobertaConfig"),
    Case("transformers", TF + "distilbert/modeling_distilbert.py", "DistilBertModel", "DistilBertModel", {"vocab_size": 100, "dim": 16, "n_layers": 2, "n_heads": 2, "hidden_dim": 32, "max_position_embeddings": 64}, config="DistilBertConfig"),
    Case("transformers", TF + "gpt2/modeling_gpt2.py", "GPT2Model", "GPT2Model", {"vocab_size": 100, "n_positions": 64, "n_embd": 16, "n_layer": 2, "n_head": 2}, config="GPT2Config"),
    Case("transformers", TF + "llama/modeling_llama.py", "LlamaModel", "LlamaModel", {"vocab_size": 100, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1}, config="LlamaConfig"),
    Case("transformers", TF + "t5/modeling_t5.py", "T5Model", "T5Model", {"vocab_size": 100, "d_model": 16, "d_kv": 8, "d_ff": 32, "num_layers": 2, "num_heads": 2}, config="T5Config"),
    Case("transformers", TF + "bart/modeling_bart.py", "BartModel", "BartModel", {**SEQ2SEQ, "max_position_embeddings": 64}, config="BartConfig"),
    Case("transformers", TF + "vit/modeling_vit.py", "ViTModel", "ViTModel", {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32, "image_size": 32, "patch_size": 8}, config="ViTConfig"),
    Case("transformers", TF + "clip/modeling_clip.py", "CLIPTextModel", "CLIPTextModel", BERTLIKE, config="CLIPTextConfig"),
    Case("transformers", TF + "whisper/modeling_whisper.py", "WhisperEncoder", "models.whisper.modeling_whisper.WhisperEncoder", {**SEQ2SEQ, "num_mel_bins": 8, "max_source_positions": 32}, config="WhisperConfig"),
    Case("transformers", TF + "electra/modeling_electra.py", "ElectraModel", "ElectraModel", {**BERTLIKE, "embedding_size": 8}, config="ElectraConfig"),
    Case("transformers", TF + "albert/modeling_albert.py", "AlbertModel", "AlbertModel", {**BERTLIKE, "embedding_size": 8}, config="AlbertConfig"),
    Case("transformers", TF + "xlm_roberta/modeling_xlm_roberta.py", "XLMRobertaModel", "XLMRobertaModel", BERTLIKE, config="XLMRobertaConfig"),
    Case("transformers", TF + "deberta_v2/modeling_deberta_v2.py", "DebertaV2Model", "DebertaV2Model", BERTLIKE, config="DebertaV2Config"),
    Case("transformers", TF + "opt/modeling_opt.py", "OPTModel", "OPTModel", {"vocab_size": 100, "hidden_size": 16, "num_hidden_layers": 2, "ffn_dim": 32, "num_attention_heads": 2, "max_position_embeddings": 64, "word_embed_proj_dim": 16}, config="OPTConfig"),
    Case("transformers", TF + "mistral/modeling_mistral.py", "MistralModel", "MistralModel", {**DECODER, "num_key_value_heads": 1}, config="MistralConfig"),
    Case("transformers", TF + "qwen2/modeling_qwen2.py", "Qwen2Model", "Qwen2Model", {**DECODER, "num_key_value_heads": 1}, config="Qwen2Config"),
    Case("transformers", TF + "gemma/modeling_gemma.py", "GemmaModel", "GemmaModel", {**DECODER, "num_key_value_heads": 1, "head_dim": 8}, config="GemmaConfig"),
    Case("transformers", TF + "phi/modeling_phi.py", "PhiModel", "PhiModel", DECODER, config="PhiConfig"),
    Case("transformers", TF + "gpt_neox/modeling_gpt_neox.py", "GPTNeoXModel", "GPTNeoXModel", DECODER, config="GPTNeoXConfig"),
    Case("transformers", TF + "bloom/modeling_bloom.py", "BloomModel", "BloomModel", {"vocab_size": 100, "hidden_size": 16, "n_layer": 2, "n_head": 2}, config="BloomConfig"),
    Case("timm", TM + "cait.py", "Cait", "models.cait.Cait", {**VIT, "depth_token_only": 1}),
    Case("timm", TM + "beit.py", "Beit", "models.beit.Beit", VIT),
    Case("timm", TM + "eva.py", "Eva", "models.eva.Eva", VIT),
    Case("timm", TM + "xcit.py", "Xcit", "models.xcit.Xcit", VIT),
    Case("diffusers", DF + "autoencoders/vq_model.py", "VQModel", "VQModel", {"down_block_types": ("DownEncoderBlock2D",) * 2, "up_block_types": ("UpDecoderBlock2D",) * 2, "latent_channels": 4, **UNET}),
    Case("diffusers", DF + "transformers/prior_transformer.py", "PriorTransformer", "PriorTransformer", {"num_attention_heads": 2, "attention_head_dim": 8, "num_layers": 2, "embedding_dim": 16, "num_embeddings": 4, "additional_embeddings": 4}),
    Case("diffusers", DF + "unets/unet_2d.py", "UNet2DModel", "UNet2DModel", {"sample_size": 16, "down_block_types": ("DownBlock2D", "AttnDownBlock2D"), "up_block_types": ("AttnUpBlock2D", "UpBlock2D"), "attention_head_dim": 4, **UNET}),
    Case("diffusers", DF + "unets/unet_2d_condition.py", "UNet2DConditionModel", "UNet2DConditionModel", {"sample_size": 16, "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"), "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"), "cross_attention_dim": 16, "attention_head_dim": 4, **UNET}),
    Case("diffusers", DF + "autoencoders/autoencoder_kl.py", "AutoencoderKL", "AutoencoderKL", {"down_block_types": ("DownEncoderBlock2D",) * 2, "up_block_types": ("UpDecoderBlock2D",) * 2, "latent_channels": 4, **UNET}),
    Case("diffusers", DF + "controlnets/controlnet.py", "ControlNetModel", "ControlNetModel", {"down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"), "cross_attention_dim": 16, "attention_head_dim": 4, "conditioning_embedding_out_channels": (4, 8), **UNET}),
    Case("diffusers", DF + "transformers/dit_transformer_2d.py", "DiTTransformer2DModel", "DiTTransformer2DModel", {"num_attention_heads": 2, "attention_head_dim": 8, "in_channels": 4, "num_layers": 2, "sample_size": 8, "patch_size": 2, "num_embeds_ada_norm": 10}),
    Case("diffusers", DF + "transformers/transformer_sd3.py", "SD3Transformer2DModel", "SD3Transformer2DModel", {"sample_size": 8, "patch_size": 2, "in_channels": 4, "num_layers": 2, "attention_head_dim": 8, "num_attention_heads": 2, "joint_attention_dim": 16, "caption_projection_dim": 16, "pooled_projection_dim": 16, "out_channels": 4, "pos_embed_max_size": 16}),
    Case("diffusers", DF + "transformers/transformer_flux.py", "FluxTransformer2DModel", "FluxTransformer2DModel", {"patch_size": 1, "in_channels": 4, "num_layers": 1, "num_single_layers": 1, "attention_head_dim": 8, "num_attention_heads": 2, "joint_attention_dim": 16, "pooled_projection_dim": 16, "axes_dims_rope": (2, 2, 4)}),
]  # fmt: skip

# Why a name is missed, by mechanism. Each runtime-only name is classified from the static node
# where the tree stops on the way to it (`where`), or by an override below; the texts and the
# overrides were written after reading the corpus sources and `deadweight/model/tree.py`.
MECHANISMS = {
    "class-arg": "the submodule's class is an argument the tree cannot bind to a class: passed by the caller from a local the tree cannot resolve (ConvNeXt's stages and head get `norm_layer=norm_layer`, one of a tuple a helper returns: `norm_layer, norm_layer_cl = _get_norm_layers(...)`), `partial(A if c else B, ...)` (ConvNeXt's `mlp_layer`), or a class a helper looks up (EfficientNet's `get_norm_act_layer(norm_layer, act_layer)`); the node has no members",
    "helper": "a helper whose result the tree does not follow: a builder object whose `__call__` returns the stages (EfficientNet's `builder(...)`). Followed since session 23: a tuple unpacked from a helper (`self.global_pool, self.fc = create_classifier(...)`, directly or through locals), a helper re-exported by a package `__init__`, and a helper returning a local bound in branches to another helper's result in its own module (`create_conv2d` -> `m = create_conv2d_pad(...)`)",
    "nonliteral-kwarg": "a torch layer whose argument deciding its keys is not a literal (`nn.Linear(..., bias=config.attention_bias)`, `bias=bias`, `RMSNorm(..., elementwise_affine=...)`): `torch_layer_keys` gives up instead of listing the keys with the optional one marked",
    "loop-container": "a container filled by code, not by its constructor's literal items: `nn.ModuleList([])` then `.append(...)` in a loop, or `nn.Sequential(*stages)` / `nn.ModuleList(resnets)` of a list built by `append`/`+=`: the element classes are not read",
    "add-module": "submodules registered with `self.add_module(name, module)` in a loop (ResNet's `layer1`..`layer4` from `make_blocks`): no attribute assignment, so the tree has no node at all",
    "external-base": "a repo class that subclasses a torch layer (`class BartScaledWordEmbedding(nn.Embedding)`): the tree lists the subclass's own members, not the torch base's parameters (`weight`)",
    "branch-container": "an `if`/`else` that assigns a container in one branch and a plain layer or another container in the other (ResNet's `conv1`: `nn.Sequential(*[...])` or `nn.Conv2d`; ConvNeXt's `stem`: `nn.Sequential(conv, norm)` or `nn.Sequential(*filter(None, [...]))`): the tree reads one container write and drops the other alternative",
    "alt-merge": "alternatives (`AdaLayerNorm | AdaLayerNormZero | ...`) with a same-named member of different classes (`emb`: `nn.Embedding` in one, `CombinedTimestepLabelEmbeddings` in the other): the merge keeps the first alternative's member by name and drops the other's subtree",
    "tied": "weight tying, not a wrong pattern: T5Stack builds its own `embed_tokens = nn.Embedding(...)` (the tree is right about the module), then `post_init()` ties it to `shared.weight` as `_tied_weights_keys` says; the Parameter is then one object and `named_parameters()` lists it once, under `shared` (`state_dict()` still has both keys)",
}
HELPERS = {"create_classifier", "create_conv2d", "get_mid_block", "builder"}
OVERRIDES = {  # (class, static node or top-level attribute) -> mechanism
    ("BartModel", "shared"): "external-base",
    ("BartModel", "encoder.embed_positions"): "external-base",
    ("BartModel", "decoder.embed_positions"): "external-base",
    ("ResNet", "conv1"): "branch-container",
    ("ConvNeXt", "stem.*"): "branch-container",
    ("DiTTransformer2DModel", "transformer_blocks.*.norm1.emb"): "alt-merge",
    ("ControlNetModel", "controlnet_cond_embedding"): "helper",  # `conv_out = zero_module(...)`
    ("ControlNetModel", "controlnet_mid_block"): "helper",
    ("SwinTransformer", "head"): "helper",  # ClassifierHead: `self.global_pool, fc = create_classifier(...)`
    ("T5Model", "encoder.embed_tokens.weight"): "tied",
    ("T5Model", "decoder.embed_tokens.weight"): "tied",
}


NOTES = [
    "How: the static part links each corpus directory as the project root (`deadweight.api.link`),",
    "finds the class in the named file (`find_classes`) and walks `build_tree` as `dotted_names` does;",
    "a name is *optional* when a node on its path has a `condition` or an `A | B` constructor. The",
    'torch part builds each class under `with torch.device("meta"):` from a config object or',
    "constructor arguments only (no hub access; `HF_HUB_OFFLINE=1`) and lists `named_parameters()`",
    "(which lists a tied Parameter once). The torchvision wheels reachable here are CUDA builds whose",
    "`_C` cannot load beside a CPU torch, so the torch part skips torchvision's fake-op registrations",
    "on import; only its pure-Python layers are used (timm's `FrozenBatchNorm2d` import).",
    "",
    "Reading it: every runtime-only name is classified by the static node where the tree stops on the",
    "way to it (the deepest node whose pattern matches a prefix of the name) and what that node is",
    "(`where()` / `mechanism()` in the script, with a few overrides checked by hand against the",
    "sources). A miss high in the tree (a block class that is an argument, a container filled in a",
    "loop) hides every name below it, so the counts weigh mechanisms by the size of what they hide,",
    "not by how often they occur in the code. Besides a `condition` and an `A | B` constructor, a",
    "name is optional when the tree marks it `tied_to` another key (a literal `_tied_weights_keys`",
    "map: T5's and BART's `encoder.embed_tokens.weight` is `shared.weight` after the tie, and",
    "torch lists a tied Parameter once, under `shared`); an item appended under an `if` (T5's",
    "`EncDecAttention`, appended only when `is_decoder`) carries that condition.",
    "",
    "Exact is a statement about a superset: the diffusers UNets, the VAE and the ControlNet are",
    "exact with most of their patterns optional, because `get_down_block(...)` / `get_up_block(...)`",
    "return one of about a dozen block classes chosen by a string argument, and the tree lists every",
    "alternative's members (`down_blocks.*` is `get_down_block -> DownBlock2D | AttnDownBlock2D | ...`).",
    "Which alternative a configuration builds is not read (`down_block_types` is a constructor",
    "argument), so those names are possible, not promised.",
]


def _optional(node: Any) -> bool:
    """Created only under a condition, one of alternatives, or tied to another key (listed by
    `named_parameters()` under that other name when the tie is made)."""
    return node.condition is not None or " | " in (node.ctor or "") or getattr(node, "tied_to", None) is not None


def _walk(n: Any, prefix: str, opt: bool, names: dict[str, bool], nodes: dict[str, dict[str, Any]]) -> None:
    """`dotted_names`' walk, keeping whether a name is optional, and every node."""
    for c in n.children:
        name, o = f"{prefix}{c.name}", opt or _optional(c)
        if c.kind == "parameter":
            names[name] = o
        nodes[name] = {"kind": c.kind, "ctor": c.ctor, "note": c.note, "kids": len(c.children)}
        _walk(c, name + ".", o, names, nodes)


def _tied(n: Any, prefix: str = "") -> list[str]:
    """Names `named_parameters()` does not list: parameters tied to another key, listed once
    under that key."""
    out = []
    for c in n.children:
        name = f"{prefix}{c.name}"
        if c.kind == "parameter" and c.tied_to is not None:
            out.append(name)
        out.extend(_tied(c, name + "."))
    return out


def static_part(corpus: Path, cache: Path, only: set[str]) -> dict[str, Any]:
    """Each case's static tree: its dotted names with "optional", and its opaque nodes."""
    from deadweight.api import link
    from deadweight.model.inspect import find_classes
    from deadweight.model.tree import build_tree, dotted_names
    from deadweight.settings import Settings

    out: dict[str, Any] = {}
    for lib, dirname in CORPORA.items():
        cases = [c for c in CASES if c.lib == lib and (not only or c.cls in only)]
        if not cases:
            continue
        root = corpus / dirname
        settings = Settings(project_root=str(root), jobs=2, cache_dir=str(cache / dirname))
        ctx, _ = link([root], settings)
        for case in cases:
            found = find_classes(ctx.project, case.path, case.cls)
            if len(found) != 1:
                out[case.cls] = {"error": f"{len(found)} classes `{case.cls}` in {case.path}"}
                continue
            start = time.monotonic()
            tree = build_tree(ctx.project, ctx.reach, found[0])
            names: dict[str, bool] = {}
            nodes: dict[str, dict[str, Any]] = {}
            _walk(tree, "", False, names, nodes)
            assert list(names) == dotted_names(tree), case.cls  # the same walk as deadweight's
            out[case.cls] = {"names": names, "nodes": nodes, "seconds": round(time.monotonic() - start, 2)}
            given = case.settings()
            if given is not None:  # the same configuration the torch part builds
                configured = build_tree(ctx.project, ctx.reach, found[0], given)
                c_names: dict[str, bool] = {}
                _walk(configured, "", False, c_names, {})
                tied = set(_tied(configured))
                out[case.cls]["configured"] = {n: o for n, o in c_names.items() if n not in tied}
    return out


def real_part(only: set[str]) -> dict[str, Any]:
    """Each case built on the meta device: its `named_parameters()` and its modules' classes."""
    import importlib
    from importlib.metadata import version

    torch = importlib.import_module("torch")  # not in the dev venv: imported by name, typed Any

    # The torchvision wheels reachable here are CUDA builds whose `_C` does not load with a CPU
    # torch; its fake-op registrations would then fail at import. Only its pure-Python layers
    # are needed (timm imports `FrozenBatchNorm2d`), so the registrations are skipped.
    register_fake = torch.library.register_fake
    torch.library.register_fake = lambda *a, **k: lambda fn: fn
    try:
        importlib.import_module("torchvision")
    finally:
        torch.library.register_fake = register_fake

    out: dict[str, Any] = {"_versions": {k: version(k) for k in ("torch", "torchvision", *CORPORA)}}
    for case in CASES:
        if only and case.cls not in only:
            continue
        try:
            with torch.device("meta"):
                model = case.build(importlib.import_module(case.lib))
        except Exception as e:  # recorded, not dropped
            out[case.cls] = {"error": f"{type(e).__name__}: {e}"[:300]}
            continue
        modules = {n: type(m).__name__ for n, m in model.named_modules()}
        out[case.cls] = {
            "names": [n for n, _ in model.named_parameters()],
            "modules": modules,
            "class": type(model).__name__,
        }
    return out


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(re.escape(pattern).replace(r"\*", r"\d+"))


def collapse(names: list[str]) -> list[str]:
    """`a.0.b`, `a.1.b` -> `a.*.b (×2)`: every name, indices folded."""
    counts = Counter(re.sub(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.)", "*", n) for n in names)
    return [f"{k} (×{v})" if v > 1 else k for k, v in counts.items()]


def compare(static: dict[str, Any], real: dict[str, Any]) -> dict[str, Any]:
    patterns = {p: _regex(p) for p in static["names"]}
    runtime_only = [n for n in real["names"] if not any(r.fullmatch(n) for r in patterns.values())]
    static_only = [
        p for p, r in patterns.items() if not static["names"][p] and not any(r.fullmatch(n) for n in real["names"])
    ]
    # optional patterns this configuration does not build: the tree names them as possible only
    unbuilt = [p for p, r in patterns.items() if static["names"][p] and not any(r.fullmatch(n) for n in real["names"])]
    return {"runtime_only": runtime_only, "static_only": static_only, "unbuilt": unbuilt}


def compare_configured(configured: dict[str, bool], real: list[str]) -> dict[str, Any]:
    """The configured tree against `named_parameters()`: equal when every real name matches a
    pattern and every pattern (decided or not) a real name."""
    patterns = {p: _regex(p) for p in configured}
    missing = [n for n in real if not any(r.fullmatch(n) for r in patterns.values())]
    extra = [p for p, r in patterns.items() if not any(r.fullmatch(n) for n in real)]
    decided = [p for p in extra if not configured[p]]  # the tree says "built" and torch did not build it
    return {"missing": missing, "extra": extra, "open": sum(configured.values()), "decided": decided}


def where(name: str, static: dict[str, Any], modules: dict[str, str]) -> tuple[str, dict[str, Any] | None, str]:
    """The deepest static node on the way to a runtime-only name, and the class torch built there."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        key = next((k for k in static["nodes"] if _regex(k).fullmatch(prefix)), None)
        if key is not None:
            return key, static["nodes"][key], modules.get(prefix, "?")
    return parts[0], None, modules.get(parts[0], "?")


def mechanism(cls: str, key: str, node: dict[str, Any] | None) -> str:
    if (cls, key) in OVERRIDES:
        return OVERRIDES[cls, key]
    if node is None:
        return "add-module"
    ctor, note = node["ctor"] or "", node["note"] or ""
    if node["kind"] == "container" and ("items are not read" in note or not node["kids"]):
        return "loop-container"
    if ctor.split(".")[0] in ("nn", "torch") and "not known" in note:
        return "nonliteral-kwarg"
    if any(a in HELPERS for a in ctor.split(" | ")):
        return "helper"
    if any(a[:1].islower() and "." not in a for a in ctor.split(" | ")):
        return "class-arg"
    return "undiagnosed"


def report(static: dict[str, Any], real: dict[str, Any], command: str, versions: str) -> str:
    rows, details = [], []
    configured_rows: list[str] = []
    configured_details: list[str] = []
    affected: dict[str, dict[str, int]] = {}  # mechanism -> class -> mismatched names
    for case in CASES:
        s, r = static.get(case.cls), real.get(case.cls)
        if s is None or r is None:
            continue
        if "error" in s or "error" in r:
            why = "; ".join(f"{k}: {x['error']}" for k, x in (("static", s), ("torch", r)) if "error" in x)
            rows.append(f"| {case.lib} | `{case.cls}` | – | – | – | – | – | not run: {why} |")
            continue
        c = compare(s, r)
        ro, so, unbuilt = c["runtime_only"], c["static_only"], c["unbuilt"]
        exact = ("exact, equal" if not unbuilt else "exact") if not ro and not so else "no"
        rows.append(
            f"| {case.lib} | `{case.cls}` | {len(r['names'])} | {len(s['names'])} | {sum(s['names'].values())} "
            f"| {len(unbuilt)} | {len(ro)} | {len(so)} | {exact} |"
        )
        if "configured" not in s:
            configured_rows.append(
                f"| {case.lib} | `{case.cls}` | {len(r['names'])} | – | – | – | – | – | not read: built by `{case.factory}` |"
            )
        else:
            k = compare_configured(s["configured"], r["names"])
            verdict = "equal" if not k["missing"] and not k["extra"] else "no"
            configured_rows.append(
                f"| {case.lib} | `{case.cls}` | {len(r['names'])} | {len(s['configured'])} | {k['open']} "
                f"| {len(k['missing'])} | {len(k['extra'])} | {len(k['decided'])} | {verdict} |"
            )
            if verdict != "equal":
                configured_details.append(f"### {case.cls}\n")
                for label, names in (
                    ("In torch, not in the tree", k["missing"]),
                    ("In the tree, not in torch", k["extra"]),
                ):
                    if names:
                        shown = collapse(names)
                        more = f", and {len(shown) - 24} more patterns" if len(shown) > 24 else ""
                        configured_details.append(
                            f"- {label} ({len(names)}): " + ", ".join(f"`{x}`" for x in shown[:24]) + more
                        )
                configured_details.append("")
        if exact.startswith("exact"):
            continue
        details.append(f"### {case.cls} (`{case.path}`)\n")
        for label, names in (("Runtime-only", ro), ("Static-only", so)):
            if names:
                details.append(f"{label}: {len(names)}\n")
            groups: dict[str, dict[str, list[str]]] = {}
            for n in names:
                if label == "Static-only":
                    key, node, built = n, None, ""
                    mech = OVERRIDES.get((case.cls, n), "undiagnosed")
                else:
                    key, node, built = where(n, s, r["modules"])
                    mech = mechanism(case.cls, key, node)
                    ctor = f"`{node['ctor']}`" if node else "no node"
                    key = f"static `{key}` ({ctor}; torch built `{built}`)"
                groups.setdefault(mech, {}).setdefault(key, []).append(n)
                affected.setdefault(mech, {}).setdefault(case.cls, 0)
                affected[mech][case.cls] += 1
            for mech, by_key in groups.items():
                details.append(f"- **{mech}**")
                for key, ns in by_key.items():
                    details.append(f"  - {key}: " + ", ".join(f"`{x}`" for x in collapse(ns)))
            details.append("")
    summary = ["| mechanism | classes | names | what is missing |", "|---|---:|---:|---|"]
    for mech, by_cls in sorted(affected.items(), key=lambda kv: -len(kv[1])):
        what = MECHANISMS.get(mech, "not classified")
        what = what.replace("|", "\\|")
        summary.append(f"| {mech} | {len(by_cls)} | {sum(by_cls.values())} | {what}; in {', '.join(by_cls)} |")
    head = [
        "# Static module tree vs `named_parameters()`",
        "",
        "Generated by `bench/tree_vs_torch.py` (see its docstring); do not edit the tables by hand.",
        "",
        f"Command: `{command}`",
        "",
        f"Versions: {versions}",
        "",
        *NOTES,
        "",
        "A real name matches a static pattern when equal after each `*` becomes `\\d+`. Runtime-only:",
        "real names no pattern matches (static misses). Static-only: non-optional patterns (not under",
        "a `condition`, not under an `A | B` alternative) that no real name matches. Not built: optional",
        "patterns that no real name matches, names the tree gives as possible in some configuration",
        "that this one does not build (which configuration builds them is not evaluated).",
        "*exact, equal*: exact, and no optional pattern left unbuilt, so the static names are the",
        "real ones; *exact*: every real name is found and every certain pattern is real.",
        "",
        "| library | class | real params | static patterns | of them optional | not built | runtime-only | static-only | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    ran = [r for r in rows if "not run" not in r]
    exact_n = sum("| exact" in r for r in ran)
    equal_n = sum("| exact, equal |" in r for r in ran)
    total = f"{len(ran)} classes ran, {exact_n} exact, of them {equal_n} also equal; {len(rows) - len(ran)} not run."
    by_mech = ["## Mismatches by mechanism", "", total, "", *summary, ""]
    equal_c = sum(r.endswith("| equal |") for r in configured_rows)
    configured = [
        "## The tree of the configuration torch built",
        "",
        "`build_tree(..., settings)` (`deadweight tree PATH::CLASS --set name=value`, config fields as",
        "`--set config.name=value`) with the values each class is built with above: conditions,",
        "branches, torch layers' optional keys and counts that those values decide are decided, in",
        "every nested class from what its holder passes (`model/configured.py`). *Equal*: every real",
        "name matches a name of that tree and every name of it a real one (a parameter tied to another",
        "key is left out, as `named_parameters()` lists it once). *Open*: names still under a",
        "condition or an alternative the configuration does not decide. *Missing*: real names no",
        "name of the tree matches (the static misses above, or a decided branch whose items are",
        "not read where the other alternative's `*` pattern matched them). *Extra, decided*: names the",
        "tree gives as built for sure that torch did not build: a wrong decision (should be 0).",
        "",
        f"{equal_c} of {len(configured_rows)} classes equal.",
        "",
        "| library | class | real params | configured names | of them open | missing | extra | extra, decided | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
        *configured_rows,
        "",
        *(["### Configured mismatches", "", *configured_details] if configured_details else []),
    ]
    return "\n".join([*head, *rows, "", *configured, *by_mech, "## Mismatches per class", "", *details])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, help="write the markdown report here (default: stdout)")
    p.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    p.add_argument("--torch-python", default="/work/torchvenv/bin/python")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "deadweight-tree-bench-cache")
    p.add_argument("--only", nargs="*", default=[], help="class names to run (default: all)")
    p.add_argument("--static", type=Path, help="only the static part, as JSON to this file")
    p.add_argument("--real", type=Path, help="only the torch part, as JSON to this file")
    p.add_argument("--keep", type=Path, help="also keep both parts' JSON in this directory")
    a = p.parse_args()
    only = set(a.only)
    if a.real:
        a.real.write_text(json.dumps(real_part(only), indent=1))
        return
    if a.static:
        a.static.write_text(json.dumps(static_part(a.corpus, a.cache, only), indent=1))
        return
    with tempfile.TemporaryDirectory() as tmp:
        real_json = Path(tmp) / "real.json"
        cmd = [a.torch_python, __file__, "--real", str(real_json), "--only", *a.only]
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PYTHONWARNINGS": "ignore",
            "TRANSFORMERS_VERBOSITY": "error",
        }
        torch_run = subprocess.Popen(cmd, env=env)  # in parallel with the static part
        static = static_part(a.corpus, a.cache, only)
        if torch_run.wait() != 0:
            sys.exit(f"the torch part failed: {cmd}")
        real = json.loads(real_json.read_text())
        from importlib.metadata import version

        versions_text = (
            ", ".join(f"{k} {v}" for k, v in real.pop("_versions").items())
            + f"; deadweight {version('deadweight')} (static part on `{', '.join(CORPORA.values())}` sources)"
        )
        if a.keep:
            a.keep.mkdir(parents=True, exist_ok=True)
            (a.keep / "static.json").write_text(json.dumps(static, indent=1))
            (a.keep / "real.json").write_text(real_json.read_text())
    command = "python bench/tree_vs_torch.py " + " ".join(sys.argv[1:])
    text = report(static, real, command, versions_text) + "\n"
    if a.out:
        a.out.write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()

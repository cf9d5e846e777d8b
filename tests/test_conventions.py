"""Exact findings on fixtures/conventions/: model-zoo conventions that once caused false
positives (hard negatives), each paired where it makes sense with a near miss that must still
be reported, so a fix for the false positive cannot silently remove recall.

Each fixture is analyzed as its own project (as `deadweight check fixtures/conventions/<name>`
would), at every confidence level, with only the DW1xx rules selected so the registration,
configuration and dataflow families cannot interfere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deadweight.api import check
from deadweight.settings import Settings

CONVENTIONS = Path(__file__).resolve().parents[1] / "fixtures" / "conventions"

Row = tuple[str, str, int, str, str, str]  # (code, path in fixture, line, class, attribute, confidence)

EXPECTED: dict[str, set[Row]] = {
    # nn.Sequential's forward runs its add_module children; a plain Module does not.
    "sequential_subclass": {("DW101", "stem.py", 21, "ConvStemModule", "norm1", "high")},
    # forward -> HOOKS["mlp"](self, x) -> mlp_default reads fc1 (getattr) and fc2.
    "default_hook_function": {("DW101", "mlp.py", 35, "SkipMLP", "fc1", "high")},
    # self.rope passed to Block(rope=self.rope if flag else None) inside a ModuleList.
    "shared_with_child": {("DW101", "encoder.py", 47, "NoShareEncoder", "rope", "high")},
    # out.mul_(self.gain) uses gain; nn.init.zeros_(self.other) in _init_weights does not.
    "inplace_op_argument": {("DW102", "scale.py", 14, "Scaled", "other", "high")},
    # origin = self; origin.rope(q).
    "self_alias": {("DW101", "attn.py", 23, "AliasOnlyQkv", "rope", "high")},
    # self.conv = conv; self.Conv2d_0 = conv (same object) vs two distinct convs.
    "attribute_alias": {("DW101", "unet.py", 24, "TwoConvs", "Conv2d_0", "high")},
    # `_tied_weights_keys` ties predictions.bias to predictions.decoder.bias after loading.
    "tied_weights": {("DW101", "heads.py", 13, "LMPredictionHead", "unused_scale", "high")},
    # partial(fn, matrix_a=self.dft_seq, ...) in a builder __init__ calls; only .shape of dft_spare.
    "partial_in_builder": {("DW104", "fourier.py", 19, "FourierMixer", "dft_spare", "high")},
    # super().forward() into nn.Embedding reads self.weight; the extra scale is never applied.
    "super_into_torch_layer": {("DW101", "embedding.py", 11, "ScaledEmbedding", "scale", "high")},
    # nn.Module.__init__(self) skips the base __init__ (no weight to drop); a plain subclass drops it.
    "base_init_skipped": {("DW103", "losses.py", 11, "ForgetfulLoss", "empty_weight", "high")},
    # self.weight = self.W; del self.W.
    "deleted_after_alias": set(),
    # ModuleDict filled in a loop, called through a plain list of the same modules.
    "registration_container": {
        ("DW101", "extractor.py", 10, "FeatureExtractor", "feature_modules", "low"),
    },
    # A Module with no forward that only holds layers for its state_dict.
    "no_entry_point_container": {("DW101", "holder.py", 11, "LayerHolder", "layers", "low")},
    # register_buffer("_anchor", torch.empty(0), persistent=False) read only as .device.
    "device_anchor": {("DW104", "anchor.py", 10, "Sampler", "_anchor", "low")},
    # self.dropout.p passed to an attention function vs a dropout nothing reads.
    "dropout_probability": {("DW105", "attn.py", 28, "PlainAttention", "dropout", "high")},
    # @rope_update wrapper -> _refresh(self, x) reads original_inv_freq (nn.Buffer and
    # register_buffer); an undecorated forward leaves it unread.
    "decorator_wrapper": {
        (
            "DW101",
            "rotary.py",
            51,
            "PlainRotary",
            "original_inv_freq",
            "low",
        ),  # non-persistent buffer: no checkpoint key at stake
    },
    # del self.encoder_attn in the subclass vs an override that just stops using it.
    "subclass_del": {("DW103", "layers.py", 12, "ForgetfulLayer", "encoder_attn", "high")},
    # modular_foo.py is skipped (modeling_foo.py exists); modular_baz.py has no sibling.
    "modular_generated": {("DW103", "bar/modeling_bar.py", 9, "BazLayer", "gate", "high")},
    # norm_layer=nn.LayerNorm, act_layer=nn.GELU constructor arguments, never applied.
    "layer_class_argument": {
        ("DW101", "block.py", 13, "Block", "norm", "medium"),
        ("DW105", "block.py", 14, "Block", "act", "medium"),
    },
    # self.act = ACT2FN[config.hidden_act] (a repo dict of activation modules).
    "activation_registry": {("DW105", "mlp.py", 11, "UnusedActMLP", "act", "high")},
}


def findings(name: str) -> set[Row]:
    root = CONVENTIONS / name
    settings = Settings(select=("DW1",), min_confidence="low", use_cache=False, jobs=1, project_root=str(root))
    result = check([root], settings)
    assert result.errors == []
    return {(f.code, f.path, f.line, f.class_name, f.attribute, f.confidence) for f in result.findings}


def test_every_convention_fixture_is_listed() -> None:
    assert {p.name for p in CONVENTIONS.iterdir() if p.is_dir()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_convention_findings(name: str) -> None:
    assert findings(name) == EXPECTED[name]


def test_modular_file_would_be_reported_without_its_generated_sibling(tmp_path: Path) -> None:
    """The FooLayer silence comes from the skip, not from a blind spot: drop modeling_foo.py and
    the modular FooLayer is judged like BazLayer."""
    import shutil

    root = tmp_path / "modular_generated"
    shutil.copytree(CONVENTIONS / "modular_generated", root)
    (root / "foo" / "modeling_foo.py").unlink()
    settings = Settings(select=("DW1",), min_confidence="low", use_cache=False, jobs=1, project_root=str(root))
    result = check([root], settings)
    got = {(f.code, f.path, f.line, f.class_name, f.attribute, f.confidence) for f in result.findings}
    assert got == {
        ("DW103", "bar/modeling_bar.py", 9, "BazLayer", "gate", "high"),
        ("DW103", "bar/modeling_bar.py", 9, "FooLayer", "gate", "high"),
    }

"""`deadweight tree`: the module tree and the parameter names it yields, read without running
anything, and (where torch is installed) equal to what torch's `named_parameters()` lists."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from deadweight.api import link
from deadweight.cli import main
from deadweight.model.inspect import find_classes
from deadweight.model.tree import build_tree, dotted_names
from deadweight.settings import Settings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tree"

STATIC_NAMES = [
    "cls_token",
    "blocks.*.norm.weight",
    "blocks.*.norm.bias",
    "blocks.*.attn.qkv.weight",
    "blocks.*.attn.q_norm.weight",
    "blocks.*.attn.q_norm.bias",
    "blocks.*.attn.proj.weight",
    "blocks.*.attn.proj.bias",
    "blocks.*.stats.weight",
    "blocks.*.stats.bias",
    "dist_head.weight",
    "dist_head.bias",
    "head.weight",
    "head.bias",
]


def _tree(name: str = "TinyViT"):  # type: ignore[no-untyped-def]
    settings = Settings(use_cache=False, jobs=1, project_root=str(FIXTURE))
    ctx, _ = link([FIXTURE], settings)
    (info,) = find_classes(ctx.project, "vit.py", name)
    return build_tree(ctx.project, ctx.reach, info)


STEM_NAMES = [
    "seq.0.weight",
    "seq.0.bias",
    "seq.2.norm.weight",
    "seq.2.norm.bias",
    "seq.2.attn.qkv.weight",
    "seq.2.attn.q_norm.weight",
    "seq.2.attn.q_norm.bias",
    "seq.2.attn.proj.weight",
    "seq.2.attn.proj.bias",
    "seq.2.stats.weight",
    "seq.2.stats.bias",
    "layers.*.weight",
    "layers.*.bias",
]


def test_literal_sequential_items_get_positions_and_a_range_its_count() -> None:
    tree = _tree("PatchStem")
    assert dotted_names(tree) == STEM_NAMES
    layers = next(c for c in tree.children if c.name == "layers")
    assert (layers.count, [c.name for c in layers.children]) == ("depth", ["*"])


def test_parameter_and_state_dict_names() -> None:
    tree = _tree()
    assert dotted_names(tree) == STATIC_NAMES
    keys = dotted_names(tree, buffers=True)
    assert [k for k in keys if k not in STATIC_NAMES] == [
        "blocks.*.stats.running_mean",
        "blocks.*.stats.running_var",
        "blocks.*.stats.num_batches_tracked",
    ]  # `pos` is not persistent: in neither list; torch's order (BatchNorm: weight, bias, then buffers)


def test_conditions_alternatives_and_verdicts_are_on_the_nodes() -> None:
    tree = _tree()
    by_name = {c.name: c for c in tree.children}
    assert by_name["dist_head"].condition == "distilled"
    assert by_name["dist_head"].dead == "DW101 high"
    assert (by_name["pos"].kind, by_name["pos"].persistent) == ("buffer", False)
    block = by_name["blocks"].children[0]
    attn = next(c for c in block.children if c.name == "attn")
    q_norm = next(c for c in attn.children if c.name == "q_norm")
    assert q_norm.ctor == "nn.LayerNorm | nn.Identity"
    assert next(c for c in attn.children if c.name == "attn_drop").dead == "DW105 high"


def test_cli_text_and_json() -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["tree", f"{FIXTURE / 'vit.py'}::TinyViT"])
    assert out.exit_code == 0, out.output
    assert "dist_head  (nn.Linear)  only when `distilled`  DW101 high" in out.output
    assert "14 parameter names" in out.output
    out = runner.invoke(main, ["tree", f"{FIXTURE / 'vit.py'}::TinyViT", "--output-format", "json"])
    assert json.loads(out.output)[0]["parameters"] == STATIC_NAMES
    out = runner.invoke(main, ["tree", f"{FIXTURE / 'vit.py'}::Missing"])
    assert out.exit_code == 2 and "no module class `Missing`" in out.output


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [("TinyViT", {}), ("TinyViT", {"distilled": True, "depth": 3}), ("TinyViT", {"qk_norm": False}), ("PatchStem", {})],
)
def test_names_equal_torch_named_parameters(cls: str, kwargs: dict[str, object]) -> None:
    """Each configuration's `named_parameters()` is the static names with `*` expanded and the
    names of weights its configuration does not create left out: never a name the tree lacks."""
    torch = pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("tree_vit_fixture", FIXTURE / "vit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with torch.device("meta"):
        model = getattr(module, cls)(**kwargs)
    static = STATIC_NAMES if cls == "TinyViT" else STEM_NAMES
    patterns = [re.compile(re.escape(n).replace(r"\*", r"\d+") + "$") for n in static]
    real = [n for n, _ in model.named_parameters()]
    assert all(any(p.match(n) for p in patterns) for n in real), real
    optional = {"dist_head.weight", "dist_head.bias", "blocks.*.attn.q_norm.weight", "blocks.*.attn.q_norm.bias"}
    optional |= {"seq.2.attn.q_norm.weight", "seq.2.attn.q_norm.bias"}
    for name, p in zip(static, patterns, strict=True):
        if name not in optional:
            assert any(p.match(n) for n in real), name


def test_dw1_findings_name_their_keys_under_each_root_model() -> None:
    from deadweight.api import check
    from deadweight.report.sarif import to_sarif
    from deadweight.rules.registry import builtin_rules

    result = check([FIXTURE], Settings(use_cache=False, jobs=1, project_root=str(FIXTURE)))
    names = {f.attribute: f.dotted_names for f in result.findings}
    assert names == {
        "attn_drop": (),  # parameter-free: nothing of it is in a checkpoint or in DDP's list
        "stats": tuple(
            f"{root}: {prefix}.stats.{key}"
            for root, prefix in (("TinyViT", "blocks.*"), ("PatchStem", "seq.2"))
            for key in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
        ),
        "dist_head": ("TinyViT: dist_head.weight", "TinyViT: dist_head.bias"),
    }
    dist = next(f for f in result.findings if f.attribute == "dist_head")
    assert dist.to_dict()["dotted_names"] == ["TinyViT: dist_head.weight", "TinyViT: dist_head.bias"]
    sarif: dict = to_sarif(result, builtin_rules())  # type: ignore[type-arg]
    props = [r["properties"] for r in sarif["runs"][0]["results"]]
    assert ["TinyViT: dist_head.weight", "TinyViT: dist_head.bias"] in [p.get("dotted_names") for p in props]
    out = CliRunner().invoke(main, ["check", str(FIXTURE), "--no-cache"])
    assert "= names: TinyViT: dist_head.weight, TinyViT: dist_head.bias" in out.output


def test_a_torch_layer_with_a_non_literal_flag_lists_the_keys_it_may_have(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.deadweight]\n")
    (tmp_path / "m.py").write_text(
        "import torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self, cfg):\n        super().__init__()\n"
        "        self.proj = nn.Linear(4, 4, bias=cfg.bias)\n\n    def forward(self, x):\n        return self.proj(x)\n"
    )
    ctx, _ = link([tmp_path], Settings(use_cache=False, jobs=1, project_root=str(tmp_path)))
    (info,) = find_classes(ctx.project, "m.py", "M")
    (proj,) = build_tree(ctx.project, ctx.reach, info).children
    assert [(c.name, c.condition) for c in proj.children] == [("weight", None), ("bias", "depends on `bias`")]


def test_a_layer_class_passed_as_an_argument_is_built_as_its_default(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.deadweight]\n")
    (tmp_path / "m.py").write_text(
        "import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self, d):\n        super().__init__()\n"
        "        self.fc = nn.Linear(d, d, bias=False)\n\n    def forward(self, x):\n        return self.fc(x)\n\n\n"
        "class Net(nn.Module):\n    def __init__(self, d, block_fn=Block):\n        super().__init__()\n"
        "        self.block = block_fn(d)\n\n    def forward(self, x):\n        return self.block(x)\n"
    )
    ctx, _ = link([tmp_path], Settings(use_cache=False, jobs=1, project_root=str(tmp_path)))
    (info,) = find_classes(ctx.project, "m.py", "Net")
    tree = build_tree(ctx.project, ctx.reach, info)
    assert dotted_names(tree) == ["block.fc.weight"]
    assert tree.children[0].ctor == "block_fn = Block"


def _filled(name: str):  # type: ignore[no-untyped-def]
    settings = Settings(use_cache=False, jobs=1, project_root=str(FIXTURE))
    ctx, _ = link([FIXTURE], settings)
    (info,) = find_classes(ctx.project, "filled.py", name)
    return build_tree(ctx.project, ctx.reach, info)


MIXER_NAMES = [
    "net.*.lin.weight",
    "net.*.lin.bias",
    "net.*.scale.weight",
    "net.*.scale.bias",
    "net.*.weight",
    "net.*.bias",
    "last.*.lin.weight",
    "last.*.lin.bias",
]
STACK_NAMES = [
    "layers.*.lin.weight",
    "layers.*.lin.bias",
    "layers.*.scale.weight",
    "layers.*.scale.bias",
    "stages.*.weight",
    "stages.*.bias",
    "blocks.*.lin.weight",
    "blocks.*.lin.bias",
    "blocks.*.scale.weight",
    "blocks.*.scale.bias",
    "reduce.weight",
    "reduce.bias",
    "head.lin.lin.weight",
    "head.lin.lin.bias",
    "head.lin.weight",
    "head.lin.bias",
]


def test_a_local_bound_in_branches_and_appended_is_each_of_its_classes() -> None:
    tree = _filled("Mixer")
    assert dotted_names(tree) == MIXER_NAMES
    net, last = tree.children
    assert [(c.ctor, c.condition) for c in net.children] == [
        ("Proj", None),
        ("Gate", None),
        ("nn.Dropout", None),
        ("nn.Linear", "project"),  # appended under `if project:`
    ]
    assert [c.ctor for c in last.children] == ["Proj"]  # `pick` rebound on every path: the last class only


def test_local_lists_helpers_and_branch_locals_fill_the_tree() -> None:
    tree = _filled("Stack")
    assert dotted_names(tree) == STACK_NAMES
    by_name = {c.name: c for c in tree.children}
    assert [c.ctor for c in by_name["layers"].children] == ["Proj", "Gate"]  # literal, then `append`
    assert [c.ctor for c in by_name["stages"].children] == ["nn.Linear"]  # `+=`, the filled Sequential
    (block,) = by_name["blocks"].children
    assert block.ctor == "make_block -> Proj | Gate"
    assert by_name["reduce"].ctor == "nn.Conv1d | nn.AvgPool1d"
    (lin,) = by_name["head"].children
    assert lin.ctor == "Proj | nn.Linear"  # both alternatives' `lin`, with both subtrees


def test_a_helper_that_returns_no_module_class_leaves_the_item_unread(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.deadweight]\n")
    (tmp_path / "m.py").write_text(
        "import torch.nn as nn\n\n\ndef width(d):\n    return d * 2\n\n\nclass M(nn.Module):\n"
        "    def __init__(self, d):\n        super().__init__()\n        self.items = nn.ModuleList()\n"
        "        w = width(d)\n        self.items.append(w)\n        self.items.append(nn.ReLU())\n\n"
        "    def forward(self, x):\n        return x\n"
    )
    ctx, _ = link([tmp_path], Settings(use_cache=False, jobs=1, project_root=str(tmp_path)))
    (info,) = find_classes(ctx.project, "m.py", "M")
    (items,) = build_tree(ctx.project, ctx.reach, info).children
    (width, relu) = items.children
    assert (width.ctor, width.note is not None, width.children) == ("width", True, [])
    assert (relu.ctor, relu.children) == ("nn.ReLU", [])


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        ("Mixer", {}),
        ("Mixer", {"kind": "gate", "project": True}),
        ("Stack", {}),
        ("Stack", {"pool": True, "kinds": ("gate",)}),
    ],
)
def test_filled_names_equal_torch_named_parameters(cls: str, kwargs: dict[str, object]) -> None:
    torch = pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("tree_filled_fixture", FIXTURE / "filled.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with torch.device("meta"):
        model = getattr(module, cls)(**kwargs)
    static = MIXER_NAMES if cls == "Mixer" else STACK_NAMES
    patterns = [re.compile(re.escape(n).replace(r"\*", r"\d+") + "$") for n in static]
    real = [n for n, _ in model.named_parameters()]
    assert all(any(p.match(n) for p in patterns) for n in real), real


def _shared(name: str):  # type: ignore[no-untyped-def]
    settings = Settings(use_cache=False, jobs=1, project_root=str(FIXTURE))
    ctx, _ = link([FIXTURE], settings)
    (info,) = find_classes(ctx.project, "shared.py", name)
    return build_tree(ctx.project, ctx.reach, info)


def test_a_subclass_of_a_torch_layer_holds_the_layers_parameters() -> None:
    tree = _shared("TiedLM")
    assert dotted_names(tree) == [
        "embed.weight",
        "embed.scale",
        "norm.weight",
        "norm.bias",
        "plain.gain",
        "decoder.weight",
    ]
    norm = next(c for c in tree.children if c.name == "norm")
    assert all(c.condition is not None for c in norm.children)  # `elementwise_affine=affine`: not a literal
    plain = next(c for c in tree.children if c.name == "plain")
    assert [c.name for c in plain.children] == ["gain"]  # an nn.Module subclass: no base keys


def test_a_tied_weights_map_marks_the_tied_key() -> None:
    decoder = next(c for c in _shared("TiedLM").children if c.name == "decoder")
    assert [(c.name, c.tied_to) for c in decoder.children] == [("weight", "embed.weight")]
    decoder = next(c for c in _shared("ListedTies").children if c.name == "decoder")
    assert [(c.name, c.tied_to) for c in decoder.children] == [("weight", None)]  # a list names no source
    out = CliRunner().invoke(main, ["tree", f"{FIXTURE / 'shared.py'}::TiedLM"])
    assert "weight  parameter  tied to `embed.weight`" in out.output


@pytest.mark.parametrize("affine", [True, False])
def test_shared_names_equal_torch_named_parameters(affine: bool) -> None:
    """Every real name has a pattern; every pattern not conditional or tied has a real name."""
    torch = pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("tree_shared_fixture", FIXTURE / "shared.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with torch.device("meta"):
        model = module.TiedLM(affine=affine)
    real = [n for n, _ in model.named_parameters()]
    assert real == ["embed.weight", "embed.scale", *(["norm.weight", "norm.bias"] if affine else []), "plain.gain"]
    static = dotted_names(_shared("TiedLM"))
    assert set(real) <= set(static) and set(static) - set(real) <= {"decoder.weight", "norm.weight", "norm.bias"}


CLASSARG_NAMES = [
    "embed.proj.weight",
    "embed.proj.bias",
    "embed.norm.weight",
    "embed.norm.bias",
    "bare.proj.weight",
    "bare.proj.bias",
    "layer.norm.weight",
    "layer.norm.bias",
    "layer.attn.qkv.weight",
    "layer.mlp.fc.weight",
    "layer.mlp.fc.bias",
    "norm.weight",
    "norm.bias",
    "out.weight",
    "out.bias",
    "proj.weight",
    "proj.bias",
]


def _classarg(name: str = "Net"):  # type: ignore[no-untyped-def]
    settings = Settings(use_cache=False, jobs=1, project_root=str(FIXTURE))
    ctx, _ = link([FIXTURE], settings)
    (info,) = find_classes(ctx.project, "classarg.py", name)
    return build_tree(ctx.project, ctx.reach, info)


def test_layer_classes_bound_by_partial_or_and_helpers_are_built() -> None:
    tree = _classarg()
    assert dotted_names(tree) == CLASSARG_NAMES
    by_name = {c.name: c for c in tree.children}
    layer = {c.name: c for c in by_name["layer"].children}
    assert layer["norm"].ctor == "norm_layer = Norm"  # `norm_layer=partial(Norm, eps=1e-6)`
    assert layer["attn"].ctor == "build_attn -> attn_cls = Attn"  # the helper builds the class it is given
    (fc,) = layer["mlp"].children
    assert fc.ctor == "nn.Conv1d | nn.Linear"  # `partial(nn.Conv1d, ..) if use_conv else nn.Linear`
    assert by_name["norm"].ctor == "norm_layer = nn.LayerNorm"  # `norm_layer or partial(nn.LayerNorm, ..)`
    assert by_name["norm"].note is not None and "a caller may pass another class" in by_name["norm"].note
    # handed back by `init_zero`: the class passed in, its arguments unknown, so `bias` may be absent
    assert by_name["out"].ctor == by_name["proj"].ctor == "init_zero -> nn.Linear"
    assert [(c.name, c.condition is not None) for c in by_name["proj"].children] == [("weight", False), ("bias", True)]
    # `Embed(d, norm_layer=norm_layer)`: Embed's own default is None, the caller's class is built
    embed_norm = next(c for c in by_name["embed"].children if c.name == "norm")
    assert (embed_norm.ctor, [c.name for c in embed_norm.children]) == (
        "norm_layer = nn.LayerNorm | nn.Identity",
        ["weight", "bias"],
    )
    bare_norm = next(c for c in by_name["bare"].children if c.name == "norm")
    assert (bare_norm.ctor, bare_norm.children) == ("norm_layer | nn.Identity", [])  # `norm_layer=None` passes no class


def test_a_helper_that_returns_its_argument_makes_a_weight_for_check() -> None:
    from deadweight.api import check

    result = check([FIXTURE / "classarg.py"], Settings(use_cache=False, jobs=1, project_root=str(FIXTURE)))
    assert [f.attribute for f in result.findings] == []  # every layer here is used
    settings = Settings(use_cache=False, jobs=1, project_root=str(FIXTURE))
    ctx, _ = link([FIXTURE], settings)
    (info,) = find_classes(ctx.project, "classarg.py", "Net")
    weights = {w.name: w for w in ctx.project.weights(info)}
    assert (weights["out"].ctor, weights["out"].certain) == ("torch.nn.Linear", True)
    assert (weights["norm"].ctor, weights["norm"].certain) == (
        "norm_layer",
        False,
    )  # a default: a caller may pass another


def test_a_helper_whose_result_is_not_its_parameter_builds_nothing_known(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.deadweight]\n")
    (tmp_path / "m.py").write_text(
        "import torch.nn as nn\n\n\ndef wrap(module):\n    other = nn.ReLU()\n    return other\n\n\n"
        "class M(nn.Module):\n    def __init__(self, d):\n        super().__init__()\n"
        "        self.fc = wrap(nn.Linear(d, d))\n\n    def forward(self, x):\n        return self.fc(x)\n"
    )
    ctx, _ = link([tmp_path], Settings(use_cache=False, jobs=1, project_root=str(tmp_path)))
    (info,) = find_classes(ctx.project, "m.py", "M")
    (fc,) = build_tree(ctx.project, ctx.reach, info).children
    assert (fc.ctor, dotted_names(build_tree(ctx.project, ctx.reach, info))) == ("wrap -> ReLU", [])


@pytest.mark.parametrize("kwargs", [{}, {"norm_layer": None}])
def test_classarg_names_equal_torch_named_parameters(kwargs: dict[str, object]) -> None:
    torch = pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("tree_classarg_fixture", FIXTURE / "classarg.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with torch.device("meta"):
        model = module.Net(**kwargs)
    real = [n for n, _ in model.named_parameters()]
    assert sorted(real) == sorted(n for n in CLASSARG_NAMES if n != "proj.bias")


TUPLES = Path(__file__).resolve().parents[1] / "fixtures" / "helper_tuples"


def _tuples(name: str):  # type: ignore[no-untyped-def]
    settings = Settings(use_cache=False, jobs=1, project_root=str(TUPLES))
    ctx, _ = link([TUPLES], settings)
    (info,) = find_classes(ctx.project, "models.py", name)
    return build_tree(ctx.project, ctx.reach, info)


def test_items_unpacked_from_a_helpers_tuple_are_built_per_position() -> None:
    """`self.global_pool, self.fc = make_classifier(..)` (imported through the package's
    re-export): the item at each position of every tuple it returns; `make_conv` returns a
    local bound in branches (a class, or another helper's result in its own module)."""
    tree = _tuples("Classifier")
    by_name = {c.name: c for c in tree.children}
    assert by_name["stem"].ctor == "make_conv -> SameConv | Conv2d"
    assert by_name["global_pool"].ctor == "make_classifier -> AdaptiveAvgPool2d"
    assert by_name["fc"].ctor == "make_classifier -> Dropout | Identity | Linear"
    assert by_name["fc"].dead == "DW101 high"
    assert dotted_names(tree) == ["stem.weight", "stem.bias", "fc.weight", "fc.bias"]
    locals_ = {c.name: c.ctor for c in _tuples("HeadFromLocals").children}
    assert locals_ == {
        "pool": "make_classifier -> AdaptiveAvgPool2d",
        "fc": "make_classifier -> Dropout | Identity | Linear",
    }
    assert [c.name for c in _tuples("Opaque").children] == []  # `return tuple(parts)`: nothing known


def test_a_branch_container_and_a_filtered_container_list_every_alternative() -> None:
    """`self.conv = nn.Sequential(..)` under `if deep:`, `nn.Conv2d(..)` otherwise: both
    alternatives' keys (the names torch builds for either setting); `nn.Sequential(*filter(None,
    [a, b if c else None]))`: the list's classes as the container's items."""
    settings = Settings(use_cache=False, jobs=1, project_root=str(FIXTURE))
    ctx, _ = link([FIXTURE], settings)
    (info,) = find_classes(ctx.project, "branches.py", "Stem")
    tree = build_tree(ctx.project, ctx.reach, info)
    conv, post = tree.children
    assert conv.ctor == "nn.Sequential | nn.Conv2d"
    assert [c.name for c in conv.children] == ["0", "1", "2", "weight", "bias"]
    assert [c.ctor for c in post.children] == ["nn.Conv2d", "nn.BatchNorm2d"]
    assert dotted_names(tree) == [
        "conv.0.weight",
        "conv.0.bias",
        "conv.1.weight",
        "conv.1.bias",
        "conv.weight",
        "conv.bias",
        "post.*.weight",
        "post.*.bias",
    ]

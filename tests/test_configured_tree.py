"""`deadweight tree --configured` / `--set`: the tree of one configuration. Conditions, branches,
torch layers' optional keys and counts that the arguments (and a config class's fields) decide
are decided, in nested classes from what their holder passes; anything else stays open. Where
torch is installed, the names equal `named_parameters()` of the model built the same way."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from deadweight.api import link
from deadweight.cli import main
from deadweight.model.configs import UNKNOWN, Obj, value_of
from deadweight.model.configured import all_hold, config_fields
from deadweight.model.inspect import find_classes
from deadweight.model.tree import TreeNode, build_tree, dotted_names
from deadweight.report.tree import undecided
from deadweight.settings import Settings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tree"
FILE = FIXTURE / "configured.py"


@pytest.fixture(scope="module")
def linked() -> Any:
    ctx, _ = link([FIXTURE], Settings(use_cache=False, jobs=1, project_root=str(FIXTURE)))
    return ctx


def _tree(ctx: Any, cls: str, settings: dict[str, str] | None) -> TreeNode:
    (info,) = find_classes(ctx.project, "configured.py", cls)
    return build_tree(ctx.project, ctx.reach, info, settings)


QKV = ["attn.qkv.weight", "attn.qkv.bias"]


def _blocks(n: int, *extra: str, prefix: str = "blocks") -> list[str]:
    return [f"{prefix}.{i}.{k}" for i in range(n) for k in (*QKV, *extra)]


# (class, settings, the configured names in tree order)
CASES: list[tuple[str, dict[str, str], list[str]]] = [
    ("Classic", {}, [*_blocks(2), "head.weight", "head.bias", "fc_norm.weight", "fc_norm.bias"]),
    (
        "Classic",
        {"head": "'mlp'", "pre_norm": "True", "depth": "1", "mode": "'gated'"},
        [
            "norm_pre.weight",
            "norm_pre.bias",
            *_blocks(1, "attn.gate.weight", "attn.gate.bias"),
            "head.0.weight",
            "head.0.bias",
            "head.2.weight",
            "head.2.bias",
            "extra.weight",
            "extra.bias",
        ],
    ),
    # the nested `if extra:` under `if pre_norm:` is not built; `depth=0`: no block; `head`'s `else`
    ("Classic", {"pre_norm": "True", "extra": "False", "depth": "0", "head": "'none'"}, ["norm_pre.weight", "norm_pre.bias"]),
    (
        "Classic",
        {"qk_norm": "True", "depth": "1"},
        [*_blocks(1, "attn.q_norm.weight", "attn.q_norm.bias"), "head.weight", "head.bias", "fc_norm.weight", "fc_norm.bias"],
    ),
    # `*args, **kwargs` forwarded to the base: the base's conditions see them
    (
        "Distilled",
        {"pre_norm": "True", "mode": "'scaled'"},
        [
            "norm_pre.weight",
            "norm_pre.bias",
            *_blocks(2, "attn.scale"),
            "head.weight",
            "head.bias",
            "extra.weight",
            "extra.bias",
            "dist.weight",
            "dist.bias",
        ],
    ),
    # the config class's defaults: `bias=config.attention_bias` is False, `pool` is "cls"
    ("FromConfig", {}, ["proj.weight", *_blocks(2), "last.attn.qkv.weight", "last.attn.qkv.bias", "last.attn.q_norm.weight", "last.attn.q_norm.bias"]),
    (
        "FromConfig",
        {"config.attention_bias": "True", "config.pool": "'attn'", "config.use_extra": "True", "config.layers": "1"},
        [
            "proj.weight",
            "proj.bias",
            *_blocks(1),
            "pool.qkv.weight",
            "pool.qkv.bias",
            "extra.weight",
            "extra.bias",
            "last.attn.qkv.weight",
            "last.attn.qkv.bias",
            "last.attn.q_norm.weight",
            "last.attn.q_norm.bias",
        ],
    ),
    ("Chooser", {}, ["body.qkv.weight", "body.qkv.bias", "other.attn.qkv.weight", "other.attn.qkv.bias", "other.gamma"]),
    ("Chooser", {"gated": "True"}, ["body.attn.qkv.weight", "body.attn.qkv.bias", "other.attn.qkv.weight", "other.attn.qkv.bias", "other.gamma"]),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "settings", "names"), CASES)
def test_configured_names(linked: Any, cls: str, settings: dict[str, str], names: list[str]) -> None:
    assert dotted_names(_tree(linked, cls, settings)) == names


def test_what_the_configuration_does_not_decide_stays_open(linked: Any) -> None:
    # `layer_scale=float(dim)`: passed, but not a value read, so its default does not apply
    chooser = _tree(linked, "Chooser", {})
    gamma = next(c for c in next(c for c in chooser.children if c.name == "other").children if c.name == "gamma")
    assert gamma.condition == "self.use_ls"
    assert undecided(chooser) == 1
    # a config whose class is not annotated: its fields are unknown, the head stays conditional
    unread = _tree(linked, "Unread", {})
    head = next(c for c in unread.children if c.name == "head")
    assert head.condition == "cfg.use_head"
    assert undecided(unread) == 2
    # without a configuration the tree is every configuration's: nothing is decided
    every = _tree(linked, "Classic", None)
    assert {c.name for c in every.children} == {"norm_pre", "blocks", "head", "extra", "fc_norm"}
    assert next(c for c in every.children if c.name == "extra").condition == "extra"


def test_a_base_called_with_its_own_arguments_sees_them(linked: Any) -> None:
    defaults = {c.name for c in _tree(linked, "Distilled", {}).children}
    assert defaults == {"blocks", "head", "fc_norm", "dist"}


def test_values_guards_and_config_fields() -> None:
    cfg = Obj("C", {"bias": True, "mode": "a"})
    env: dict[str, object] = {"config": cfg, "self.depth": 3, "n": 0}
    assert value_of("config.bias and self.depth > 2", env) is True
    assert value_of('getattr(config, "missing", 5)', env) == 5
    assert value_of('getattr(config, "missing")', env) is UNKNOWN
    assert value_of("config.mode in ('a', 'b')", env) is True
    assert value_of("unknown_name or n", env) is UNKNOWN
    assert value_of("-n >= 0", env) is True
    assert all_hold(("config.bias", "self.depth == 3"), env) is True
    assert all_hold(("config.bias", "n"), env) is False
    assert all_hold(("", "config.bias"), env) is None  # a loop level decides nothing
    assert all_hold(("unknown", "n"), env) is False  # one false guard is enough


def test_config_fields_are_class_defaults_then_what_init_stores(linked: Any) -> None:
    (cfg,) = [c for c in linked.project.classes.values() if c.name == "TinyConfig"]
    assert config_fields(cfg) == {"hidden": 8, "layers": 2, "attention_bias": False, "pool": "cls", "use_extra": False}


def test_cli_configured_and_set(tmp_path: Path) -> None:
    runner = CliRunner()
    target = f"{FILE}::Classic"
    out = runner.invoke(main, ["tree", target, "--isolated", "--set", "pre_norm=True", "--set", "head=mlp"])
    assert out.exit_code == 0, out.output
    assert "configuration: the constructor's defaults, with pre_norm=True, head=mlp" in out.output
    assert "norm_pre  (nn.LayerNorm)" in out.output and "every condition decided" in out.output
    out = runner.invoke(main, ["tree", target, "--isolated", "--configured", "--output-format", "json"])
    data = json.loads(out.output)[0]
    assert data["configuration"] == {}
    assert data["parameters"] == CASES[0][2]
    out = runner.invoke(main, ["tree", target, "--isolated", "--output-format", "json"])
    assert json.loads(out.output)[0]["configuration"] is None
    out = runner.invoke(main, ["tree", target, "--isolated", "--set", "depth"])
    assert out.exit_code == 2 and "expected NAME=VALUE" in out.output


def _real_names(cls: str, settings: dict[str, str]) -> list[str]:
    """`named_parameters()` of the fixture class built on the meta device as `settings` say
    (`config.` ones go to `TinyConfig`); skips without torch."""
    import ast

    torch = pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("configured_tree_fixture", FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kwargs = {k: ast.literal_eval(v) for k, v in settings.items() if not k.startswith("config.")}
    fields = {k.removeprefix("config."): ast.literal_eval(v) for k, v in settings.items() if k.startswith("config.")}
    with torch.device("meta"):
        model = (
            module.FromConfig(module.TinyConfig(**fields)) if cls == "FromConfig" else getattr(module, cls)(**kwargs)
        )
    return [n for n, _ in model.named_parameters()]


@pytest.mark.parametrize(("cls", "settings", "names"), CASES)
def test_configured_names_equal_torch_named_parameters(
    linked: Any, cls: str, settings: dict[str, str], names: list[str]
) -> None:
    assert sorted(_real_names(cls, settings)) == sorted(names)


def test_a_parameter_bound_again_before_its_test_is_not_its_argument(linked: Any) -> None:
    """`use_fc_norm = pool == "avg" if use_fc_norm is None else use_fc_norm`: the test sees the
    local, so neither the default (None: false) nor a `--set` value decides the branch."""
    for settings in ({}, {"use_fc_norm": "False"}):
        tree = _tree(linked, "Rebound", settings)
        assert [c.ctor for c in tree.children] == ["nn.Identity | nn.LayerNorm", "nn.LayerNorm | nn.Identity"]
        assert undecided(tree) == 4


def _decided(node: TreeNode, prefix: str = "", open_: bool = False) -> dict[str, bool]:
    """Each parameter name with whether a condition or an alternative still leaves it open."""
    out: dict[str, bool] = {}
    for c in node.children:
        o = open_ or c.condition is not None or " | " in c.ctor
        name = f"{prefix}{c.name}"
        if c.kind == "parameter":
            out[name] = o
        out.update(_decided(c, name + ".", o))
    return out


def test_local_list_items_builders_positional_flags_and_unpacked_keywords(linked: Any) -> None:
    every = _tree(linked, "Stacked", None)
    items = next(c for c in every.children if c.name == "layers").children
    # appended in the branches of an `if` to a local list: each class under its condition
    assert [(i.ctor, i.condition) for i in items] == [("Block", "not dual"), ("Dual", "not (not dual)")]
    defaults = _decided(_tree(linked, "Stacked", {}))
    assert [i for i in defaults if i.startswith("layers.*.a.")] == []  # `Dual` is not built
    assert "embed.weight" not in defaults  # the builder runs only when `vectorized` is given
    # `nn.LayerNorm(dim, 1e-6, affine)`: the flag is positional, which the layer table cannot read
    assert defaults["norm.weight"] is True and defaults["norm.bias"] is True
    assert defaults["proj.weight"] is False and "proj.bias" not in defaults  # `**{"bias": False}`
    given = _decided(_tree(linked, "Stacked", {"dual": "True", "vectorized": "3", "affine": "True"}))
    assert given["embed.weight"] is False and given["proj.bias"] is False
    assert given["layers.*.a.attn.qkv.weight"] is False and "layers.*.attn.qkv.weight" not in given
    stored = _tree(linked, "Stacked", {"vectorized": "None"})
    assert "embed" not in {c.name for c in stored.children}


@pytest.mark.parametrize("settings", [{}, {"dual": "True", "vectorized": "3", "affine": "True"}, {"n": "1"}])
def test_what_the_configured_tree_decides_torch_builds(linked: Any, settings: dict[str, str]) -> None:
    """Sound where it decides: every real name matches a name of the tree, and every name the
    tree gives as decided is one torch builds."""
    import re

    real = _real_names("Stacked", settings)
    names = _decided(_tree(linked, "Stacked", settings))
    patterns = {n: re.compile(re.escape(n).replace(r"\*", r"\d+")) for n in names}
    assert all(any(p.fullmatch(r) for p in patterns.values()) for r in real), real
    assert all(any(patterns[n].fullmatch(r) for r in real) for n, o in names.items() if not o), names


@pytest.mark.parametrize(("cls", "settings", "names"), CASES)
def test_configured_names_come_in_named_parameters_order(
    linked: Any, cls: str, settings: dict[str, str], names: list[str]
) -> None:
    """DDP's index-form error counts in `named_parameters()` order: the configured tree's
    indexed names are that order (own parameters first, then each child's; a torch layer's
    keys as its state_dict lists them, `weight` before `bias`)."""
    from deadweight.ddp.locate import indexed_names

    real = _real_names(cls, settings)
    # `Chooser.other.gamma` stays open (its argument is a call): then no index can be named
    assert indexed_names(_tree(linked, cls, settings)) == (None if cls == "Chooser" else real)


def test_explain_ddp_names_indices_in_the_configuration_that_ran() -> None:
    log = Path(__file__).resolve().parent / "data" / "ddp" / "index.log"  # indices 1 and 2
    runner = CliRunner()
    target = f"{FILE}::Classic"
    out = runner.invoke(main, ["explain-ddp", target, str(log), "--isolated", "--output-format", "json"])
    data = json.loads(out.output)
    assert data["parameters"] == [] and "without the configuration that ran" in data["note"]
    out = runner.invoke(
        main, ["explain-ddp", target, str(log), "--isolated", "--configured", "--output-format", "json"]
    )
    got = [(p["name"], p["owner"], p["attribute"]) for p in json.loads(out.output)["parameters"]]
    assert got == [("blocks.0.attn.qkv.bias", "Attention", "qkv"), ("blocks.1.attn.qkv.weight", "Attention", "qkv")]
    out = runner.invoke(
        main, ["explain-ddp", target, str(log), "--isolated", "--set", "depth=1", "--output-format", "json"]
    )
    got = [(p["name"], p["owner"], p["attribute"]) for p in json.loads(out.output)["parameters"]]
    assert got == [("blocks.0.attn.qkv.bias", "Attention", "qkv"), ("head.weight", "Classic", "head")]
    # a weight a setting the run gave decides, but the code does not (`Chooser.other.gamma`): no names
    out = runner.invoke(
        main, ["explain-ddp", f"{FILE}::Chooser", str(log), "--isolated", "--configured", "--output-format", "json"]
    )
    assert "in the configuration given" in json.loads(out.output)["note"]

"""What construction and holder typing read beyond the constructor's own parameters: a
method's fixed locals written into its guards, and the types builders pass to constructors."""

from __future__ import annotations

from pathlib import Path

from deadweight.api import check
from deadweight.extract.file import extract
from deadweight.settings import Settings


def _writes(source: str) -> dict[str, tuple[str | None, str | None]]:
    facts = extract("m.py", source.encode(), "m").facts
    assert facts is not None
    return {w.attr: (w.condition, w.resolved_condition) for c in facts.classes for w in c.writes}


def test_a_local_assigned_once_is_written_into_the_guard() -> None:
    got = _writes(
        "class A:\n"
        "    def __init__(self, use_bias):\n"
        "        bias = make() if self.use_bias else None\n"
        "        self.register_parameter('bias', P(bias) if bias is not None else None)\n"
        "        gate = not use_bias\n"
        "        if gate:\n"
        "            self.g = L()\n"
    )
    assert got["bias"] == ("bias is not None", "(make() if self.use_bias else None) is not None")
    assert got["g"] == ("gate", "(not use_bias)")


def test_a_local_rebound_anywhere_is_not_written_in() -> None:
    got = _writes(
        "class A:\n"
        "    def __init__(self, flag, xs):\n"
        "        on = flag\n"
        "        if xs:\n"
        "            on = True\n"
        "        if on:\n"
        "            self.a = L()\n"
        "        off = flag\n"
        "        for off in xs:\n"
        "            pass\n"
        "        if off:\n"
        "            self.b = L()\n"
        "        n = flag\n"
        "        n += 1\n"
        "        if n:\n"
        "            self.c = L()\n"
        "        s = not s\n"
        "        if s:\n"
        "            self.d = L()\n"
    )
    assert {k: v[1] for k, v in got.items()} == {"a": None, "b": None, "c": None, "d": None}


def _findings(root: Path) -> set[tuple[str, str, str, str]]:
    settings = Settings(min_confidence="low", use_cache=False, jobs=1, project_root=str(root))
    return {(f.code, f.class_name, f.attribute, f.confidence) for f in check([root], settings).findings}


def test_call_sites_that_disagree_type_nothing(tmp_path: Path) -> None:
    """`Model(child=A())` in one builder and `Model(child=B())` in another: `self.child` has
    no single class, so `self.child.scale` is an untyped read: in the file that defines A it
    makes A's finding low (a likely holder), not gone."""
    (tmp_path / "m.py").write_text(
        "import torch\n"
        "from torch import nn\n\n\n"
        "class A(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.scale = nn.Parameter(torch.ones(1))\n\n"
        "    def forward(self, x):\n"
        "        return x\n\n\n"
        "class B(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x\n\n\n"
        "class Model(nn.Module):\n"
        "    def __init__(self, child):\n"
        "        super().__init__()\n"
        "        self.child = child\n\n"
        "    def forward(self, x):\n"
        "        return self.child(x) * self.child.scale\n\n\n"
        "def one():\n"
        "    return Model(child=A())\n\n\n"
        "def two():\n"
        "    return Model(B())\n"
    )
    assert _findings(tmp_path) == {("DW101", "A", "scale", "low")}
    (tmp_path / "m.py").write_text((tmp_path / "m.py").read_text().replace("Model(B())", "Model(A())"))
    assert _findings(tmp_path) == set()


def test_register_alias_calls_are_located_by_the_fast_position_path() -> None:
    """`reg = self.register_buffer; reg("b", t)`: the buffer's span is the aliased call's, found
    without falling back to libcst's PositionProvider."""
    import ast

    import libcst as cst

    from deadweight.extract.positions import AstPositions
    from deadweight.extract.visitor import collect

    text = (
        "class A:\n"
        "    def __init__(self):\n"
        "        reg = self.register_buffer\n"
        "        reg('a', t)\n"
        "        x = 1; reg('b', t)\n"
        "\n"
        "def helper(self):\n"
        "    reg = self.register_buffer\n"
        "    reg('c', t)\n"
    )
    c = collect(cst.parse_module(text), AstPositions(ast.parse(text), text.splitlines()))
    spans = {w.attr: (w.span.line, w.span.column) for k in c.finished_classes for w in k.writes}
    assert spans == {"a": (4, 9), "b": (5, 16)}

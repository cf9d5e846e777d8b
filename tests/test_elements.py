"""Container elements that every use leaves out (`self.stages[1:]` never applies `stages[0]`):
the subscript facts, the coverage arithmetic, and the finding's words and keys end to end."""

from __future__ import annotations

import json
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner

from deadweight.cli import main
from deadweight.extract.cstutil import literal_index
from deadweight.model.elements import Skipped, _always_left_out, _covered, describe_skipped, element_keys, written

ROOT = Path(__file__).resolve().parents[1]
SLICED = ROOT / "fixtures" / "containers" / "sliced.py"


def _index(text: str) -> str | None:
    sub = cst.parse_expression(f"self.x[{text}]")
    assert isinstance(sub, cst.Subscript)
    return literal_index(sub.slice[0].slice)


@pytest.mark.parametrize(
    ("subscript", "canonical"),
    [("1:", "1::"), (":-1", ":-1:"), ("-1", "-1"), ("::2", "::2"), ("0x2", "2"), ("1:3", "1:3:"), (":", "::")],
)
def test_a_literal_subscript_is_read_in_canonical_form(subscript: str, canonical: str) -> None:
    assert _index(subscript) == canonical
    assert written(canonical) == f"[{subscript}]".replace("0x2", "2").replace("[:]", "[:]")


@pytest.mark.parametrize("subscript", ["i", ":depth", "self.n:", "::0", "1 + 1", "'a'"])
def test_a_subscript_that_is_not_literal_integers_is_none(subscript: str) -> None:
    assert _index(subscript) is None


def test_coverage_with_a_constant_count_is_python_slicing() -> None:
    assert _covered(["1::"], 4) == {1, 2, 3}
    assert _covered([":-1:", "-1"], 4) == {0, 1, 2, 3}
    assert _covered(["5"], 4) == set()  # out of range at runtime: covers nothing
    assert _covered(["::2"], 5) == {0, 2, 4}


def test_with_a_count_that_is_a_setting_only_always_left_out_elements_are_named() -> None:
    assert _always_left_out(["1::"]) == ((0,), ())
    assert _always_left_out([":-1:"]) == ((), (0,))
    assert _always_left_out(["1:-1:"]) == ((0,), (0,))
    assert _always_left_out(["0", "1::"]) == ((), ())
    # elements from 3 on exist only when the count exceeds 3: left out in those, but not named
    assert _always_left_out([":3:"]) == ((), ())
    assert _always_left_out([":3:", "-1"]) == ((), ())
    head, tail = _always_left_out(["::2"])
    assert head[:3] == (1, 3, 5) and tail == ()


def test_words_and_keys_of_the_left_out_elements() -> None:
    first = Skipped((0,), (), "depth", False, ())
    assert describe_skipped(first) == "element 0"
    assert describe_skipped(Skipped((0, 2), (), "3", True, ())) == "elements 0 and 2"
    assert describe_skipped(Skipped((), (0,), "depth", False, ())) == "the last element"
    assert describe_skipped(Skipped((0,), (0,), "depth", False, ())) == "element 0 and the last element"
    assert describe_skipped(Skipped((1, 3, 5, 7, 9), (), "depth", False, ())) == "elements 1, 3, 5, 7 and others"
    assert element_keys(["*.weight", "*.bias"], ("0",)) == ["0.weight", "0.bias"]
    assert element_keys(["0.weight", "1.weight", "2.weight"], ("1",)) == ["1.weight"]
    assert element_keys(["*.weight"], ("-1",)) == ["<last>.weight"]


def _findings() -> list[dict[str, object]]:
    """The containers fixture folder as a project of its own (another fixture's `.layers` read
    on an object of unknown type would make the last `layers` element possibly used)."""
    out = CliRunner().invoke(main, ["check", str(SLICED.parent), "--isolated", "--no-cache", "--output-format", "json"])
    return [f for f in json.loads(out.stdout)["findings"] if str(f["path"]).endswith("sliced.py")]


def _json() -> list[tuple[object, ...]]:
    return [
        (f["defined_in"], f["attribute"], f["line"], f["confidence"], tuple(f["dotted_names"]))  # type: ignore[arg-type]
        for f in _findings()
    ]


def test_the_findings_name_the_left_out_elements_keys() -> None:
    assert _json() == [
        ("SkipsFirst", "stages", 12, "high", ("SkipsFirst: stages.0.weight", "SkipsFirst: stages.0.bias")),
        ("SkipsLast", "layers", 23, "high", ("SkipsLast: layers.<last>.weight", "SkipsLast: layers.<last>.bias")),
        ("ConstantItems", "net", 34, "high", ("ConstantItems: net.1.weight", "ConstantItems: net.1.bias")),
        (
            "StridedUnknownCount",
            "pairs",
            126,
            "high",
            tuple(f"StridedUnknownCount: pairs.{i}.{k}" for i in (1, 3, 5, 7) for k in ("weight", "bias"))[:8],
        ),
    ]


def test_the_message_says_which_reads_leave_them_out_and_what_a_fix_renumbers() -> None:
    messages = {f["attribute"]: f["message"] for f in _findings()}
    assert messages["stages"] == (
        "element 0 of submodule `stages` (`nn.ModuleList`) is never used: every use takes an index or a slice "
        "that leaves it out (`self.stages[1:]` at line 15), whatever `depth` is; removing it renumbers the "
        "checkpoint keys of the elements after it"
    )
    assert messages["layers"].endswith(
        "(`self.layers[:-1]` at line 26), whatever `depth` is; removing it drops its checkpoint keys"
    )
    assert "(`self.net[0]` at line 37, `self.net[-1]` at line 37);" in messages["net"]


def test_ddp_and_the_tree_mark_only_the_left_out_element() -> None:
    runner = CliRunner()
    verdict = json.loads(runner.invoke(main, ["ddp", f"{SLICED}::SkipsFirst", "--output-format", "json"]).stdout)
    unused = {n for p in verdict["parameters"] if p["applies"] for n in p["names"]}
    assert unused == {"stages.0.weight", "stages.0.bias"}
    tree = runner.invoke(main, ["tree", f"{SLICED}::SkipsFirst"]).stdout
    assert "DW101 high (item 0 only)" in tree


def test_explain_ddp_gives_the_verdict_to_the_left_out_element_only(tmp_path: Path) -> None:
    log = tmp_path / "ddp.log"
    log.write_text(
        "RuntimeError: Expected to have finished reduction in the prior iteration before starting a new one. "
        "Parameters which did not receive grad for rank 0: stages.0.weight, stages.1.weight\n"
    )
    out = CliRunner().invoke(main, ["explain-ddp", f"{SLICED}::SkipsFirst", str(log), "--output-format", "json"])
    got = {p["name"]: p["verdict"] for p in json.loads(out.stdout)["parameters"]}
    assert got == {"stages.0.weight": "DW101 high (item 0 only)", "stages.1.weight": None}

"""fixtures/conventions/: model-zoo conventions that once caused false positives (hard
negatives), each paired where it makes sense with a near miss that must still be reported, so a
fix for the false positive cannot silently remove recall.

Each fixture's finding set is written as `# expect:` comments in its files and checked by
tests/test_fixture_expectations.py (each folder its own project, only the DW1xx rules selected);
fixtures/README.md says what each one covers. This file keeps what those comments cannot say.
"""

from __future__ import annotations

from pathlib import Path

from deadweight.api import check
from deadweight.settings import Settings

CONVENTIONS = Path(__file__).resolve().parents[1] / "fixtures" / "conventions"


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
    # the two layers that drop the base's gate are one finding at the gate's line, naming both
    assert got == {("DW103", "bar/modeling_bar.py", 9, "BazLayer", "gate", "high")}
    assert "; `FooLayer` drops it the same way" in result.findings[0].message


def test_the_summary_counts_sources_judged_through_their_generated_files(tmp_path: Path) -> None:
    """`in N files` must not hide that modular_foo.py was read yet left out for its sibling."""
    import shutil

    from deadweight.report.text import summary_line

    root = tmp_path / "modular_generated"
    shutil.copytree(CONVENTIONS / "modular_generated", root)
    settings = Settings(select=("DW1",), use_cache=False, jobs=1, project_root=str(root))
    both = check([root], settings)
    assert both.summary.generated_sources == 1
    assert f"in {both.summary.files} files (1 source file judged through the file generated from it)" in (
        summary_line(both)
    )
    (root / "foo" / "modeling_foo.py").unlink()
    alone = check([root], settings)
    assert alone.summary.generated_sources == 0
    assert "generated" not in summary_line(alone)


def test_dropped_weight_names_the_subclass_that_drops_it() -> None:
    """A DW103 finding sits on the base class's line but names the subclass in which the weight
    is dead, which a line number cannot say."""
    expected = {
        "base_init_skipped": {("ForgetfulLoss", "ImageLoss", "empty_weight")},
        "modular_generated": {("BazLayer", "BarLayer", "gate")},
        "subclass_del": {("ForgetfulLayer", "DecoderLayer", "encoder_attn")},
    }
    for name, classes in expected.items():
        root = CONVENTIONS / name
        settings = Settings(select=("DW1",), min_confidence="low", use_cache=False, jobs=1, project_root=str(root))
        result = check([root], settings)
        assert {(f.class_name, f.defined_in, f.attribute) for f in result.findings if f.code == "DW103"} == classes


def test_generated_torch_table_records_forward_reads_and_weights() -> None:
    """tools/torch_nn_table.py wrote it from torch's sources; spot-check what it must know."""
    from deadweight.conventions import TORCH_NN

    reads, owned = TORCH_NN["Linear"]
    assert {"weight", "bias"} <= reads and owned == {"weight", "bias"}
    reads, owned = TORCH_NN["TransformerEncoderLayer"]
    assert {"self_attn", "linear1", "linear2", "norm1", "norm2"} <= reads  # through _sa_block / _ff_block
    assert TORCH_NN["ReLU"][1] == frozenset()

"""A weight whose only use is commented out: the finding quotes the line and says where it is."""

from __future__ import annotations

from pathlib import Path

from deadweight.extract.commented_code import commented_uses
from deadweight.rules.registry import builtin_rules
from deadweight.testing import run_files

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "commented_out" / "encoder.py"


def test_the_finding_quotes_the_commented_out_use() -> None:
    found = {f.attribute: f for f in run_files({"encoder.py": FIXTURE.read_text()}, builtin_rules())}
    assert sorted(found) == ["embedding_dropout", "gate", "scale"]
    assert found["embedding_dropout"].message == (
        "layer `embedding_dropout` (`nn.Dropout`) is never used: no method reads it; it holds no parameters, "
        "so removing it changes no checkpoint key; its only use is commented out, at line 18 "
        "(`h = self.embedding_dropout(h)`): restoring it may be the fix"
    )
    assert found["gate"].message.endswith(
        "its only use is commented out, at line 19 (`h = h * self.gate(h).sigmoid()`): restoring it may be the fix"
    )
    assert [(r.line, r.message) for r in found["gate"].related] == [(19, "the use, commented out")]
    # prose naming the attribute does not parse as code: the finding says nothing of it
    assert "commented out" not in found["scale"].message


def test_only_whole_line_comments_that_parse_count() -> None:
    text = (
        "x = 1  # self.trailing(x)\n"
        "# if self.norm is not None:\n"
        "# self.gate is kept for old checkpoints\n"
        "    ## out = self.to_out(out)\n"
    )
    assert commented_uses(text) == [
        (2, "if self.norm is not None:", ("norm",)),
        (4, "out = self.to_out(out)", ("to_out",)),
    ]

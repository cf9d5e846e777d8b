"""A read of `.name` on an object deadweight cannot type lowers a finding about `self.name` to
medium (the object may be this module); a read on a name bound by an import cannot be."""

from __future__ import annotations

from deadweight.rules.dw105_unused_layer import UnusedLayer
from deadweight.testing import run_files

MODEL = """\
import torch.nn as nn
import torch.nn.functional as F
from .config import defaults


class MLP(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):
        return {read}
"""


def verdict(read: str) -> list[tuple[int, str, str]]:
    found = run_files({"pkg/model.py": MODEL.format(read=read)}, [UnusedLayer])
    return [(f.line, str(f.confidence), f.message.split("(", 2)[-1]) for f in found]


def test_a_function_of_an_imported_module_is_not_this_layer() -> None:
    assert [(line, c) for line, c, _ in verdict("F.dropout(self.fc(x), 0.1)")] == [(10, "high")]


def test_an_attribute_of_an_imported_object_is_not_this_layer() -> None:
    assert [(line, c) for line, c, _ in verdict("self.fc(x) * defaults.dropout")] == [(10, "high")]


def test_a_read_on_an_untyped_object_still_lowers_the_confidence() -> None:
    found = run_files(
        {"pkg/model.py": MODEL.format(read="self.fc(x)") + "\n\ndef probe(model):\n    return model.dropout\n"},
        [UnusedLayer],
    )
    assert [(f.line, str(f.confidence)) for f in found] == [(10, "medium")]
    assert "`.dropout` is also read on an object of unknown type" in found[0].message

"""DW201's message says what goes wrong for what the container holds: keys and training for
layers with parameters; mode and device, and no key, for the project's parameter-free modules."""

from __future__ import annotations

from pathlib import Path

from deadweight.rules.dw201_unregistered_submodules import UnregisteredSubmodules
from deadweight.testing import run_files

FILLED = (Path(__file__).resolve().parents[1] / "fixtures" / "registration_rules" / "models" / "filled.py").read_text()


def test_messages_by_what_the_container_holds() -> None:
    found = {(f.class_name, f.attribute): f.message for f in run_files({"filled.py": FILLED}, [UnregisteredSubmodules])}
    assert sorted(found) == [
        ("GridTower", "grid"),
        ("GridTower", "stages"),
        ("LoopTower", "blocks"),
        ("LoopTower", "heads"),
        ("TorchDrops", "drops"),
        ("WrappedDrops", "drops"),
    ]
    assert found[("TorchDrops", "drops")] == found[("WrappedDrops", "drops")].replace("`Drop`", "`Dropout`")
    assert found[("WrappedDrops", "drops")] == (
        "`drops` keeps modules (`Drop`) in a plain container: they are not registered, so `.train()/.eval()` "
        "never reach them (their `self.training` stays as built) and `.to(device)` never moves them; use "
        "`nn.ModuleList` / `nn.ModuleDict`; they hold no parameters, so wrapping them changes no checkpoint key"
    )
    assert found[("LoopTower", "blocks")].startswith(
        "`blocks` keeps modules (`Linear`) in a plain container: they are not registered, so `parameters()`"
    )
    assert "the fix changes the state-dict keys of released checkpoints" in found[("LoopTower", "blocks")]
    # a list of lists of layers is named by what its inner lists hold
    assert found[("GridTower", "grid")].startswith("`grid` keeps modules (`Linear`) in a plain container")
    assert found[("GridTower", "stages")].startswith("`stages` keeps modules (`Conv1d`) in a plain container")

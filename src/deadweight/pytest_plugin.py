"""A pytest fixture for the runtime cross-check: `def test_model(deadweight_check_model): ...`.

Registered through the `pytest11` entry point, so a project that installs deadweight gets it
without a conftest. Importing this module imports nothing of torch; the check does, when called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from deadweight.runtime import RuntimeReport, check_model


@pytest.fixture
def deadweight_check_model() -> Callable[..., RuntimeReport]:
    """`check_model(model, *inputs, loss=..., root=...)`; assert on its `runtime_only` list."""

    def run(model: Any, *inputs: Any, **kwargs: Any) -> RuntimeReport:
        return check_model(model, *inputs, **kwargs)

    return run

"""Shared test setup."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_active_virtualenv(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the active virtualenv as the analyzed project's environment; tests must
    not depend on the one that runs them (tests of that behaviour set it themselves)."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)

"""The configured static tree against torch's `named_parameters()` on real timm, transformers
and diffusers classes (`bench/tree_vs_torch.py`'s cases, built with small configs on the meta
device). Runs where torch and those three libraries are installed and the corpora are unpacked
(DEADWEIGHT_CORPUS_DIR); skips otherwise. docs/tree-accuracy.md has every mismatch."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.realworld

BENCH = Path(__file__).resolve().parents[2] / "bench"
LIBRARIES = ("torch", "timm", "transformers", "diffusers")


def _bench() -> Any:
    sys.path.insert(0, str(BENCH))
    try:
        import tree_vs_torch

        return tree_vs_torch
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def measured() -> tuple[Any, dict[str, Any], dict[str, Any]]:
    missing = [m for m in LIBRARIES if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} installed")
    corpus = os.environ.get("DEADWEIGHT_CORPUS_DIR")
    bench = _bench()
    if not corpus or not all((Path(corpus) / d).is_dir() for d in bench.CORPORA.values()):
        pytest.skip("needs DEADWEIGHT_CORPUS_DIR with the timm, transformers and diffusers corpora")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cache = Path(tempfile.gettempdir()) / "deadweight-tree-accuracy-cache"
    static = bench.static_part(Path(corpus), cache, set())
    real = bench.real_part(set())
    return bench, static, real


def test_configured_names_equal_named_parameters_for_twenty_classes(measured: Any) -> None:
    bench, static, real = measured
    equal: dict[str, list[str]] = {}
    for case in bench.CASES:
        s, r = static[case.cls], real[case.cls]
        assert "error" not in s and "error" not in r, (case.cls, s.get("error"), r.get("error"))
        if "configured" not in s:
            continue
        k = bench.compare_configured(s["configured"], r["names"])
        if not k["missing"] and not k["extra"]:
            equal.setdefault(case.lib, []).append(case.cls)
    assert sum(map(len, equal.values())) >= 20, equal
    assert set(equal) == set(bench.CORPORA), equal  # timm, transformers and diffusers each


def test_the_configured_tree_never_calls_built_what_torch_does_not_build(measured: Any) -> None:
    bench, static, real = measured
    wrong = {
        case.cls: decided
        for case in bench.CASES
        if "configured" in static[case.cls]
        and (decided := bench.compare_configured(static[case.cls]["configured"], real[case.cls]["names"])["decided"])
    }
    assert not wrong, wrong

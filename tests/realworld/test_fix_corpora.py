"""`--fix` and `--add-suppressions` on copies of the @core corpora (realworld tier).

On each copy: `--fix` converges (a second run changes nothing), every changed file parses, and
the findings after it are exactly the findings before minus the ones it fixed. On
transformers, `--add-suppressions` leaves a project that passes, and a second run of it changes
nothing. The corpora are read in place and copied (their Python files only) to a temporary
directory; both copies share one facts cache, so only the first analysis is cold.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import libcst as cst
import pytest

from deadweight import api
from deadweight.config import load_settings
from deadweight.findings import Finding
from deadweight.settings import Settings
from tests.realworld.snapshot import unpack

pytestmark = pytest.mark.realworld
CORE = ["timm", "swissarmytransformer", "diffusers", "transformers"]


def _python_only(directory: str, names: list[str]) -> list[str]:
    keep = (".py", "pyproject.toml", "setup.cfg", ".gitignore")
    return [n for n in names if not (n.endswith(keep) or (Path(directory) / n).is_dir())]


def _copy(name: str, into: Path) -> tuple[Path, Settings]:
    source = unpack(name)
    copy = into / source.name
    shutil.copytree(source, copy, ignore=_python_only, symlinks=True)
    cache = into.parent / "cache"  # shared by every copy of this test session's corpus
    settings = load_settings([copy], isolated=True, overrides={"cache-dir": str(cache), "python": "none"})
    return copy, settings


def _identities(findings: list[Finding]) -> Counter[tuple[str, str, str, str, tuple[str, ...]]]:
    return Counter((f.code, f.path, f.class_name, f.attribute, f.codes) for f in findings)


@pytest.mark.parametrize("name", CORE)
def test_fix_converges_and_removes_exactly_what_it_fixed(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    root, settings = _copy(name, tmp_path_factory.mktemp(f"{name}-fix"))
    before = api.check([root], settings)
    outcome = api.fix([root], settings)
    for path in outcome.files:
        cst.parse_module((root / path).read_text(encoding="utf-8"))
    assert outcome.refused == []
    assert _identities(outcome.result.findings) == _identities(before.findings) - _identities(outcome.resolved)
    again = api.fix([root], settings)
    assert (again.fixed, again.files) == (0, [])
    print(
        f"{name}: {outcome.fixed} safe fixes in {len(outcome.files)} files, {outcome.passes} pass(es); "
        f"{len(before.findings)} findings before, {len(outcome.result.findings)} after; "
        f"{outcome.unsafe_available} more with --unsafe-fixes"
    )


def test_add_suppressions_on_transformers_then_a_run_passes(tmp_path_factory: pytest.TempPathFactory) -> None:
    root, settings = _copy("transformers", tmp_path_factory.mktemp("transformers-suppress"))
    outcome = api.add_suppressions([root], settings)
    assert outcome.unsuppressible == [] and outcome.refused == []
    assert outcome.fixed > 0
    assert (outcome.result.findings, outcome.result.errors) == ([], [])
    again = api.add_suppressions([root], settings)
    assert (again.fixed, again.files) == (0, [])
    print(f"transformers: {outcome.fixed} findings suppressed by comments in {len(outcome.files)} files")

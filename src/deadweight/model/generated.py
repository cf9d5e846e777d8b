"""Which extracted files the model judges: generated copies win over their sources."""

from __future__ import annotations

from deadweight.conventions import GENERATED_FROM
from deadweight.extract.facts import FileFacts


def drop_generated_sources(facts: list[FileFacts]) -> list[FileFacts]:
    """Leave out source files whose generated sibling is present (`conventions.GENERATED_FROM`).

    transformers writes each model twice: a `modular_x.py` that inherits from other models and
    deletes what it does not need, and the `modeling_x.py` generated from it, which is what
    runs. Analyzing both would report each defect twice, the modular copy against another
    model's base class; the generated file is the truth, so only it is judged.
    """
    paths = {f.path for f in facts}
    return [f for f in facts if not any(_sibling(f.path, rule) in paths for rule in GENERATED_FROM)]


def _sibling(path: str, rule: tuple[str, str]) -> str | None:
    """`a/modular_x.py` -> `a/modeling_x.py` for the rule ("modular_", "modeling_"); else None."""
    source, generated = rule
    head, sep, name = path.rpartition("/")
    if not name.startswith(source):
        return None
    return f"{head}{sep}{generated}{name[len(source) :]}"

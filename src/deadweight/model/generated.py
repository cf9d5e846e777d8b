"""Which extracted files the model judges: generated copies win over their sources."""

from __future__ import annotations

from deadweight.conventions import GENERATED_FROM
from deadweight.extract.facts import FileFacts


def generated_sources(facts: list[FileFacts]) -> dict[str, str]:
    """Source files whose generated sibling is present (`conventions.GENERATED_FROM`), each
    with the generated file judged in its place.

    transformers writes each model twice: a `modular_x.py` that inherits from other models and
    deletes what it does not need, and the `modeling_x.py` generated from it, which is what
    runs. Analyzing both would report each defect twice, the modular copy against another
    model's base class; the generated file is the truth, so only it is judged.
    """
    paths = {f.path for f in facts}
    out: dict[str, str] = {}
    for f in facts:
        for rule in GENERATED_FROM:
            generated = _sibling(f.path, rule)
            if generated in paths:
                out[f.path] = generated
                break
    return out


def _sibling(path: str, rule: tuple[str, str]) -> str | None:
    """`a/modular_x.py` -> `a/modeling_x.py` for the rule ("modular_", "modeling_"); else None."""
    source, generated = rule
    head, sep, name = path.rpartition("/")
    if not name.startswith(source):
        return None
    return f"{head}{sep}{generated}{name[len(source) :]}"


def drop_generated_sources(facts: list[FileFacts]) -> list[FileFacts]:
    """The files the model judges: all but the sources of generated files."""
    sources = generated_sources(facts)
    return [f for f in facts if f.path not in sources]

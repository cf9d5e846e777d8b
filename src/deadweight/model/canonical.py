"""Values by what they say, for comparing the answers of two runs."""

from __future__ import annotations

import dataclasses

from deadweight.extract.facts import FileFacts
from deadweight.model.project import ClassInfo

_FACTS = FileFacts.__module__


def canonical(value: object) -> object:
    """Classes by key, files by path, facts by their fields: equal answers of two runs (two
    linked projects, whose objects differ) compare equal."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, ClassInfo):
        return ("class", value.key)
    if isinstance(value, FileFacts):
        return ("file", value.path)
    if isinstance(value, dict):
        return tuple((canonical(k), canonical(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(canonical(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(canonical(v)) for v in value))
    if type(value).__module__ == _FACTS:  # plain data all the way down: its repr says it all
        return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *(canonical(getattr(value, f.name)) for f in dataclasses.fields(value)))
    return repr(value)

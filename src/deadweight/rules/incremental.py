"""Judging again only what an edit can change: per-unit verdicts kept between runs.

A whole run judges the project one unit at a time (the classes of one file, see
`rules.context.judge_unit`) and records every input each unit read (`model.deps`). This
module keeps, beside the findings of each unit, those inputs and what each input was: each
file's content digest, each class's links, the set of class and function keys, and the
answer of every project-wide index key some unit looked up. The next run links the whole
project again (that is what tells it what the inputs are now), compares, and judges only the
units that read an input whose value changed; every other unit's findings are reused. The
findings are those of a whole run by construction: a reused unit read nothing that changed,
and judging is deterministic in what it reads (`tests/test_incremental.py` checks it on
random edits).

Anything that is not compared input by input makes the state unusable and the run whole: a
different engine, settings, rule set or environment, or a different set of modules (a file
added, removed, or turned unparsable, which changes what names resolve to). The state is a
cache: a damaged or missing one costs a whole run, never an error.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from deadweight.engine.runcache import finding_from_dict
from deadweight.extract.facts import FileFacts, Span
from deadweight.findings import Finding
from deadweight.model import deps
from deadweight.model.canonical import canonical
from deadweight.model.contributed import Record, digest, text_digest
from deadweight.model.project import Project
from deadweight.rules.base import Rule
from deadweight.rules.context import Context, UnitResult, judge_unit, merge

FORMAT = 4  # 2: findings stored as `Finding.to_dict` gives them; 3: a file's names apart; 4: positions
_MAGIC = b"deadweight-judged\n"


@dataclass
class Outcome:
    """What an incremental run did (for `-v`, tests and `bench/`)."""

    judged: int = 0  # units judged this run
    reused: int = 0  # units whose findings were reused
    whole: str | None = None  # why every unit was judged, when it was


def _shape(text: str) -> bytes:
    """A digest of a repr made under `_marked_spans`, without its positions."""
    return text_digest("".join(text.split("\0")[::2]))


def _marked_repr(span: Span) -> str:
    return f"\0{span.line},{span.column},{span.end_line},{span.end_column}\0"


@contextmanager
def _marked_spans() -> Iterator[None]:
    """Spans repr'd between NULs, which no repr of a string holds: one `repr` of a class's
    facts then gives both its shape (the text between them) and its positions (a regular
    expression over the usual reprs took as long as a second repr)."""
    original = Span.__repr__
    Span.__repr__ = _marked_repr  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Span.__repr__ = original  # type: ignore[method-assign]


def _index_value(project: Project, dep: str) -> bytes:
    name, _, key = dep[2:].partition(":")
    index = project.indexes.get(name)
    if index is None:
        return b"<no index>"
    return digest(canonical(index.value(key)))


def _facts_digests(project: Project, path: str) -> tuple[bytes, bytes, dict[str, bytes], bytes]:
    """What a unit can read of a file, each apart: its module-level facts (its functions, its
    calls), its names (what resolving a name in it reads: `deps.names_dep`), each class's
    facts, and the positions of them all. Not the line count or the suppressions (the filter
    reads those in every run): a comment that moves no line changes nothing a unit read, and
    one that moves every line changes only what was read of the file's positions."""
    f = project.modules_by_path[path]
    module = (
        f.module,
        f.imports,
        f.assignments,
        f.class_tables,
        [c.qualname for c in f.classes],
        f.functions,
        sorted(f.external_reads),
        sorted(f.external_calls),
        f.external_grabs,
        f.ctor_args,
    )
    functions = [fn.name for fn in f.functions]
    names = (f.module, f.imports, f.assignments, f.class_tables, [c.qualname for c in f.classes], functions)
    infos = project.by_file.get(path, ())
    with _marked_spans():
        module_text = repr(module)
        texts = {}
        commented_lines = []
        for info in infos:
            facts = info._facts
            if facts.commented:  # (attribute, line, code): the line is a position too
                commented_lines.append([line for _, line, _ in facts.commented])
                facts = replace(facts, commented=tuple((attr, 0, text) for attr, _, text in facts.commented))
            texts[info.key] = repr(facts)
    classes = {key: _shape(text) for key, text in texts.items()}
    positions = text_digest("\0".join([module_text, *texts.values(), repr(commented_lines)]))
    return _shape(module_text), digest(names), classes, positions


def _link_digests(project: Project) -> dict[str, bytes]:
    return {key: digest(info.link_record()) for key, info in project.classes.items()}


def _keys(project: Project) -> list[str]:
    return sorted([*project.classes, *project.functions])


@dataclass
class Inputs:
    """What the inputs of this run are: digests of the files, the links and the keys."""

    files: dict[str, bytes]  # path -> content digest (project and environment files with facts)
    context: str  # everything that makes the state unusable when it differs
    links: dict[str, bytes] | None = None  # class key -> digest of its link record, once computed

    def link_digests(self, project: Project) -> dict[str, bytes]:
        """Compared, then stored: computed once per run (11,000 records on transformers)."""
        if self.links is None:
            self.links = _link_digests(project)
        return self.links


def inputs(facts: Sequence[FileFacts], digests: dict[str, bytes | None], context: str) -> Inputs:
    return Inputs({f.path: digests.get(f.path) or b"" for f in facts}, context)


class Table:
    """The inputs a state names, each once: units and contributors list their ids (a run on
    transformers names ~80,000 inputs in ~4 million places)."""

    def __init__(self, strings: list[str]) -> None:
        self.strings = strings
        self._ids = {s: i for i, s in enumerate(strings)}

    def encode(self, names: Iterable[str]) -> list[int]:
        out = []
        for name in names:
            i = self._ids.get(name)
            if i is None:
                i = self._ids[name] = len(self.strings)
                self.strings.append(name)
            out.append(i)
        out.sort()
        return out

    def stale(self, changed: set[str]) -> Callable[[list[int]], bool]:
        """Whether a list of ids names a changed input (or inputs not known)."""
        ids = {self._ids[c] for c in changed if c in self._ids}
        if changed and deps.EVERYTHING in self._ids:
            ids.add(self._ids[deps.EVERYTHING])
        return lambda read: not ids.isdisjoint(read)


class State:
    """The previous run's units and inputs, as stored."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.table = Table(data["strings"])
        self.files: dict[str, bytes] = data["files"]
        self.facts: dict[str, tuple[bytes, bytes, dict[str, bytes], bytes]] = data["facts"]
        self.links: dict[str, bytes] = data["links"]
        self.keys: list[str] = data["keys"]
        self.index: dict[str, bytes] = data["index"]
        self.units: dict[str, tuple[list[dict[str, Any]], list[int]]] = data["units"]
        self.families: dict[str, Record] = {
            name: Record(record["reads"], record["puts"]) for name, record in data["families"].items()
        }


def _entry(directory: Path, slot: str) -> Path:
    return directory / "judged" / f"{slot}.bin"


def load(directory: Path, slot: str, context: str) -> State | None:
    try:
        raw = _entry(directory, slot).read_bytes()
        if not raw.startswith(_MAGIC):
            return None
        check, body = raw[len(_MAGIC) : len(_MAGIC) + 16], raw[len(_MAGIC) + 16 :]
        if hashlib.blake2b(body, digest_size=16).digest() != check:
            return None  # truncated or damaged: never read half a state
        data = marshal.loads(body)
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("context") != context:
            return None
        return State(data)
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        return None


def store(directory: Path, slot: str, context: str, payload: dict[str, Any]) -> None:
    target = _entry(directory, slot)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            body = marshal.dumps({"format": FORMAT, "context": context, **payload})
            out.write(_MAGIC + hashlib.blake2b(body, digest_size=16).digest() + body)
        os.replace(tmp, target)
    except (OSError, ValueError):
        return  # a read-only or full cache directory only costs speed


def _finding_data(f: Finding) -> dict[str, Any]:
    d = f.to_dict()
    d["confidence"] = str(f.confidence)  # marshal stores exact str, not the enum
    d["claim"] = list(f.claim) if f.claim is not None else None
    return d


def _finding(d: dict[str, Any]) -> Finding:
    claim = d.get("claim")
    return replace(finding_from_dict(d), claim=(claim[0], claim[1], claim[2]) if claim else None)


def changed_inputs(ctx: Context, state: State, now: Inputs) -> set[str] | None:
    """The inputs whose value differs from the stored run's; None when the two runs cannot be
    compared input by input (another set of modules)."""
    if set(state.files) != set(now.files):
        return None
    project = ctx.project
    changed: set[str] = set()
    for path, content in now.files.items():
        if state.files[path] == content:
            continue
        module, names, classes, positions = _facts_digests(project, path)
        old_module, old_names, old_classes, old_positions = state.facts.get(path, (b"", b"", {}, b""))
        if module != old_module:
            changed.add(deps.file_dep(path))
        if names != old_names:
            changed.add(deps.names_dep(path))
        if positions != old_positions:
            changed.add(deps.position_dep(path))
        changed.update("c:" + k for k in classes.keys() | old_classes.keys() if classes.get(k) != old_classes.get(k))
    links = now.link_digests(project)
    for key in set(links) | set(state.links):
        if links.get(key) != state.links.get(key):
            changed.add("l:" + key)
    keys = set(_keys(project))
    changed.update("k:" + k for k in keys.symmetric_difference(state.keys))
    families = ctx.families()
    kept = {name for family in families.values() for name in family.indexes}
    if changed:
        ctx.build_indexes()
        for dep, stored in state.index.items():
            if dep[2:].partition(":")[0] not in kept and _index_value(project, dep) != stored:
                changed.add(dep)
    # Contributors read the simple indexes (a constructor call's argument types), never the
    # other way round: the families are compared after them, in their order.
    for name, family in families.items():
        record = state.families.get(name)
        if record is None:
            return None
        family.update(record, state.table.stale(changed))
        changed |= family.changed
    return changed


def judge(
    ctx: Context,
    rules: list[type[Rule]],
    now: Inputs,
    directory: Path,
    slot: str,
    outcome: Outcome | None = None,
) -> list[Finding]:
    """The findings of a whole run, judging again only the units an edit can change."""
    outcome = outcome if outcome is not None else Outcome()
    state = load(directory, slot, now.context)
    changed = changed_inputs(ctx, state, now) if state is not None else None
    if state is None:
        outcome.whole = "no stored run to compare with"
    elif changed is None:
        outcome.whole = "the set of modules changed"
    usable = state is not None and changed is not None
    table = state.table if state is not None and usable else Table([])
    stale = table.stale(changed or set())
    results: list[UnitResult] = []
    reads: dict[str, list[int]] = {}
    for path in ctx.units():
        old = state.units.get(path) if state is not None and usable else None
        if old is not None and not stale(old[1]):
            results.append(UnitResult(path, [_finding(d) for d in old[0]], frozenset()))
            reads[path] = old[1]
            outcome.reused += 1
            continue
        judged = judge_unit(ctx.unit(path), rules)
        results.append(judged)
        reads[path] = table.encode(judged.deps)
        outcome.judged += 1
    found = merge(results)
    if changed is None or changed:
        store(directory, slot, now.context, _payload(ctx, results, reads, table, now, state, changed))
    return found


def _payload(
    ctx: Context,
    results: list[UnitResult],
    reads: dict[str, list[int]],
    table: Table,
    now: Inputs,
    state: State | None,
    changed: set[str] | None,
) -> dict[str, Any]:
    project = ctx.project
    families = ctx.families()
    kept = {name for family in families.values() for name in family.indexes}
    named = {i for ids in reads.values() for i in ids}
    looked_up = {
        d for d in (table.strings[i] for i in named) if d.startswith("i:") and d[2:].partition(":")[0] not in kept
    }
    index: dict[str, bytes] = {}
    for dep in looked_up:
        if state is not None and changed is not None and dep in state.index and dep not in changed:
            index[dep] = state.index[dep]  # compared equal this run
        else:
            index[dep] = _index_value(project, dep)
    records = {}
    for name, family in families.items():
        record = family.record(table.encode)
        records[name] = {"reads": record.reads, "puts": record.puts}
    facts = {
        path: state.facts[path]
        if state is not None and state.files.get(path) == content and path in state.facts
        else _facts_digests(project, path)
        for path, content in now.files.items()
    }
    return {
        "strings": table.strings,
        "files": now.files,
        "facts": facts,
        "links": now.link_digests(project),
        "keys": _keys(project),
        "index": index,
        "families": records,
        "units": {u.path: ([_finding_data(f) for f in u.findings], reads[u.path]) for u in results},
    }

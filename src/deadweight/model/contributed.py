"""Project-wide indexes kept contributor by contributor, so an edit rebuilds only its part.

The holders index (who reads `self.<child>.<attr>` on which class) and the holder edges of
the dotted names are filled by every class of the project: rebuilding them whole took 1.7 s
of a one-file edit on transformers. Each is the concatenation, in project order, of what each
contributor (one class, or one file's functions) puts under each key, and a contributor's
part depends only on what it reads. So each contributor's part is computed in its own frame
(`model.deps`), and a run keeps, for the next, each contributor's inputs and a digest of what
it put under each key. After an edit, only the contributors that read a changed input are
computed again; a key changed when one of them now puts something else under it; and a key
a re-judged unit looks up is assembled from the parts of the contributors that put something
under it, computed on demand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from deadweight.model import deps

# What one contributor puts in the family's indexes: (index name, key, item), in order.
Part = list[tuple[str, str, Any]]
Merge = Callable[[Any, Iterable[Any]], Any]  # (empty value or None, items in order) -> value


def text_digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).digest()


def digest(value: object) -> bytes:
    """What two runs compare of a value: a digest of its repr."""
    return text_digest(repr(value))


@dataclass
class Record:
    """A family's state as a run stores it: per contributor, its inputs and, per index and
    key, the digest of what it put there."""

    reads: dict[str, list[int]] = field(default_factory=dict)  # ids in the state's table of inputs
    puts: dict[str, dict[str, bytes]] = field(default_factory=dict)  # cid -> {"index\0key": digest}


class Family:
    """Indexes filled by one pass over contributors (`compute(cid)` returns its part)."""

    def __init__(
        self,
        order: list[str],
        compute: Callable[[str], Part],
        merges: dict[str, Merge],
    ) -> None:
        self.order = order
        self._position = {cid: i for i, cid in enumerate(order)}
        self._compute = compute
        self.indexes = {name: _LazyIndex(name, self) for name in merges}
        self._merges = merges
        self._parts: dict[str, Part] = {}
        self._reads: dict[str, list[str]] = {}
        self._put_digests: dict[str, dict[str, bytes]] = {}
        self._contributors: dict[tuple[str, str], list[str]] | None = None
        self._old: Record | None = None
        self.changed: set[str] = set()  # `i:` inputs whose answer differs from the old run's

    def _part(self, cid: str) -> Part:
        hit = self._parts.get(cid)
        if hit is None:
            depth = deps.open_frame()
            try:
                hit = self._compute(cid)
            finally:
                node = deps.close(depth)
            self._parts[cid] = hit
            self._reads[cid] = sorted(deps.flatten(node))
        return hit

    def _puts(self, cid: str) -> dict[str, bytes]:
        hit = self._put_digests.get(cid)
        if hit is None:
            grouped: dict[str, list[Any]] = {}
            for index, key, item in self._part(cid):
                grouped.setdefault(f"{index}\0{key}", []).append(item)
            # Items are plain data whose repr says what they are (classes by `<ClassInfo key>`,
            # facts by their fields, files by path): the repr is the canonical form.
            hit = self._put_digests[cid] = {k: digest(v) for k, v in grouped.items()}
        return hit

    def build(self) -> None:
        """Every contributor's part (a run with nothing to compare with)."""
        with deps.isolated():
            contributors: dict[tuple[str, str], list[str]] = {}
            for cid in self.order:
                for index, key, _ in self._part(cid):
                    who = contributors.setdefault((index, key), [])
                    if not who or who[-1] != cid:
                        who.append(cid)
        self._contributors = contributors

    def update(self, old: Record, stale: Callable[[list[int]], bool]) -> None:
        """Compute again the parts of the contributors that read a changed input (`stale`)
        or are new, and note the keys whose answer changed."""
        self._old = old
        dirty = [cid for cid in self.order if cid not in old.reads or stale(old.reads[cid])]
        gone = set(old.reads) - set(self._position)
        contributors: dict[tuple[str, str], list[str]] = {}
        for cid, puts in old.puts.items():
            if cid in gone:
                continue
            for k in puts:
                index, _, key = k.partition("\0")
                contributors.setdefault((index, key), []).append(cid)
        with deps.isolated():
            for cid in dirty:
                before = old.puts.get(cid, {})
                after = self._puts(cid)
                for k in before.keys() | after.keys():
                    if before.get(k) != after.get(k):
                        index, _, key = k.partition("\0")
                        self.changed.add(self.indexes[index].dep(key))
                for k in before.keys() - after.keys():
                    index, _, key = k.partition("\0")
                    contributors[(index, key)].remove(cid)
                for k in after.keys() - before.keys():
                    index, _, key = k.partition("\0")
                    contributors.setdefault((index, key), []).append(cid)
        for cid in gone:
            for k in old.puts.get(cid, {}):
                index, _, key = k.partition("\0")
                self.changed.add(self.indexes[index].dep(key))
        for who in contributors.values():
            who.sort(key=self._position.__getitem__)
        self._contributors = contributors

    def value(self, index: str, key: str) -> tuple[bool, Any]:
        """(whether some contributor put something under the key, the merged value)."""
        if self._contributors is None:
            self.build()
        assert self._contributors is not None
        who = self._contributors.get((index, key))
        if not who:
            return False, None
        with deps.isolated():
            items = [item for cid in who for i, k, item in self._part(cid) if i == index and k == key]
        return True, self._merges[index](None, items)

    def record(self, encode: Callable[[Iterable[str]], list[int]]) -> Record:
        """The state for the next run: recomputed contributors' new parts, the others' old."""
        if self._contributors is None:
            self.build()
        out = Record()
        for cid in self.order:
            if cid in self._reads:
                out.reads[cid] = encode(self._reads[cid])
                out.puts[cid] = self._puts(cid)
            elif self._old is not None and cid in self._old.reads:
                out.reads[cid] = self._old.reads[cid]
                out.puts[cid] = self._old.puts.get(cid, {})
        return out


class _LazyIndex(deps.Index[str, Any]):
    """One index of a family: a key's value is assembled on first lookup."""

    __slots__ = ("_family", "_known")

    def __init__(self, name: str, family: Family) -> None:
        super().__init__(name)
        self._family = family
        self._known: set[str] = set()

    def _fill(self, key: Hashable) -> None:
        k = str(key)
        if k not in self._known:
            self._known.add(k)
            found, value = self._family.value(self.name, k)
            if found:
                dict.__setitem__(self, k, value)

    def get(self, key: str, default: Any = None) -> Any:
        self._fill(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self._fill(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._fill(key)
        return super().__contains__(key)

    def value(self, key: str) -> object:
        self._fill(key)
        return super().value(key)


def concat(_: Any, items: Iterable[Any]) -> list[Any]:
    return list(items)


def present(_: Any, items: Iterable[Any]) -> None:
    return None


def nested(_: Any, items: Iterable[tuple[str, Any]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for sub, item in items:
        out.setdefault(sub, []).append(item)
    return out


def concat_once(_: Any, items: Iterable[tuple[Hashable, Any]]) -> list[Any]:
    """Items in order, each token once (a read inherited by several classes)."""
    seen: set[Hashable] = set()
    out: list[Any] = []
    for token, item in items:
        if token not in seen:
            seen.add(token)
            out.append(item)
    return out

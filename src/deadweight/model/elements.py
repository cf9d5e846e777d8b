"""The elements of a container that every use leaves out: `for stage in self.stages[1:]` never
applies `stages[0]`, whose parameters still train on nothing and sit in every checkpoint.

Liveness is per attribute, so a container read anywhere is live as a whole; this looks inside
when every read of it takes a literal index or slice (`Read.index`). With a constant count
(`nn.Sequential(a, b, c)`, `range(3)`) the left-out indices are exact; with a count that is a
setting (`range(n_stages)`) an element is named only when it is left out for every count that
has it: the first ones (`[1:]`) or the last ones (`[:-1]`), never "from index 3 on", which
depends on the count.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from deadweight.conventions import CONTAINERS
from deadweight.extract import facts as F
from deadweight.model.reach import Liveness, Use

_SAMPLES = 24  # counts tried for a count that is a setting (1..24): a slice's shape repeats by then
_NAMED = 4  # left-out elements named before "and more"
_INDEXED = ("ModuleList", "Sequential")  # containers read by position (a ModuleDict is read by key)


@dataclass(frozen=True, slots=True)
class Skipped:
    head: tuple[int, ...]  # indices from the start that no use takes (0: the first)
    tail: tuple[int, ...]  # offsets from the end that no use takes (0: the last), count a setting
    count: str | None  # the count as the code spells it (`n_stages`), None when not read
    constant: bool  # the count is a constant, so `head` lists every left-out index
    uses: tuple[Use, ...]  # the reads, each with its index or slice
    renumbers: bool = True  # a used element comes after a left-out one: removing shifts its keys

    def labels(self) -> list[str]:
        """Each left-out element as a key segment: `0`, and `-1` for the last."""
        return [str(i) for i in self.head] + [str(-1 - j) for j in self.tail]


def skipped_elements(lv: Liveness) -> Skipped | None:
    """The elements of `lv`'s container that no use reaches, when every use is a literal
    subscript and nothing else can reach the items (no holder, no escape, no alias)."""
    w = lv.weight
    if w.kind != F.MODULE or (w.write.ctor or "").rsplit(".", 1)[-1] not in _INDEXED:
        return None
    if not lv.value_uses or any(u.read.index is None for u in lv.value_uses):
        return None
    others = lv.holder_uses or lv.passed_self or lv.pattern or lv.stored_call or lv.dynamic
    if others or lv.escapes or lv.read_elsewhere or lv.populated or lv.holder_guess:
        return None
    if any(u.read.kind in (F.VALUE, F.PASSED) for u in lv.init_uses):
        return None  # `self.first = self.layers[0]` in __init__: an item kept under another name
    built = [x for x in w.writes if x.kind == F.MODULE and (x.ctor or "").rsplit(".", 1)[-1] in CONTAINERS]
    if len(built) != 1:
        return None  # refilled or replaced: which items it ends with is not one expression
    count = _count(built[0])
    indices = [u.read.index or "" for u in lv.value_uses]
    if isinstance(count, int):
        covered = _covered(indices, count)
        left = sorted(set(range(count)) - covered)
        if not left:
            return None
        later = bool(covered) and max(covered) > left[0]
        return Skipped(tuple(left), (), str(count), True, tuple(lv.value_uses), later)
    if count is None and not built[0].elements:
        return None  # `nn.Sequential(*layers)`: how many items, and which, is not read
    head, tail = _always_left_out(indices)
    if not head and not tail:
        return None
    return Skipped(head, tail, count, False, tuple(lv.value_uses), bool(head))


def _count(write: F.Write) -> int | str | None:
    if write.items:
        return len(write.items)
    if write.count is None:
        return None
    try:
        value = ast.literal_eval(write.count)  # `3`, or the list a comprehension runs over: `[0, 1]`
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return write.count
    if isinstance(value, bool):
        return write.count
    if isinstance(value, int):
        return value
    return len(value) if isinstance(value, (list, tuple)) else write.count


def _covered(indices: list[str], n: int) -> set[int]:
    """The positions of an `n`-item container that any of the subscripts takes."""
    out: set[int] = set()
    positions = range(n)
    for index in indices:
        parts = index.split(":")
        if len(parts) == 1:
            k = int(parts[0])
            if -n <= k < n:
                out.add(k % n)
            continue
        lower, upper, step = (int(p) if p else None for p in parts)
        out.update(positions[slice(lower, upper, step)])
    return out


def _always_left_out(indices: list[str]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Head indices and tail offsets that no subscript takes for any count that has them."""
    left = {n: set(range(n)) - _covered(indices, n) for n in range(1, _SAMPLES + 1)}
    head = [i for i in range(_SAMPLES - 1) if all(i in left[n] for n in left if n > i)]
    tail = [j for j in range(_SAMPLES - 1) if all(n - 1 - j in left[n] for n in left if n > j)]
    return _bounded(head), _bounded(tail)


def _bounded(positions: list[int]) -> tuple[int, ...]:
    """Drop an open run to the end of the samples (`[:3]` leaves out 3, 4, 5, ...): those
    elements exist only when the count is large enough, so naming them would speak of a
    configuration, not of the code. A strided pattern (1, 3, 5, ...) stays."""
    if not positions or positions[-1] != _SAMPLES - 2:
        return tuple(positions)
    start = len(positions) - 1
    while start > 0 and positions[start - 1] == positions[start] - 1:
        start -= 1
    return tuple(positions) if len(positions) - start < 2 else tuple(positions[:start])


def describe_skipped(s: Skipped) -> str:
    """`element 0`, `elements 0 and 2`, `the last element`: the left-out items in words."""
    words: list[str] = []
    if s.head:
        shown = [str(i) for i in s.head[:_NAMED]]
        more = len(s.head) - len(shown)
        if more > 0:
            listed = ", ".join(shown) + (f" and {more} more" if s.constant else " and others")
        else:
            listed = " and ".join([", ".join(shown[:-1]), shown[-1]]) if len(shown) > 1 else shown[0]
        words.append(f"element{'s' if len(s.head) > 1 else ''} {listed}")
    for j in s.tail[:_NAMED]:
        words.append(
            "the last element"
            if j == 0
            else "the second-to-last element"
            if j == 1
            else f"the element {j} before the last"
        )
    if len(s.tail) > _NAMED:
        words.append("others before them")
    return " and ".join(words) if len(words) <= 2 else ", ".join(words[:-1]) + " and " + words[-1]


def written(index: str) -> str:
    """A canonical `Read.index` as the subscript is written: `1::` is `[1:]`, `-1` is `[-1]`."""
    parts = index.split(":")
    if len(parts) == 1:
        return f"[{index}]"
    lower, upper, step = parts
    return f"[{lower}:{upper}" + (f":{step}]" if step else "]")


def element_keys(names: list[str], labels: tuple[str, ...]) -> list[str]:
    """A container's own key names (`*.weight`, or `0.weight` for literal items) narrowed to the
    left-out elements: `0.weight`; the last of a count that is a setting as `<last>.weight`."""
    out: list[str] = []
    for label in labels:
        segment = "<last>" if label == "-1" else f"<last-{-1 - int(label)}>" if label.startswith("-") else label
        for name in names:
            first, _, rest = name.partition(".")
            if first == "*" or first == label:
                out.append(f"{segment}.{rest}" if rest else segment)
    return list(dict.fromkeys(out))

"""What each unit of judgement read: the inputs an incremental run compares.

A one-file edit should re-judge only the classes whose verdicts can change. Which those are is
not written in the code: a verdict reads its class's file, the files of its bases, the
attributes other classes read on it (a project-wide index), the files its names resolve
through. So the model records, while it judges, every input it reads, as plain strings:

- a class's facts (`c:<key>`), touched where they are read, and a file's module-level facts
  (`f:<path>`: imports, module aliases, functions), touched where its functions are read;
  both without their positions, so an edit that only moves lines of a class leaves the
  class's readers alone;
- a file's positions (`p:<path>`: every line and column of its facts), touched for each file
  a unit's findings point into, and where a position is read to choose among places in
  several files or to be written into a message without its file (`position`);
- a file's names (`n:<path>`: what its imports, aliases, tables, classes and functions are
  called, without a line), touched where a name is resolved in the file: an edit that moves
  every line of a file leaves alone the many files that only resolve a name through it;
- a class's links (`l:<key>`: its bases, MRO, subclasses, module-ness), touched where they
  are read, because they are computed from other files than the class's own;
- the existence of a class or function key (`k:<key>`), touched by a lookup that may miss;
- a key of a project-wide index (`i:<index>:<key>`), touched by a lookup.

Memoised answers replay what their computation touched (`Memo`), as salsa and rust-analyzer
do, so a class judged after another one that filled a memo still records the inputs. A memo's
inputs are kept as a node of a graph (what it touched itself, and the nodes of the memos it
hit), and a hit adds only a reference to the node: copying every memo's inputs into every
memo that hits it cost 4 million set entries on transformers. A unit's inputs are the union
over the nodes it reaches, computed once when the unit ends.

Recording is always on, so that no memo filled outside a unit (while linking) is left
without its inputs; outside a unit, hits record nothing.

Keys of project-wide indexes are compared by value between runs (`Index`): the index is
rebuilt whole, and a unit is re-judged only when a key it looked up has another answer.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from sys import intern
from typing import Any, TypeVar, cast

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

EVERYTHING = "*"  # the inputs are not known: dirty whenever anything changed
NONEMPTY = "<nonempty>"  # the key an index's truth value is recorded under


class Node:
    """The inputs of one memoised computation: its own touches and the nodes it hit."""

    __slots__ = ("direct", "kids")

    def __init__(self, direct: tuple[str, ...], kids: tuple[Node, ...]) -> None:
        self.direct = direct
        self.kids = kids


# The open frames, innermost last: `frame` collects the innermost's touches, `kids` the nodes
# of the memos it hit (module globals: read on every access of a class's facts). The root
# frame is never read.
_root: set[str] = set()
_root_kids: set[Node] = set()
_frames: list[tuple[set[str], set[Node]]] = [(_root, _root_kids)]
frame: set[str] = _root
kids: set[Node] = _root_kids
_UNKNOWN = Node((EVERYTHING,), ())
_EMPTY = Node((), ())
_file_inputs: dict[tuple[str, str], str] = {}


def _file_input(kind: str, path: str) -> str:
    """`<kind>:<path>`, built and interned once per file (touched on every resolution)."""
    d = _file_inputs.get((kind, path))
    if d is None:
        d = _file_inputs[kind, path] = intern(f"{kind}:{path}")
    return d


def file_dep(path: str) -> str:
    return _file_input("f", path)


def names_dep(path: str) -> str:
    return _file_input("n", path)


def position_dep(path: str) -> str:
    return _file_input("p", path)


def position(path: str) -> None:
    """Touch a file's positions (`p:<path>`)."""
    frame.add(_file_input("p", path))


def touch(dep: str) -> None:
    frame.add(dep)


def open_frame() -> int:
    """Open a frame; returns the depth to `close` it at."""
    global frame, kids
    depth = len(_frames)
    frame, kids = set(), set()
    _frames.append((frame, kids))
    return depth


def close(depth: int) -> Node:
    """Close every frame opened since `depth` (a miss never stored leaves one open) into one
    node, which the frame around them then references."""
    global frame, kids
    depth = max(depth, 1)
    direct, below = _frames.pop()
    while len(_frames) > depth:
        d, k = _frames.pop()
        direct |= d
        below |= k
    if direct:
        node = Node(tuple(direct), tuple(below))
    elif len(below) == 1:
        node = next(iter(below))
    elif below:
        node = Node((), tuple(below))
    else:
        node = _EMPTY
    frame, kids = _frames[-1]
    if len(_frames) > 1 and node is not _EMPTY:
        kids.add(node)
    return node


def flatten(node: Node) -> set[str]:
    """Every input a node reaches."""
    out = set(node.direct)
    seen: set[int] = set()
    todo = list(node.kids)
    while todo:
        n = todo.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        out.update(n.direct)
        todo.extend(n.kids)
    return out


def reset() -> None:
    """Forget the root frame's contents (between runs in one process)."""
    global frame, kids
    del _frames[1:]
    _root.clear()
    _root_kids.clear()
    frame, kids = _root, _root_kids


@contextmanager
def unit() -> Iterator[set[str]]:
    """Record one unit of judgement: the set it yields holds its inputs once the body ran."""
    depth = open_frame()
    out: set[str] = set()
    try:
        yield out
    finally:
        out |= flatten(close(depth))


@contextmanager
def isolated() -> Iterator[None]:
    """Build a project-wide index: what the build reads is not an input of the unit that
    first asked for it (that unit depends on the keys it looks up, and an incremental run
    compares each key's value), but memos filled on the way still keep their inputs."""
    global frame, kids
    depth = open_frame()
    try:
        yield
    finally:
        del _frames[max(depth, 1) :]
        frame, kids = _frames[-1]


_MISS = object()


class Memo(dict[K, V]):
    """A memo whose hits replay the inputs of the computation that filled them.

    The model's caches follow one shape: look up; on a miss compute and store. A miss opens a
    frame; storing the key closes every frame opened since that miss into the value's node. A
    miss that is never stored (a `None` answer some caches do not keep) is closed with the
    frame around it, so its inputs still count there. A value stored without a lookup first
    has unknown inputs: a hit on it touches `EVERYTHING`."""

    __slots__ = ("_nodes", "_open")

    def __init__(self) -> None:
        super().__init__()
        self._nodes: dict[K, Node] = {}
        self._open: dict[K, tuple[int, set[str]]] = {}

    def _miss(self, key: K) -> None:
        if key not in self._open:
            depth = open_frame()
            self._open[key] = (depth, frame)

    def get(self, key: K, default: Any = None) -> Any:
        value = dict.get(self, key, _MISS)
        if value is _MISS:
            self._miss(key)
            return default
        if frame is not _root and (n := self._nodes[key]) is not _EMPTY:
            kids.add(n)
        return value

    def __getitem__(self, key: K) -> V:
        value = dict.get(self, key, _MISS)
        if value is _MISS:
            self._miss(key)
            raise KeyError(key)
        if frame is not _root and (n := self._nodes[key]) is not _EMPTY:
            kids.add(n)
        return cast(V, value)

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            if frame is not _root and (n := self._nodes[key]) is not _EMPTY:  # type: ignore[index]
                kids.add(n)
            return True
        self._miss(key)  # type: ignore[arg-type]
        return False

    def __setitem__(self, key: K, value: V) -> None:
        dict.__setitem__(self, key, value)
        opened = self._open.pop(key, None)
        if opened is not None and len(_frames) > opened[0] and _frames[opened[0]][0] is opened[1]:
            self._nodes[key] = close(opened[0])
        else:  # stored without a lookup, or after its frame was closed around it
            self._nodes[key] = _UNKNOWN

    def setdefault(self, key: K, default: V) -> V:
        value = dict.get(self, key, _MISS)
        if value is _MISS:
            self[key] = default
            return default
        if frame is not _root and (n := self._nodes[key]) is not _EMPTY:
            kids.add(n)
        return cast(V, value)


class Index(dict[K, V]):
    """A project-wide index (holders of a class, readers of a name), built in one pass over
    the project: a lookup touches `i:<name>:<key>`. An incremental run builds it again and
    compares each looked-up key's value (`canonical`), so a unit is re-judged only when a key
    it read has a different answer, not whenever some file that fed the index changed."""

    __slots__ = ("_deps", "_texts", "name")

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self._deps: dict[Any, str] = {}
        self._texts: dict[str, Any] | None = None  # a recorded key's text -> the key

    def dep(self, key: object) -> str:
        d = self._deps.get(key)
        if d is None:
            d = self._deps[key] = intern(f"i:{self.name}:{key}")
        return d

    def get(self, key: K, default: Any = None) -> Any:
        frame.add(self._deps.get(key) or self.dep(key))
        return dict.get(self, key, default)

    def __getitem__(self, key: K) -> V:
        frame.add(self._deps.get(key) or self.dep(key))
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        frame.add(self._deps.get(key) or self.dep(key))
        return dict.__contains__(self, key)

    def __bool__(self) -> bool:
        frame.add(f"i:{self.name}:{NONEMPTY}")
        return dict.__len__(self) > 0

    def value(self, key: str) -> object:
        """The answer behind a recorded `i:` key (for comparing runs)."""
        if key == NONEMPTY:
            return dict.__len__(self) > 0
        table = self._texts
        if table is None or len(table) != dict.__len__(self):
            table = self._texts = {str(k): k for k in dict.keys(self)}
        return dict.get(self, cast(K, table.get(key, key)))


class Keyed(dict[K, V]):
    """The project's classes or functions by key: a lookup touches `k:<key>`, whether it hits
    or misses, because adding or removing the key in any file changes its answer."""

    __slots__ = ()

    def get(self, key: K, default: Any = None) -> Any:
        frame.add(intern(f"k:{key}"))
        return dict.get(self, key, default)

    def __getitem__(self, key: K) -> V:
        frame.add(intern(f"k:{key}"))
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        frame.add(intern(f"k:{key}"))
        return dict.__contains__(self, key)

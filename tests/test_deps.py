"""What a unit of judgement records (`model.deps`): the inputs incremental judging compares."""

from __future__ import annotations

from deadweight.model import deps


def _square(memo: deps.Memo[int, int], n: int, read: str) -> int:
    hit = memo.get(n)
    if hit is None:
        deps.touch(read)
        hit = memo[n] = n * n
    return hit


def test_a_memo_hit_in_a_later_unit_replays_what_filling_it_read() -> None:
    memo: deps.Memo[int, int] = deps.Memo()
    with deps.unit() as first:
        assert _square(memo, 3, "f:a.py") == 9
    with deps.unit() as second:
        assert _square(memo, 3, "f:other.py") == 9  # a hit: the compute (and its touch) is skipped
    assert first == {"f:a.py"}
    assert second == {"f:a.py"}


def test_nested_memos_reach_the_outer_unit_and_the_outer_memo() -> None:
    inner: deps.Memo[int, int] = deps.Memo()
    outer: deps.Memo[int, int] = deps.Memo()

    def cube(n: int) -> int:
        hit = outer.get(n)
        if hit is None:
            deps.touch("c:pkg.Outer")
            hit = outer[n] = _square(inner, n, "c:pkg.Inner") * n
        return hit

    with deps.unit() as first:
        assert cube(2) == 8
    with deps.unit() as second:
        assert cube(2) == 8
    with deps.unit() as third:
        assert _square(inner, 2, "never") == 4
    assert first == second == {"c:pkg.Outer", "c:pkg.Inner"}
    assert third == {"c:pkg.Inner"}


def test_a_miss_never_stored_counts_for_the_frame_around_it() -> None:
    memo: deps.Memo[str, int] = deps.Memo()
    with deps.unit() as read:
        assert memo.get("absent") is None  # a cache that does not keep None answers
        deps.touch("k:pkg.Missing")
    assert read == {"k:pkg.Missing"}


def test_a_value_stored_without_a_lookup_depends_on_everything() -> None:
    memo: deps.Memo[str, int] = deps.Memo()
    memo["preset"] = 1
    with deps.unit() as read:
        assert memo["preset"] == 1
    assert read == {deps.EVERYTHING}


def test_an_index_build_is_not_an_input_but_its_lookups_are() -> None:
    index: deps.Index[str, int] = deps.Index("holders")
    with deps.unit() as read:
        with deps.isolated():
            deps.touch("c:every.Class")  # the build reads the whole project
            index["pkg.Child"] = 1
        assert index.get("pkg.Child") == 1
        assert "pkg.Other" not in index  # a miss is an input too: a key may appear
    assert read == {"i:holders:pkg.Child", "i:holders:pkg.Other"}
    assert index.value("pkg.Child") == 1
    assert index.value("pkg.Other") is None


def test_a_lookup_in_the_project_tables_touches_the_key_hit_or_miss() -> None:
    keyed: deps.Keyed[str, int] = deps.Keyed()
    keyed["pkg.A"] = 1
    with deps.unit() as read:
        assert keyed.get("pkg.A") == 1
        assert "pkg.B" not in keyed
    assert read == {"k:pkg.A", "k:pkg.B"}

"""The SQLite store's decoded instance states: bounded in entries and in document size."""

from __future__ import annotations

from sdk.broker.engine import InstanceState
from sdk.broker.store.sqlite._state_cache import Cached, StateCache


def entry(key: int, size: int = 10) -> Cached:
    return Cached(InstanceState(key, 1, "p", 1), 1, "<default>", size)


def test_take_removes_the_entry_until_it_is_put_back() -> None:
    cache = StateCache()
    cache.put(1, entry(1))
    taken = cache.take(1)
    assert taken is not None and taken.state.key == 1
    assert cache.take(1) is None
    cache.put(1, taken)
    assert cache.take(1) is taken


def test_the_least_recently_put_leaves_first_past_the_entry_bound() -> None:
    cache = StateCache(max_entries=3)
    for key in (1, 2, 3):
        cache.put(key, entry(key))
    again = cache.take(1)
    assert again is not None
    cache.put(1, again)  # 1 is now the most recent
    cache.put(4, entry(4))
    assert len(cache) == 3
    assert cache.take(2) is None
    assert [cache.take(k) is not None for k in (1, 3, 4)] == [True, True, True]


def test_documents_past_the_size_bound_push_out_the_oldest() -> None:
    cache = StateCache(max_chars=100)
    cache.put(1, entry(1, 60))
    cache.put(2, entry(2, 30))
    cache.put(3, entry(3, 30))  # 120 chars: 1 leaves
    assert cache.take(1) is None
    assert len(cache) == 2
    cache.put(4, entry(4, 101))  # larger than the bound alone: never kept
    assert cache.take(4) is None
    assert len(cache) == 2


def test_replacing_an_entry_counts_its_size_once() -> None:
    cache = StateCache(max_chars=100)
    for _ in range(5):
        cache.put(1, entry(1, 60))
    cache.put(2, entry(2, 40))
    assert len(cache) == 2


def test_forget_empties_it() -> None:
    cache = StateCache()
    cache.put(1, entry(1))
    cache.forget()
    assert len(cache) == 0 and cache.take(1) is None

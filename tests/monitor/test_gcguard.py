"""monitor.gcguard: long-lived objects leave the full collections' walk; short-lived cycles are still reclaimed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from monitor.gcguard import GcGuard


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> Node:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    gc.collect()
    yield
    gc.unfreeze()


def test_step_freezes_every_every_s_starting_from_the_first_call() -> None:
    guard = GcGuard(every_s=10.0, refresh_s=None)
    assert [guard.step(t) for t in (100.0, 105.0, 110.0, 115.0, 120.5)] == [False, False, True, False, True]
    assert guard.freezes == 2


def test_long_lived_objects_are_frozen_and_short_lived_cycles_are_not() -> None:
    guard = GcGuard(every_s=1.0, refresh_s=None)
    kept = [Node() for _ in range(5000)]  # long-lived state
    dead = weakref.ref(_cycle())  # a cycle nobody holds: garbage for the collector
    before = guard.frozen()
    guard.step(0.0)
    assert guard.step(1.0)
    assert guard.frozen() >= before + len(kept)
    assert dead() is None  # collected before the freeze, not frozen
    later = weakref.ref(_cycle())
    assert gc.collect() > 0 and later() is None  # cycles made after a freeze are still collected
    assert len(kept) == 5000


def test_refresh_unfreezes_and_collects_what_died_while_frozen() -> None:
    guard = GcGuard(every_s=1.0, refresh_s=3.0)
    holder = [_cycle()]
    dead = weakref.ref(holder[0])
    guard.step(0.0)
    assert guard.step(1.0)
    holder.clear()  # the frozen cycle becomes garbage: no collection reaches it now
    gc.collect()
    assert dead() is not None
    assert not guard.step(3.0)  # due for a refresh: unfreeze and collect everything
    assert guard.refreshes == 1 and dead() is None


def test_every_collection_is_timed_by_generation() -> None:
    guard = GcGuard()
    guard.time_collections()
    guard.time_collections()  # once only
    try:
        gc.collect(0)
        gc.collect(2)
        assert guard.pauses[0].count >= 1 and guard.pauses[2].count >= 1
        assert guard.pauses[2].max_s > 0 and guard.pauses[2].total_s >= guard.pauses[2].max_s
    finally:
        gc.callbacks.remove(guard._on_gc)
    assert guard._on_gc not in gc.callbacks


def test_off_and_bad_settings() -> None:
    off = GcGuard(every_s=None)
    assert not any(off.step(t) for t in (0.0, 100.0, 1e6)) and off.freezes == 0
    with pytest.raises(ValueError, match="every_s"):
        GcGuard(every_s=0.0)
    with pytest.raises(ValueError, match="refresh_s must not be shorter"):
        GcGuard(every_s=10.0, refresh_s=5.0)

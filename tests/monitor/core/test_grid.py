from __future__ import annotations

import json
import math

import numpy as np

from monitor.core.grid import StreamGrid


def test_hold_limit_leaves_gaps() -> None:
    g = StreamGrid("hr", capacity=100, hold=3)
    g.add(0.0, 100.0)
    g.add(10.0, 110.0)
    for s in range(0, 12):
        g.fill(s)
    values = g.last(12)
    assert values[:3].tolist() == [100.0, 100.0, 100.0]
    assert np.isnan(values[3:10]).all()
    assert values[10:].tolist() == [110.0, 110.0]


def test_memory_is_bounded_and_latest_kept() -> None:
    g = StreamGrid("cadence", capacity=50)
    for s in range(1000):
        g.add(float(s), float(s % 200))
        g.fill(s)
    last = g.last(10_000)
    assert last.shape == (50,)
    assert last[-1] == 999 % 200
    assert g._buf.shape == (100,)  # one preallocated buffer (capacity and as much slack), nothing grows


def test_out_of_order_samples_are_placed_by_event_time() -> None:
    g = StreamGrid("hr", capacity=10)
    for t, v in [(3.0, 103.0), (1.0, 101.0), (2.0, 102.0)]:
        g.add(t, v)
    for s in range(1, 4):
        g.fill(s)
    assert g.last(3).tolist() == [101.0, 102.0, 103.0]
    assert math.isclose(g.last_t, 3.0)


def test_state_round_trip() -> None:
    a = StreamGrid("temp", capacity=20)
    for s in range(137):  # past a few moves of the newest seconds to the buffer's front
        a.add(s + 0.5, float(s))
        a.fill(s)
    a.add(40.0, 9.0)
    b = StreamGrid("temp", capacity=20)
    b.load_state(a.state_dict())
    for grid in (a, b):
        for s in range(137, 145):
            grid.fill(s)
    np.testing.assert_array_equal(a.last(20), b.last(20))


def _reference_fill(g: StreamGrid, s: int) -> tuple[float, bool]:
    """``StreamGrid.fill`` as it was before its one-sample case was unrolled (the loop for every case) and its
    ring became a buffer in one piece: the value and "own" flag it wrote (kept by the caller)."""
    pt, pv = g._pending_t, g._pending_v
    k = 0
    while k < len(pt) and pt[k] <= s:
        k += 1
    if k:
        prev = g._held_t
        for t in pt[:k]:
            gap = t - prev
            if 0 < gap < 600:
                g.interval = gap if math.isnan(g.interval) else 0.9 * g.interval + 0.1 * gap
            prev = t
        g._held_t, g._held_v = pt[k - 1], pv[k - 1]
        del pt[:k], pv[:k]
    value = g._held_v if s - g._held_t < g.hold else math.nan
    g._count += 1
    return value, k > 0


def test_fill_writes_what_the_reference_loop_writes() -> None:
    """Bit for bit, with the interval estimate: one sample a second, several, none for a while, out of order,
    samples between seconds and far ahead; through several moves of the buffer's newest seconds to its front."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        a, b = StreamGrid("hr", capacity=64), StreamGrid("hr", capacity=64)
        t = 0.0
        written: list[tuple[float, bool]] = []
        for s in range(400):
            if s % 50 < 15 and s > 50:
                continue  # a gap: no samples, and no grid seconds written for them either
            for _ in range(int(rng.choice([0, 1, 1, 1, 1, 2, 3]))):
                step = rng.choice([0.0, -0.5, 0.0, 0.0, 0.3, 1.0, -3.0, 99.0])  # 99: the last time again
                t = t if step == 99.0 else s + float(step)
                v = float(rng.normal(150, 5))
                a.add(t, v)
                b.add(t, v)
            a.fill(s)
            written.append(_reference_fill(b, s))
            assert (a._held_t, a._held_v, a._pending_t, a._count) == (b._held_t, b._held_v, b._pending_t, b._count)
            assert a.interval == b.interval or (math.isnan(a.interval) and math.isnan(b.interval))
            assert a.last(64).tobytes() == np.array([v for v, _ in written[-64:]]).tobytes()
        assert a.state_dict()["own"] == "".join("1" if own else "0" for _, own in written[-64:])


def test_a_patch_after_the_newest_seconds_moved_writes_where_it_would_in_a_buffer_that_never_moved() -> None:
    small, large = StreamGrid("hr", capacity=8), StreamGrid("hr", capacity=1000)
    for grid in (small, large):
        for s in range(100):  # a sample every third second: held seconds in between, patchable
            if s % 3 == 0:
                grid.add(float(s), float(s))
            grid.fill(s)
    assert small._base > 0 and large._base == 0  # the small buffer moved, the large one did not
    for t, v in [(94.5, 1.0), (97.0, 2.0), (99.0, 3.0), (91.2, 4.0)]:
        assert small.patch(t, v, newest=99) == large.patch(t, v, newest=99)
        assert small.last(8).tolist() == large.last(8).tolist()
        assert small.state_dict()["own"] == large.state_dict()["own"][-8:]


def test_fill_with_is_add_then_fill() -> None:
    """On any input: its own second, a time after it, one older than the newest, samples pending or not."""
    rng = np.random.default_rng(8)
    a, b = StreamGrid("hr", capacity=16), StreamGrid("hr", capacity=16)
    for s in range(300):
        if rng.random() < 0.3:  # a sample left pending for a later second
            t = s + float(rng.choice([0.5, 1.0, 2.0]))
            for g in (a, b):
                g.add(t, 140.0)
        t = s + float(rng.choice([0.0, 0.0, -0.5, -20.0, 0.25, 1.0]))
        v = float(rng.normal(150, 5))
        a.fill_with(float(s), t, v)
        b.add(t, v)
        b.fill(s)
        assert json.dumps(a.state_dict()) == json.dumps(b.state_dict())

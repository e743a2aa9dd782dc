from __future__ import annotations

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
    assert g._buf.shape == (50,)  # one preallocated ring, nothing grows


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
    for s in range(37):
        a.add(s + 0.5, float(s))
        a.fill(s)
    a.add(40.0, 9.0)
    b = StreamGrid("temp", capacity=20)
    b.load_state(a.state_dict())
    for grid in (a, b):
        for s in range(37, 45):
            grid.fill(s)
    np.testing.assert_array_equal(a.last(20), b.last(20))

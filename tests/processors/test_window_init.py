"""Window's hand-written ``__init__`` (the fields set directly) makes the window the
dataclass's generated ``__init__`` + ``__post_init__`` made: the same fields, ``now`` and ``elapsed``, value and
type, the same errors; and the engine's ``first_new`` (the array's ``searchsorted`` method) is np.searchsorted's."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import numpy as np
import pytest

from processors.window import STREAMS, Window
from tests.rounding import same


def _former(t: Any, hr: Any, speed: Any, cadence: Any, temp: Any, session_start: Any) -> tuple[Any, Any]:
    """``now`` and ``elapsed`` as the former ``__post_init__`` computed them."""
    n = t.shape[0]
    now = float(t[-1]) if n else session_start
    return now, now - session_start


@pytest.mark.parametrize(
    ("t", "start"),
    [
        (np.arange(1000.0, 1600.0), 999.25),
        (np.arange(5.0), 0),
        (np.arange(0.0), 7.5),
        (np.arange(0.0), 3),
        (np.arange(3.0) + 1.7e9, np.float64(1.7e9 - 0.123)),
        (np.array([-0.0]), 0.0),
    ],
)
def test_fields_now_and_elapsed_are_the_former_ones(t: Any, start: Any) -> None:
    arrs = [np.full(t.shape, float(i)) for i in range(4)]
    w = Window(t, *arrs, session_start=start)
    assert w.t is t and all(getattr(w, s) is a for s, a in zip(STREAMS, arrs, strict=True)) and w.session_start is start
    now, elapsed = _former(t, *arrs, start)
    assert type(w.now) is type(now) and type(w.elapsed) is type(elapsed)
    assert same(float(w.now), float(now)) and same(float(w.elapsed), float(elapsed))
    assert len(w) == t.shape[0]
    again = pickle.loads(pickle.dumps(w))
    assert np.array_equal(again.t, w.t) and same(float(again.elapsed), float(w.elapsed))
    moved = dataclasses.replace(w, session_start=0.5)
    assert moved.elapsed == moved.now - 0.5


def test_a_stream_of_another_shape_is_refused_as_before() -> None:
    t = np.arange(10.0)
    for i, name in enumerate(STREAMS):
        arrs = [np.zeros(10) for _ in STREAMS]
        arrs[i] = np.zeros(9)
        with pytest.raises(ValueError, match=f"window stream '{name}' has shape \\(9,\\), expected \\(10,\\)"):
            Window(t, *arrs, session_start=0.0)


def test_first_new_by_the_method_is_np_searchsorted() -> None:
    t = np.arange(1000.0, 1600.0)
    for last in (-np.inf, 0.0, 999.0, 1000.0, 1000.5, 1599.0, 1599.5, 2000.0, np.inf, np.nan):
        assert int(t.searchsorted(last, "right")) == int(np.searchsorted(t, last, side="right"))


def test_the_engine_tracks_the_newest_second_as_before() -> None:
    """Engine.tick reads ``window.now`` (``float(t[-1])``) and ``t.shape[0]`` where it read ``t[-1]`` and
    ``len(window)``: on overlapping, repeated, empty and older windows its newest second is the former one."""
    from processors.engine import Engine
    from processors.profile import Profile

    eng = Engine(Profile(training_pace=330))
    last = -np.inf
    for lo, hi in ((0, 600), (5, 605), (5, 605), (0, 0), (300, 400), (10, 612)):
        t = np.arange(float(lo), float(hi))
        window = Window.from_arrays(t=t, hr=np.full(t.shape, 150.0), session_start=0.0)
        first_new = int(np.searchsorted(window.t, last, side="right")) if len(window) else 0
        eng.tick(window)
        if len(window):
            last = max(last, float(window.t[-1]))
        assert same(eng._last_t, last) and 0 <= first_new <= len(window)

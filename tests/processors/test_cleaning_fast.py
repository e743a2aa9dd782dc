"""The plain-float fast path of the cleaning (a live tick's few new seconds) gives the same bits as NumPy's."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import processors.clean as clean_mod
from processors._cleaning_lists import fill_short_gaps_list, floats_array, hampel_list, in_range_list, savgol_rows_tail
from processors.clean import Clean
from processors.cleaning import fill_short_gaps, hampel_rows, in_range, rate_limit, rate_limit_list, savgol_rows
from processors.registry import Context
from processors.window import Window

FIELDS = ("t", "hr", "speed", "cadence", "cadence_rough", "temp", "hr_raw", "cadence_raw")


def _bits(x: list[float] | np.ndarray) -> bytes:
    return np.asarray(x, dtype=np.float64).tobytes()


@st.composite
def series(draw: st.DrawFn, min_size: int = 1, max_size: int = 40, zeros: bool = False) -> list[float]:
    """A noisy 1 Hz stream with NaN gaps (single and runs), spikes, flat stretches and (optionally) zeros."""
    n = draw(st.integers(min_size, max_size))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    level, noise = draw(st.sampled_from([(150.0, 3.0), (3.2, 0.1), (170.0, 4.0), (150.0, 0.0)]))
    x = level + noise * rng.standard_normal(n)
    if draw(st.booleans()):
        x = np.round(x)
    spikes = rng.random(n) < draw(st.sampled_from([0.0, 0.05, 0.2]))
    x[spikes] += rng.choice([-1.0, 1.0], spikes.sum()) * rng.uniform(5, 80, spikes.sum()) * max(noise, 1.0)
    x[rng.random(n) < draw(st.sampled_from([0.0, 0.1, 0.4]))] = np.nan
    if n > 4 and draw(st.booleans()):
        a = int(rng.integers(0, n - 2))
        x[a : a + int(rng.integers(1, 9))] = np.nan
    if zeros:
        x[rng.random(n) < 0.2] = 0.0
    return [float(v) for v in x]


@settings(max_examples=300, deadline=None)
@given(series(), st.integers(0, 12), st.sampled_from([(5, 2.0), (5, 0.15), (3, 3.0), (2, 0.0)]))
def test_hampel_list_matches_numpy(x: list[float], start: int, params: tuple[int, float]) -> None:
    half_width, min_scale = params
    start = min(start, len(x))
    want = hampel_rows(np.array([x]), half_width, 3.0, min_scale)[0, start:]
    assert _bits(hampel_list(x, start, half_width, 3.0, min_scale)) == want.tobytes()


@settings(max_examples=200, deadline=None)
@given(series(zeros=True))
def test_in_range_and_rate_limit_lists_match_numpy(x: list[float]) -> None:
    assert _bits(in_range_list(list(x), 30.0, 230.0)) == in_range(np.array(x), 30.0, 230.0).tobytes()
    assert _bits(in_range_list(list(x), 0.0, 260.0)) == in_range(np.array(x), 0.0, 260.0).tobytes()
    for last in (None, 148.0):
        got = rate_limit_list(x, 5.0, last, 2.0)
        assert _bits(got) == rate_limit(np.array(x), 5.0, last, 2.0).tobytes()


@settings(max_examples=200, deadline=None)
@given(series(), st.integers(0, 10))
def test_fill_short_gaps_list_matches_numpy(x: list[float], max_gap: int) -> None:
    assert _bits(fill_short_gaps_list(x, max_gap)) == fill_short_gaps(np.array(x), max_gap).tobytes()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(series(min_size=12, max_size=12), min_size=3, max_size=3)
    | st.lists(series(17, 17), min_size=3, max_size=3),
    st.integers(1, 17),
    st.sampled_from([(7, 2), (5, 2), (9, 3)]),
    st.booleans(),
)
def test_savgol_rows_tail_matches_numpy(rows: list[list[float]], keep: int, wo: tuple[int, int], gapless: bool) -> None:
    if gapless:  # the all-finite fast path (BLAS edges) as well as the run-by-run one
        rows = [[v if v == v else 150.0 for v in r] for r in rows]
    keep = min(keep, len(rows[0]))
    want = savgol_rows(np.array(rows), *wo)[:, len(rows[0]) - keep :]
    assert _bits(savgol_rows_tail(rows, keep, *wo)) == want.tobytes()


def _run(windows: list[tuple[Window, int]], small: int, monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, ...]]:
    monkeypatch.setattr(clean_mod, "_SMALL", small)
    proc, out, held = Clean(), [], []
    for i, (w, first_new) in enumerate(windows):
        if i % 37 == 36:  # a restored engine: the state through JSON
            state = json.loads(json.dumps(proc.state_dict()))
            proc = Clean()
            proc.load_state(state)
        proc.update(Context(window=w, profile=None, first_new=first_new))  # type: ignore[arg-type]
        tail = proc.get()
        snap = (*(getattr(tail, f).tobytes() for f in FIELDS), str(tail.new_from).encode())
        out.append((*snap, json.dumps(proc.state_dict()).encode()))
        held.append((tail, snap))
    for tail, snap in held:  # no later tick changed a tail handed out earlier
        assert (*(getattr(tail, f).tobytes() for f in FIELDS), str(tail.new_from).encode()) == snap
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1, 5, 5, 7]))
def test_clean_fast_path_matches_numpy_path(seed: int, step: int) -> None:
    """A whole run ticked every ``step`` s: the plain-float path (``_SMALL``) and the NumPy path agree bit for bit,
    with gaps, spikes, stops (speed and cadence 0), out-of-range values and a restore now and then."""
    rng = np.random.default_rng(seed)
    n = 700
    hr = 150 + np.cumsum(rng.normal(0, 0.5, n))
    speed = np.clip(3.2 + 0.2 * rng.standard_normal(n), 0, None)
    cad = np.round(170 + 3 * rng.standard_normal(n))
    temp = 20 + 0.01 * np.arange(n)
    stop = slice(200, 240)
    speed[stop], cad[stop] = 0.0, 0.0
    for x, p in ((hr, 0.05), (speed, 0.05), (cad, 0.05), (temp, 0.3)):
        x[rng.random(n) < p] = np.nan
        spikes = rng.random(n) < 0.03
        x[spikes] *= rng.choice([0.0, 0.5, 1.6, 3.0], spikes.sum())
    hr[400:409] = np.nan
    speed[300:303] = -0.0  # a signed zero: the fast path steps aside (its sort could order ±0 differently)
    t = 1e9 + np.arange(n, dtype=np.float64)
    windows = []
    for end in range(step, n + 1, step):
        a = max(0, end - 600)
        w = Window(
            t=t[a:end], hr=hr[a:end], speed=speed[a:end], cadence=cad[a:end], temp=temp[a:end], session_start=t[0]
        )
        windows.append((w, max(0, end - step - a)))
    with pytest.MonkeyPatch.context() as mp:
        fast = _run(windows, 32, mp)
        slow = _run(windows, 0, mp)
    assert fast == slow


@settings(max_examples=300, deadline=None)
@given(series(min_size=0, zeros=True), st.booleans())
def test_floats_array_matches_np_array(x: list[float], signs: bool) -> None:
    """floats_array (struct + frombuffer) gives np.array's bits: NaN, infinities and −0.0 included."""
    if signs:
        x = [-v if i % 3 == 0 else v for i, v in enumerate(x)] + [-0.0, 0.0, float("inf"), float("-inf")]
    got = floats_array(x)
    assert got.dtype == np.float64 and got.shape == (len(x),)
    assert got.tobytes() == np.array(x, dtype=np.float64).tobytes()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_clean_fast_path_near_zero_matches_numpy_path(seed: int) -> None:
    """Speed and cadence hovering at zero (smoothed values of both signs, ±0 in one row, NaN first or inside a
    row): the plain-float path's range test (the ends of the sorted row) and clipping at zero (skipped when the
    smallest value is positive) give NumPy's bits."""
    rng = np.random.default_rng(seed)
    n = 400
    speed = np.abs(rng.normal(0.0, 0.05, n)) * (rng.random(n) < 0.7)
    cad = np.abs(rng.normal(0.0, 2.0, n)) * (rng.random(n) < 0.7)
    hr = 120 + np.cumsum(rng.normal(0, 0.3, n))
    for x in (speed, cad):
        x[rng.random(n) < 0.1] = -0.0  # both zeros in a row: the row's ends may be either
    for x in (speed, cad, hr):
        x[rng.random(n) < 0.15] = np.nan
    temp = np.full(n, 18.0)
    t = 5e8 + np.arange(n, dtype=np.float64)
    windows = []
    for end in range(5, n + 1, 5):
        a = max(0, end - 600)
        w = Window(
            t=t[a:end], hr=hr[a:end], speed=speed[a:end], cadence=cad[a:end], temp=temp[a:end], session_start=t[0]
        )
        windows.append((w, max(0, end - 5 - a)))
    with pytest.MonkeyPatch.context() as mp:
        fast = _run(windows, 32, mp)
        slow = _run(windows, 0, mp)
    assert fast == slow

"""Hypothesis property tests: bounded outputs, no NaN leaks, invariances."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from processors.cleaning import fill_short_gaps, hampel, rate_limit, savgol_runs
from processors.decoupling import decoupling_pct
from processors.drift import theil_sen
from processors.engine import Engine
from processors.heat import heat_factor
from processors.level import ENTER, LEAVE_MARGIN, next_level
from processors.monotony import monotony_of
from processors.profile import Profile
from processors.risk import COEFFICIENTS, risk_of
from processors.window import Window

T0 = 1_732_400_000.0
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# values a sensor or a bad gateway might send: plausible ones, zeros, spikes, garbage, gaps
wild = st.one_of(
    st.floats(min_value=-50, max_value=400, allow_nan=False, allow_infinity=False),
    st.just(0.0),
    st.just(float("nan")),
    st.sampled_from([float("inf"), -float("inf"), 1e9]),
)
plausible_hr = st.one_of(st.floats(90, 200), st.just(float("nan")), st.just(0.0), st.floats(200, 300))


@st.composite
def windows(draw: st.DrawFn) -> Window:
    n = draw(st.integers(min_value=0, max_value=400))

    def stream(elements: st.SearchStrategy[float]) -> np.ndarray:
        return draw(arrays(np.float64, n, elements=elements))

    start = draw(st.sampled_from([0.0, 30.0, 1200.0]))
    return Window(
        t=T0 + start + np.arange(float(n)),
        hr=stream(plausible_hr),
        speed=stream(st.one_of(st.floats(0, 7), st.just(float("nan")), st.floats(-5, 50))),
        cadence=stream(st.one_of(st.floats(0, 230), st.just(float("nan")), wild)),
        temp=stream(st.one_of(st.floats(-10, 45), st.just(float("nan")), wild)),
        session_start=T0,
    )


profiles = st.builds(
    Profile,
    sex=st.sampled_from([None, "male", "female"]),
    age=st.one_of(st.none(), st.floats(15, 90)),
    mass_kg=st.one_of(st.none(), st.floats(35, 150)),
    hr_rest=st.one_of(st.none(), st.floats(35, 90)),
    hr_max=st.one_of(st.none(), st.floats(150, 215)),
    training_pace=st.one_of(st.none(), st.floats(150, 900)),
    longest_run_min=st.one_of(st.none(), st.floats(10, 600)),
    cramp_history=st.one_of(st.none(), st.booleans()),
    recent_injury=st.one_of(st.none(), st.booleans()),
)


def _in01(x: float | None) -> bool:
    return x is None or (math.isfinite(x) and 0.0 <= x <= 1.0)


@SETTINGS
@given(ws=st.lists(windows(), min_size=1, max_size=3), profile=profiles)
def test_engine_outputs_bounded_and_json(ws: list[Window], profile: Profile) -> None:
    eng = Engine(profile)
    for w in ws:
        ind = eng.tick(w)
        json.dumps(asdict(ind), allow_nan=False)
        assert 0.0 <= ind.risk <= 1.0
        for x in (ind.fatigue, ind.monotony, ind.heat_factor, *ind.fatigue_parts.values()):
            assert _in01(x)
        for total in (ind.distance_m, ind.trimp, ind.faster_than_training_s):  # None: its stream never reported
            assert total is None or total >= 0
        assert ind.sweat_loss_pct is None or ind.sweat_loss_pct >= 0
        assert ind.hr is None or 30 <= ind.hr <= 230
        assert ind.pace is None or 100 <= ind.pace <= 1200
        assert ind.cadence is None or 0 <= ind.cadence <= 260
        assert ind.stride_m is None or 0 < ind.stride_m < 20
        assert ind.hr_zone_s is None or all(z >= 0 for z in ind.hr_zone_s)
    state = json.loads(json.dumps(eng.state_dict(), allow_nan=False))
    Engine.from_state(profile, state)


@SETTINGS
@given(x=arrays(np.float64, st.integers(0, 200), elements=st.one_of(st.floats(-1e3, 1e3), st.just(float("nan")))))
def test_cleaning_never_invents_values(x: np.ndarray) -> None:
    finite = x[np.isfinite(x)]
    y = hampel(x, 5, 3.0, 1.0)
    assert np.array_equal(np.isnan(y), np.isnan(x))  # gaps stay gaps, values stay values
    if finite.size:
        assert np.nanmin(y) >= finite.min() and np.nanmax(y) <= finite.max()
    r = rate_limit(x, 5.0)
    assert np.all(np.isnan(r) | (r == x))
    f = fill_short_gaps(x, 5)
    assert np.all(np.isnan(x) | (f == x))
    # a filled value lies between its neighbours, and only short gaps are filled
    isn = np.isnan(x)
    runs = np.flatnonzero(np.diff(np.concatenate(([0], isn.view(np.int8), [0]))))
    for a, b in zip(runs[0::2], runs[1::2], strict=True):
        if b - a > 5 or a == 0 or b == len(x):
            assert np.isnan(f[a:b]).all()
    s = savgol_runs(x, 7, 2)
    assert np.array_equal(np.isnan(s), np.isnan(x))


@given(
    spd=arrays(np.float64, 30, elements=st.floats(1.0, 6.0)),
    hr=arrays(np.float64, 30, elements=st.floats(90.0, 200.0)),
    k=st.floats(0.1, 10.0),
)
def test_decoupling_is_unit_free(spd: np.ndarray, hr: np.ndarray, k: float) -> None:
    ef_ref = spd[:15].sum() / hr[:15].sum()
    ef_now = spd[15:].sum() / hr[15:].sum()
    a = decoupling_pct(ef_ref, ef_now)
    b = decoupling_pct(k * ef_ref, k * ef_now)  # km/h instead of m/s, or any other speed unit
    assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@given(
    s=arrays(np.float64, 20, elements=st.floats(1.0, 6.0)),
    c=arrays(np.float64, 20, elements=st.floats(120.0, 200.0)),
    k=st.floats(0.2, 5.0),
)
def test_monotony_is_bounded_and_scale_free(s: np.ndarray, c: np.ndarray, k: float) -> None:
    m = monotony_of(s, c)
    assert 0.0 < m <= 1.0
    assert math.isclose(m, monotony_of(k * s, c / 2), rel_tol=1e-9)


@given(
    y=arrays(np.float64, 25, elements=st.floats(100.0, 200.0)),
    a=st.floats(0.1, 10.0),
    b=st.floats(-100.0, 100.0),
    shift=st.floats(-1e6, 1e6),
)
def test_theil_sen_equivariance(y: np.ndarray, a: float, b: float, shift: float) -> None:
    x = np.arange(25.0) * 30.0
    base = theil_sen(x, y)
    assert math.isclose(theil_sen(x + shift, y), base, rel_tol=1e-6, abs_tol=1e-9)
    assert math.isclose(theil_sen(x, a * y + b), a * base, rel_tol=1e-6, abs_tol=1e-9)


@given(
    inputs=st.dictionaries(st.sampled_from(sorted(COEFFICIENTS)), st.floats(-2.0, 30.0)),
    name=st.sampled_from([k for k, v in COEFFICIENTS.items() if v > 0]),
)
def test_risk_monotone_in_every_factor(inputs: dict[str, float], name: str) -> None:
    lo = risk_of(inputs)
    hi = risk_of({**inputs, name: inputs.get(name, 0.0) + 0.5})
    assert 0.0 <= lo.risk <= 1.0 and 0.0 <= hi.risk <= 1.0
    assert hi.risk >= lo.risk


@given(risks=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=50))
def test_level_tracks_risk_within_the_hysteresis_band(risks: list[float]) -> None:
    level = "low"
    for r in risks:
        level = next_level(level, r)  # type: ignore[arg-type]
        rank = ["low", "elevated", "high", "critical"].index(level)
        assert r >= ENTER[rank] - LEAVE_MARGIN - 1e-12  # never more than the margin below its threshold
        if rank < 3:
            assert r < ENTER[rank + 1]  # never below a level whose threshold is reached


@given(t=st.floats(-60.0, 80.0))
def test_heat_factor_bounded_and_monotone(t: float) -> None:
    h = heat_factor(t)
    assert 0.0 <= h <= 1.0
    assert heat_factor(t + 1.0) >= h


def _chunks_agree(
    symbol: str, hr: np.ndarray, spd: np.ndarray, cad: np.ndarray, tmp: np.ndarray, chunk: int = 5
) -> None:
    """The plain-Python path (a few new seconds per tick) and the NumPy path (one big chunk) integrate alike."""
    from processors.clean import CleanTail
    from processors.registry import Context, load_all

    n = hr.shape[0]
    t = T0 + np.arange(float(n))
    profile = Profile(sex="male", hr_rest=55, hr_max=190, mass_kg=68)

    def feed(proc: object, a: int, b: int) -> None:
        tail = CleanTail(
            t=t[a:b], hr=hr[a:b], speed=spd[a:b], cadence=cad[a:b], cadence_rough=cad[a:b], temp=tmp[a:b],
            hr_raw=hr[a:b], cadence_raw=cad[a:b], new_from=0,
        )  # fmt: skip
        w = Window.from_arrays(t=t[a:b], session_start=T0)
        results = {"clean": tail, "hr_unreliable": False, "hr_max_bpm": 190.0}
        ctx = Context(window=w, profile=profile, first_new=0, results=results)
        proc.update(ctx)  # type: ignore[attr-defined]

    reg = load_all()
    small, big = reg[symbol](), reg[symbol]()
    for a in range(0, n, chunk):
        feed(small, a, min(n, a + chunk))
    feed(big, 0, n)
    s, b = small.get(), big.get()
    if symbol == "sweat_loss_pct":
        assert (s is None) == (b is None)
        s, b = (0.0, 0.0) if s is None else (s, b)
    if symbol == "bins":
        s, b = s.rows, b.rows
    assert np.allclose(np.asarray(s, dtype=float), np.asarray(b, dtype=float), rtol=1e-9, atol=2e-4, equal_nan=True), (
        symbol
    )  # outputs are rounded to 4 d.p.


@SETTINGS
@given(
    data=st.data(),
    symbol=st.sampled_from(["bins", "trimp", "hr_zone_s", "sweat_loss_pct"]),
)
def test_small_and_numpy_paths_agree(data: st.DataObject, symbol: str) -> None:
    n = data.draw(st.integers(70, 200))
    gaps = st.one_of(st.just(float("nan")))

    def col(lo: float, hi: float) -> np.ndarray:
        return data.draw(arrays(np.float64, n, elements=st.one_of(st.floats(lo, hi), gaps)))

    chunk = data.draw(st.sampled_from([1, 5, 7, 13]))  # 7 and 13 straddle the 10-s bins
    _chunks_agree(symbol, col(40, 220), col(0, 7), col(0, 230), col(-10, 45), chunk)

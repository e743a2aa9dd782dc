"""The engine: windows overlap, state survives save/restore, profiles change, outputs are plain and bounded."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest

from processors.engine import Engine
from processors.indicators import LEVELS, Indicators
from processors.profile import Profile
from processors.window import Window
from tests.processors.synth import T0, drive, easy_cool_run, hot_fast_run

STATUS_FIELDS = [
    "t",
    "elapsed_s",
    "distance_m",
    "hr",
    "pace",
    "cadence",
    "temp",
    "stride_m",
    "fatigue",
    "pace_over_training",
    "decoupling_pct",
    "trimp",
    "sweat_loss_pct",
    "monotony",
    "risk",
    "level",
    "factors",
    "signal",
]


def plain(ind: Indicators) -> dict[str, Any]:
    d = asdict(ind)
    json.dumps(d, allow_nan=False)  # JSON without NaN or infinities
    return d


def test_status_fields_present_and_json() -> None:
    out = list(drive(hot_fast_run(25), Profile(training_pace=330)))
    for ind in out:
        d = plain(ind)
        assert set(STATUS_FIELDS) <= set(d)
        assert 0.0 <= ind.risk <= 1.0 and ind.level in LEVELS
        assert ind.signal == "ok"  # left alone for the caller
    last = out[-1]
    assert last.pace == pytest.approx(300, abs=6)
    assert last.pace_over_training == pytest.approx(1.1, abs=0.03)
    assert last.stride_m == pytest.approx(120 * (1000 / 300) / 174, rel=0.03)
    assert last.values["baseline_cadence_spm"] is not None
    assert last.values["cadence_baseline"] == last.values["baseline_cadence_spm"]
    for key in (
        "speed_mps",
        "training_pace_s_per_km",
        "cadence_spm",
        "stride_m",
        "temp_c",
        "sweat_loss_pct",
        "elapsed_min",
        "baseline_stride_m",
    ):
        assert key in last.values


def test_save_restore_continues_identically() -> None:
    run = hot_fast_run(30, seed=9)
    prof = Profile(training_pace=330, sex="male", age=44)
    ends = list(range(5, len(run.t), 5))
    cut = len(ends) // 2
    a = Engine(prof)
    for e in ends[:cut]:
        a.tick(run.window(e))
    state = json.loads(json.dumps(a.state_dict(), allow_nan=False))
    b = Engine.from_state(prof, state)
    for e in ends[cut:]:
        ia, ib = a.tick(run.window(e)), b.tick(run.window(e))
        assert plain(ia) == plain(ib)


def test_ticking_the_same_window_twice_changes_nothing_cumulative() -> None:
    run = easy_cool_run(12)
    eng = Engine(Profile(training_pace=330))
    for e in range(5, len(run.t), 5):
        first = eng.tick(run.window(e))
        again = eng.tick(run.window(e))
        for f in ("distance_m", "trimp", "sweat_loss_pct", "faster_than_training_s", "hr_zone_s"):
            assert getattr(first, f) == getattr(again, f), f


def test_tick_interval_does_not_change_cumulative_totals_much() -> None:
    run = easy_cool_run(20)
    prof = Profile(training_pace=330)
    every5 = list(drive(run, prof, every=5))[-1]
    every30 = list(drive(run, prof, every=30))[-1]
    assert every30.distance_m == pytest.approx(every5.distance_m, rel=0.005)
    assert every30.trimp == pytest.approx(every5.trimp, rel=0.005)


def test_profile_replaced_mid_run() -> None:
    run = easy_cool_run(10)
    eng = Engine(Profile())
    first = eng.tick(run.window(300))
    assert first.pace_over_training is None and "pace_over_training" not in first.factors
    eng.profile = Profile(training_pace=330, cramp_history=True)
    second = eng.tick(run.window(305))
    assert second.pace_over_training == pytest.approx(1.0, abs=0.05)
    assert "cramp_history" in second.factors and second.risk > first.risk


def test_new_session_resets_state() -> None:
    run = easy_cool_run(10)
    eng = Engine(Profile())
    before = eng.tick(run.window(599))
    assert before.distance_m > 1000
    w = run.window(120)
    shifted = Window(t=w.t + 10_000, hr=w.hr, speed=w.speed, cadence=w.cadence, temp=w.temp, session_start=T0 + 10_000)
    after = eng.tick(shifted)
    assert after.distance_m < before.distance_m / 3 and after.elapsed_s == 120


def test_empty_and_all_nan_windows() -> None:
    eng = Engine(Profile(training_pace=330))
    ind = eng.tick(Window.from_arrays(t=np.empty(0), session_start=T0))
    assert ind.elapsed_s == 0 and ind.risk > 0 and ind.hr is None
    t = T0 + np.arange(3600.0)
    for end in (10, 600, 3599):
        ind = eng.tick(Window.from_arrays(t=t[: end + 1], session_start=T0))
        d = plain(ind)
        assert ind.hr is None and ind.pace is None and ind.cadence is None and ind.temp is None
        assert ind.fatigue is None and ind.decoupling_pct is None and ind.monotony is None
        assert ind.sweat_loss_pct is None and ind.stride_m is None and ind.pace_over_training is None
        # no stream has reported: cumulative indicators are unknown (null), not invented zeros
        assert d["distance_m"] is None and d["trimp"] is None and d["hr_zone_s"] is None
        assert d["faster_than_training_s"] is None
        assert 0.0 <= ind.risk <= 1.0


def test_gap_then_resume_and_restart_without_state() -> None:
    run = hot_fast_run(30, seed=4)
    hr = run.hr.copy()
    hr[900:1200] = np.nan  # strap off for 5 minutes
    from tests.processors.synth import Run

    gappy = Run(t=run.t, hr=hr, speed=run.speed, cadence=run.cadence, temp=run.temp)
    out = list(drive(gappy, Profile(training_pace=330)))
    during = [i for i in out if 960 <= i.elapsed_s <= 1190]
    assert all(i.hr is None for i in during)
    assert out[-1].hr is not None
    # an engine that starts late (no saved state) still works from the window alone
    late = Engine(Profile(training_pace=330)).tick(gappy.window(len(gappy.t) - 1))
    assert late.distance_m > 0 and 0 <= late.risk <= 1


def test_engine_deterministic() -> None:
    run = hot_fast_run(15, seed=2)
    a = [plain(i) for i in drive(run, Profile(training_pace=330))]
    b = [plain(i) for i in drive(run, Profile(training_pace=330))]
    assert a == b


def test_factors_explain_the_risk() -> None:
    ind = list(drive(hot_fast_run(30), Profile(training_pace=330)))[-1]
    z = ind.values["risk_logit"]
    assert z is not None
    assert ind.risk == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-3)
    from processors.risk import INTERCEPT

    assert z == pytest.approx(INTERCEPT + sum(ind.factors.values()), abs=1e-3)
    top = max(ind.factors, key=lambda k: ind.factors[k])
    assert top in ("pace_over_training", "heat", "fatigue", "cardiac_drift")


def test_long_run_state_is_small_and_restores_identically() -> None:
    from tests.processors.synth import make_run, warm_hr

    run = make_run(150, pace_s_km=320.0, hr=warm_hr(150.0, 6.0), cadence=lambda s: 172 + 0 * s, temp_c=22.0, seed=3)
    prof = Profile(training_pace=330)
    ends = list(range(5, len(run.t), 5))
    cut = 130 * 12  # save at 130 min
    a = Engine(prof)
    for e in ends[:cut]:
        a.tick(run.window(e))
    text = json.dumps(a.state_dict(), allow_nan=False)
    assert len(text) < 200_000  # the first 20 min and the last hour of bins, not all 130 min
    b = Engine.from_state(prof, json.loads(text))
    for e in ends[cut:]:
        assert plain(a.tick(run.window(e))) == plain(b.tick(run.window(e)))

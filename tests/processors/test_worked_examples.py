"""Each indicator against a hand-computed worked example."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import savgol_filter
from scipy.stats import theilslopes

from processors.cleaning import fill_short_gaps, hampel, rate_limit, savgol_runs
from processors.decoupling import decoupling_pct
from processors.drift import drift_slope, theil_sen
from processors.engine import Engine
from processors.fatigue import fatigue_of
from processors.gait import Gait
from processors.heat import heat_factor, wbgt_bom
from processors.level import next_level
from processors.monotony import monotony_of
from processors.profile import Profile
from processors.registry import compute
from processors.risk import COEFFICIENTS, INTERCEPT, factor_inputs, risk_of
from processors.stride import stride_length
from processors.sweat import sweat_rate_l_h
from processors.trimp import TRIMP_FEMALE, TRIMP_MALE, TRIMP_UNKNOWN, trimp_of
from processors.window import Window
from tests.processors.synth import T0

PROF = Profile(hr_rest=60, hr_max=180)


def steady(n: int, **streams: float) -> Window:
    t = T0 + np.arange(float(n))
    return Window.from_arrays(t=t, session_start=T0, **{k: np.full(n, v) for k, v in streams.items()})


# ------------------------------------------------------------------------------------------------- cleaning
def test_hampel_removes_spikes_keeps_steps() -> None:
    x = np.full(40, 150.0)
    x[10] = 200.0  # spike
    x[25:] = 170.0  # a genuine sustained change
    y = hampel(x, half_width=5, min_scale=2.0)
    assert y[10] == 150.0
    assert (y[25:] == 170.0).all() and (y[:25] == 150.0).all()


def test_rate_limit_drops_impossible_jumps_and_recovers() -> None:
    x = np.array([150.0, 151.0, 190.0, 152.0, 153.0])
    assert np.isnan(rate_limit(x, 5.0)[2])
    # after a 10-s gap a 40-bpm change is allowed (5 bpm/s x 10 s)
    y = rate_limit(np.array([150.0] + [np.nan] * 9 + [190.0]), 5.0)
    assert y[-1] == 190.0


def test_gaps_longer_than_limit_stay_gaps() -> None:
    x = np.array([1.0, np.nan, np.nan, 4.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 11.0])
    y = fill_short_gaps(x, max_gap=5)
    assert y[1:3].tolist() == [2.0, 3.0]
    assert np.isnan(y[4:10]).all()


def test_savgol_runs_matches_scipy_per_run() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, 50)
    x[20] = np.nan
    y = savgol_runs(x, 7, 2)
    assert np.allclose(y[:20], savgol_filter(x[:20], 7, 2))
    assert np.allclose(y[21:], savgol_filter(x[21:], 7, 2))
    assert np.isnan(y[20])


def test_hr_spikes_and_dropouts_do_not_reach_the_status() -> None:
    hr = np.full(120, 150.0)
    hr[[30, 31, 70]] = [0.0, 240.0, 35.0]
    w = Window.from_arrays(
        t=T0 + np.arange(120.0), hr=hr, speed=np.full(120, 3.0), cadence=np.full(120, 170.0), session_start=T0
    )
    ind = Engine(PROF).tick(w)
    assert ind.hr == 150.0
    # TRIMP integrates the cleaned HR: as if it had been 150 all along (within a hair)
    assert ind.trimp == pytest.approx(trimp_of(np.full(120, 150.0), PROF), rel=1e-3)


# ---------------------------------------------------------------------------------------------- stride etc.
def test_stride_step_pace_by_hand() -> None:
    # 3.3 m/s at 165 steps/min: stride = 120 * 3.3 / 165 = 2.4 m, step 1.2 m, pace 1000/3.3 = 303.03 s/km
    w = steady(60, speed=3.3, cadence=165.0)
    assert compute("stride_m", w) == pytest.approx(2.4)
    assert compute("step_m", w) == pytest.approx(1.2)
    assert compute("pace", w) == pytest.approx(303.030, abs=1e-3)
    assert stride_length(3.0, 180.0) == 2.0


def test_pace_none_when_stopped() -> None:
    assert compute("pace", steady(60, speed=0.0)) is None
    assert compute("stride_m", steady(60, speed=0.0, cadence=0.0)) is None


def test_distance_and_overlapping_windows_do_not_double_count() -> None:
    eng = Engine(Profile())
    t = T0 + np.arange(600.0)
    speed = np.full(600, 3.0)
    for end in range(5, 600, 5):
        w = Window.from_arrays(t=t[: end + 1], speed=speed[: end + 1], session_start=T0)
        ind = eng.tick(w)
        ind = eng.tick(w)  # the same window again adds nothing
    assert ind.distance_m == pytest.approx(3.0 * 596, rel=1e-9)


# --------------------------------------------------------------------------------------------------- TRIMP
def test_trimp_by_hand() -> None:
    # 30 min at HRr = (120-60)/(180-60) = 0.5:
    #   male   30 * 0.5 * 0.64 * e^(1.92*0.5)  = 25.07
    #   female 30 * 0.5 * 0.86 * e^(1.67*0.5)  = 29.73
    #   unknown (0.75, 1.795)                  = 27.52
    hr = np.full(1800, 120.0)
    by_hand = {
        "male": 30 * 0.5 * 0.64 * math.exp(1.92 * 0.5),
        "female": 30 * 0.5 * 0.86 * math.exp(1.67 * 0.5),
        None: 30 * 0.5 * 0.75 * math.exp(1.795 * 0.5),
    }
    assert by_hand["male"] == pytest.approx(25.07, abs=0.01)
    assert by_hand["female"] == pytest.approx(29.73, abs=0.01)
    for sex, value in by_hand.items():
        prof = Profile(sex=sex, hr_rest=60, hr_max=180)  # type: ignore[arg-type]
        assert trimp_of(hr, prof) == pytest.approx(value)
    assert (TRIMP_MALE, TRIMP_FEMALE, TRIMP_UNKNOWN) == ((0.64, 1.92), (0.86, 1.67), (0.75, 1.795))


def test_trimp_through_the_engine_integrates_each_second_once() -> None:
    prof = Profile(sex="male", hr_rest=60, hr_max=180)
    eng = Engine(prof)
    t = T0 + np.arange(1801.0)
    hr = np.full(1801, 120.0)
    for end in range(5, 1801, 5):
        a = max(0, end + 1 - 3600)
        ind = eng.tick(Window.from_arrays(t=t[a : end + 1], hr=hr[a : end + 1], session_start=T0))
    assert ind.trimp == pytest.approx(30 * 0.5 * 0.64 * math.exp(0.96), rel=2e-3)
    assert sum(ind.hr_zone_s) == pytest.approx(1800, abs=1)
    assert ind.hr_zone_s[1] == pytest.approx(1800, abs=1)  # 120/180 = 67 % HRmax is zone 2 (60-70 %)


# --------------------------------------------------------------------------------------- drift, decoupling
def test_drift_slope_of_known_line_with_outliers() -> None:
    t = np.arange(0.0, 2400.0, 30.0)
    hr = 150.0 + 12.0 * t / 3600.0
    hr[[3, 17, 30, 51, 70]] = [195.0, 110.0, 90.0, 200.0, 120.0]
    assert drift_slope(t, hr) == pytest.approx(12.0, abs=1e-9)
    ref = theilslopes(hr, t)[0] * 3600
    assert drift_slope(t, hr) == pytest.approx(ref)


def test_theil_sen_equals_scipy_on_noise() -> None:
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 100, 57))
    y = 2.0 * x + rng.standard_t(2, 57)
    assert theil_sen(x, y) == pytest.approx(theilslopes(y, x)[0])


def _steady_run(minutes: int, hr_at, speed: float = 3.0) -> tuple[Engine, list]:  # type: ignore[no-untyped-def]
    n = minutes * 60 + 1
    s = np.arange(float(n))
    t = T0 + s
    hr = hr_at(s)
    sp = np.full(n, speed)
    cad = np.full(n, 170.0)
    eng = Engine(Profile(hr_rest=50, hr_max=190))
    out = []
    for end in range(5, n, 5):
        a = max(0, end + 1 - 3600)
        sl = slice(a, end + 1)
        out.append(eng.tick(Window.from_arrays(t=t[sl], hr=hr[sl], speed=sp[sl], cadence=cad[sl], session_start=T0)))
    return eng, out


def test_drift_through_engine() -> None:
    # flat 140 until minute 10, then +12 bpm/h
    _, out = _steady_run(40, lambda s: 140.0 + 12.0 * np.clip(s - 600, 0, None) / 3600)
    assert out[-1].cardiac_drift_bpm_h == pytest.approx(12.0, abs=0.3)


def test_decoupling_of_constructed_series() -> None:
    # constant speed; HR 150 through minute 20, then rising 0.5 bpm/min.
    # Reference (min 10-20): EF = 3.0/150. Last 10 min of a 40-min run: mean HR = 150 + 0.5 * 15 = 157.5.
    # decoupling = 100 * (1/150 - 1/157.5) / (1/150) = 100 * (1 - 150/157.5) = 4.7619 %
    _, out = _steady_run(40, lambda s: 150.0 + 0.5 * np.clip(s - 1200, 0, None) / 60)
    assert out[-1].decoupling_pct == pytest.approx(100 * (1 - 150 / 157.5), abs=0.05)
    assert decoupling_pct(3.0 / 150, 3.0 / 160) == pytest.approx(6.25)
    before_20 = [i for i in out if i.elapsed_s < 1200]
    assert all(i.decoupling_pct is None for i in before_20)


# --------------------------------------------------------------------------------------------- gait fatigue
def test_cadence_decline_and_stride_change_at_matched_speed() -> None:
    base = Gait(speed=3.0, cadence=180.0, step=1.0, cadence_cv=0.01, seconds=600)
    # 10 % faster: expected cadence 180 * 1.1^0.25 = 184.34; at 175.1 that is a 5.01 % decline
    now = Gait(speed=3.3, cadence=175.1, step=60 * 3.3 / 175.1, cadence_cv=0.02, seconds=300)
    from processors.cadence_decline import cadence_decline_pct
    from processors.cadence_variability import cadence_cv_ratio
    from processors.stride_change import stride_change_pct

    expected = 180 * 1.1**0.25
    assert cadence_decline_pct(base, now, 0.15) == pytest.approx(100 * (expected - 175.1) / expected, abs=1e-3)
    exp_step = 1.0 * 1.1**0.75
    assert stride_change_pct(base, now, 0.15) == pytest.approx(100 * (now.step - exp_step) / exp_step, abs=1e-3)
    assert cadence_cv_ratio(base, now) == 2.0
    # 20 % faster is outside the matched range: no comparison
    far = Gait(speed=3.6, cadence=175.0, step=1.2, cadence_cv=0.01, seconds=300)
    assert cadence_decline_pct(base, far, 0.15) is None


def test_fatigue_combination() -> None:
    f = fatigue_of(drift=20.0, decoupling=10.0, cadence_decline=6.0, cv_ratio=2.0)
    assert f.value == 1.0 and f.parts == {
        "drift": 1.0,
        "decoupling": 1.0,
        "cadence_decline": 1.0,
        "cadence_variability": 1.0,
    }
    f = fatigue_of(drift=-5.0, decoupling=None, cadence_decline=1.5, cv_ratio=None)
    # parts: drift 0 (w .3), cadence 0.25 (w .25) -> (0.0625) / 0.55
    assert f.value == pytest.approx(0.25 * 0.25 / 0.55, abs=1e-4)
    assert f.gait() == pytest.approx(0.25)


# ------------------------------------------------------------------------------------------- heat and fluid
@pytest.mark.parametrize(("temp", "factor"), [(10, 0.0), (13, 0.0), (18, 0.25), (23, 0.5), (28, 0.75), (33, 1.0)])
def test_heat_factor_at_acsm_flag_borders(temp: float, factor: float) -> None:
    assert heat_factor(temp) == pytest.approx(factor)


def test_wbgt_bom_by_hand() -> None:
    # Ta 25 °C, RH 60 %: e = 0.6 * 6.105 * exp(17.27*25/262.7) = 18.95 hPa; WBGT = 14.175 + 7.45 + 3.94 = 25.56
    e = 0.6 * 6.105 * math.exp(17.27 * 25 / (237.7 + 25))
    assert wbgt_bom(25.0, 60.0) == pytest.approx(0.567 * 25 + 0.393 * e + 3.94)
    assert wbgt_bom(25.0, 60.0) == pytest.approx(25.56, abs=0.01)


def test_sweat_rate_by_hand_and_in_field_range() -> None:
    # 70 kg at 5:00/km: VO2 = 0.2 * 200 + 3.5 = 43.5 mL/kg/min -> 43.5*70/60*20.1 = 1020.1 W
    # at 30 °C, share 0.39 + 0.02*18 = 0.75 -> 765.1 W / 2426 J/g = 0.3154 g/s = 1.135 L/h
    watts = 43.5 * 70 / 60 * 20.1
    assert sweat_rate_l_h(1000 / 300, 30.0, 70.0) == pytest.approx(watts * 0.75 / 2426 * 3.6, rel=1e-9)
    for speed in (2.5, 3.0, 3.5, 4.0):
        for temp in (10.0, 20.0, 30.0):
            assert 0.35 <= sweat_rate_l_h(speed, temp, 70.0) <= 1.8


def test_sweat_loss_is_none_without_temperature_and_catches_up_when_it_arrives() -> None:
    n = 1200
    t = T0 + np.arange(float(n))
    speed = np.full(n, 1000 / 300)
    assert compute("sweat_loss_pct", Window.from_arrays(t=t, speed=speed, session_start=T0)) is None
    temp = np.full(n, np.nan)
    temp[600:] = 30.0  # first reading after 10 min: the first 10 min are converted with it
    got = compute(
        "sweat_loss_pct", Window.from_arrays(t=t, speed=speed, temp=temp, session_start=T0), Profile(mass_kg=70)
    )
    assert got == pytest.approx(100 * sweat_rate_l_h(1000 / 300, 30.0, 70.0) * (n / 3600) / 70, rel=1e-3)


# --------------------------------------------------------------------------------------- pace over training
def test_pace_over_training_and_time_faster() -> None:
    prof = Profile(training_pace=330)
    w = steady(300, speed=1000 / 300)
    assert compute("pace_over_training", w, prof) == pytest.approx(1.1)
    assert compute("faster_than_training_s", w, prof) == 300
    assert compute("pace_over_training", w, Profile()) is None
    assert compute("faster_than_training_s", steady(300, speed=1000 / 330), prof) == 0


def test_duration_vs_longest() -> None:
    assert compute("duration_vs_longest", steady(5401), Profile(longest_run_min=120)) == 0.75
    assert compute("duration_vs_longest", steady(5401), Profile()) is None


# ------------------------------------------------------------------------------------------------ monotony
def test_monotony_by_hand() -> None:
    # speed cv 5 %, cadence cv 2.5 % -> v = 0.5 + 0.5 = 1 -> exp(-1)
    s = np.array([3.0 * 0.95, 3.0 * 1.05] * 50)
    c = np.array([170.0 * 0.975, 170.0 * 1.025] * 50)
    assert monotony_of(s, c) == pytest.approx(math.exp(-1.0))


def test_monotony_flat_vs_varied_run() -> None:
    n = 1500
    t = T0 + np.arange(float(n))
    flat = Window.from_arrays(t=t, speed=np.full(n, 3.0), cadence=np.full(n, 172.0), session_start=T0)
    assert compute("monotony", flat) == pytest.approx(1.0)
    # 2-min surges: +/- 12 % speed, +/- 4 % cadence
    phase = np.where((np.arange(n) // 120) % 2 == 0, 1.0, -1.0)
    varied = Window.from_arrays(
        t=t, speed=3.0 * (1 + 0.12 * phase), cadence=172.0 * (1 + 0.04 * phase), session_start=T0
    )
    assert compute("monotony", varied) < 0.2
    assert compute("monotony", steady(600, speed=3.0, cadence=172.0)) is None  # needs 15 min


# ------------------------------------------------------------------------------------------ acute and lock
def _collapse(hr_after: float | np.ndarray, cad_after: np.ndarray, speed_after: float) -> Window:
    rng = np.random.default_rng(5)
    n_before, n_after = 300, len(cad_after)
    n = n_before + n_after
    return Window.from_arrays(
        t=T0 + np.arange(float(n)),
        hr=np.concatenate([np.full(n_before, 168.0), np.full(n_after, hr_after)]) + rng.normal(0, 1, n),
        speed=np.concatenate([np.full(n_before, 3.3), np.full(n_after, speed_after)]),
        cadence=np.concatenate([np.full(n_before, 172.0) + rng.normal(0, 1, n_before), cad_after]),
        session_start=T0,
    )


def test_acute_cramp_signature() -> None:
    rng = np.random.default_rng(2)
    hobble = 100 + rng.normal(0, 30, 15)  # irregular steps
    assert compute("acute_cramp", _collapse(166.0, hobble, 1.1)) is True
    # a planned stop: no steps, speed 0 -> not the signature
    assert compute("acute_cramp", _collapse(160.0, np.zeros(15), 0.0)) is False
    # steady easing to a jog: regular cadence, pace not collapsed
    assert compute("acute_cramp", _collapse(165.0, np.full(15, 166.0), 2.8)) is False
    # the cramp stops the runner: reported speed 0, hobbling steps falling towards ~55/min, HR high
    falling = 55 + 110 * np.exp(-np.arange(15) / 4.0) + rng.normal(0, 10, 15)
    assert compute("acute_cramp", _collapse(167.0, falling, 0.0)) is True
    # a walk break at high HR: cadence drops once to a steady walking rhythm -> not the signature
    walk = np.concatenate([[150.0, 125.0], 108 + rng.normal(0, 1.0, 13)])
    assert compute("acute_cramp", _collapse(166.0, walk, 1.4)) is False
    # HR falling fast (1.9 bpm/s, a recovering runner who chose to slow down): not the signature
    assert compute("acute_cramp", _collapse(168.0 - 1.9 * np.arange(1, 16), hobble, 1.1)) is False


def test_cadence_lock_vs_real_hr_crossing_cadence() -> None:
    n = 600
    rng = np.random.default_rng(4)
    t = T0 + np.arange(float(n))
    cad = np.round(172 + 2 * np.sin(np.arange(n) / 7.0) + rng.normal(0, 1.0, n))
    locked = Window.from_arrays(t=t, hr=cad.copy(), cadence=cad, speed=np.full(n, 3.2), session_start=T0)
    ind = Engine(PROF).tick(locked)
    assert ind.hr_unreliable is True
    assert ind.hr is None and ind.trimp == pytest.approx(0.0, abs=1.0)
    # a real HR slowly drifting through the cadence value, independent noise: not a lock
    hr = np.round(160 + 24 * np.arange(n) / n + rng.normal(0, 1.0, n))
    real = Window.from_arrays(t=t, hr=hr, cadence=cad, speed=np.full(n, 3.2), session_start=T0)
    assert Engine(PROF).tick(real).hr_unreliable is False


# ---------------------------------------------------------------------------------------------------- risk
def test_risk_is_the_logistic_of_the_factor_sum() -> None:
    inputs = {"pace_over_training": 1.0, "heat": 0.5, "cramp_history": 1.0, "fatigue": 0.5}
    r = risk_of(inputs)
    z = INTERCEPT + 0.9 * 1.0 + 0.6 * 0.5 + math.log(2.4) + 1.8 * 0.5  # priors well below their cap
    assert r.risk == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-4)
    assert r.factors["cramp_history"] == pytest.approx(math.log(2.4), abs=1e-4)
    assert r.factors == {k: round(COEFFICIENTS[k] * v, 4) for k, v in inputs.items()}


def test_profile_priors() -> None:
    base = dict(
        pace_ratio=None,
        elapsed_s=0.0,
        duration_vs_longest=None,
        heat=None,
        sweat_pct=None,
        fatigue_gait=None,
        decoupling=None,
        drift=None,
        monotony=None,
        acute=False,
    )
    x = factor_inputs(**base, profile=Profile(sex="male", age=55, cramp_history=True, recent_injury=True))
    r = risk_of(x)
    assert r.factors["cramp_history"] == pytest.approx(math.log(2.4), abs=1e-4)
    assert r.factors["recent_injury"] == pytest.approx(math.log(1.55), abs=1e-4)
    # men ~1.9x women: the two differ by ln 1.9 in log-odds
    male = risk_of(factor_inputs(**base, profile=Profile(sex="male"))).logit
    female = risk_of(factor_inputs(**base, profile=Profile(sex="female"))).logit
    assert male - female == pytest.approx(math.log(1.9), abs=1e-3)
    assert r.factors["age"] == pytest.approx(0.3)
    assert "age" not in risk_of(factor_inputs(**base, profile=Profile(age=30))).factors
    assert "sex" not in risk_of(factor_inputs(**base, profile=Profile())).factors


def test_level_hysteresis() -> None:
    seq = [0.1, 0.26, 0.18, 0.14, 0.52, 0.42, 0.39, 0.8, 0.67, 0.64, 0.05]  # margin 0.10
    levels = []
    level = "low"
    for r in seq:
        level = next_level(level, r)  # type: ignore[arg-type]
        levels.append(level)
    assert levels == [
        "low",
        "elevated",
        "elevated",
        "low",
        "high",
        "high",
        "elevated",
        "critical",
        "critical",
        "high",
        "low",
    ]

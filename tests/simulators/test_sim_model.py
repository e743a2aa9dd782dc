"""The runner model: determinism, plausibility (wire-valid frames), physiology and artefacts."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

from monitor.core.wire import MAX_BATCH, RANGES, encode_frames, parse_frames
from processors.profile import Profile
from simulators.frame import Frame
from simulators.runner import DEFAULT_START, AthleteSpec, Plan, Sensors, Traits, Weather, simulate
from simulators.runner.model import GAITS, SimulatedRun
from simulators.runner.plans import effort_cost
from simulators.scenarios import load_scenario

PROFILE = Profile(
    name="Test", sex="male", age=40, mass_kg=72, height_cm=178, hr_rest=50, hr_max=185, training_pace=330,
    longest_run_min=120,
)  # fmt: skip
COOL = Weather(temp_min=8, temp_max=12, start_hour=8)
HOT = Weather(temp_min=28, temp_max=32, start_hour=12)


def spec(plan: Plan, *, sensors: Sensors | None = None, **kw: object) -> AthleteSpec:
    return AthleteSpec("t", PROFILE, plan, sensors=sensors or Sensors.clean(), **kw)  # type: ignore[arg-type]


def wire_roundtrip(frames: list[Frame]) -> tuple[int, list[str]]:
    """Encode as the publisher does and parse as the monitor does: (accepted values, rejection reasons)."""
    accepted, rejected = 0, []
    for k in range(0, len(frames), MAX_BATCH):
        parsed = parse_frames(encode_frames(frames[k : k + MAX_BATCH]))
        accepted += len(parsed.samples)
        rejected += parsed.rejected
    return accepted, rejected


# ---- determinism ---------------------------------------------------------------------------------------


def test_same_seed_same_run_different_seed_different_run() -> None:
    s = spec(Plan(duration_min=20), sensors=Sensors())
    a, b, c = (simulate(s, COOL, seed=seed) for seed in (7, 7, 8))
    assert a.frames == b.frames and a.truth == b.truth
    assert np.array_equal(a.trace.hr, b.trace.hr)
    assert a.frames != c.frames


def test_scenario_runs_are_deterministic_and_start_at_the_fixed_epoch() -> None:
    scenario = load_scenario("easy")
    first = scenario.simulate(seed=3)
    again = scenario.simulate(seed=3)
    assert [r.frames for r in first] == [r.frames for r in again]
    assert min(f.t for f in first[0].frames) >= DEFAULT_START
    assert min(f.t for r in first for f in r.frames) < DEFAULT_START + scenario.stagger_s + 1
    shifted = scenario.simulate(seed=3, start=DEFAULT_START + 1000)
    assert [f.t - 1000 for f in shifted[0].frames] == [f.t for f in first[0].frames]


# ---- plausibility ---------------------------------------------------------------------------------------


def test_every_frame_of_every_builtin_scenario_passes_wire_validation() -> None:
    for name in ("squad", "hot-marathon", "intervals", "hills"):
        for run in load_scenario(name).simulate(seed=11):
            accepted, rejected = wire_roundtrip(run.frames)
            assert rejected == [], (name, run.athlete)
            assert accepted == sum(len(f.streams()) for f in run.frames)
            for f in run.frames:
                assert f.streams(), "no empty frames"
                for stream, value in f.streams().items():
                    lo, hi = RANGES[stream]
                    assert lo <= value <= hi


def test_values_are_plausible_for_a_runner() -> None:
    run = simulate(spec(Plan(duration_min=40, speed=1.0)), COOL, seed=1)
    moving = [f for f in run.frames if f.t > run.frames[0].t + 120]
    hr = np.array([f.hr for f in moving])
    pace = np.array([f.pace for f in moving])
    cadence = np.array([f.cadence for f in moving])
    assert 120 < np.median(hr) < 185
    assert np.median(pace) == pytest.approx(330, rel=0.05)  # even plan at training speed on the flat
    assert 160 < np.median(cadence) < 185
    temps = [f for f in run.frames if f.temp is not None]
    gaps = np.diff([f.t for f in temps])
    assert gaps.min() >= 30 and gaps.max() <= 60  # temperature every 30–60 s
    assert all(8 <= f.temp <= 12 for f in temps if f.temp is not None)


def test_clean_sensors_give_1_hz_frames_in_order_without_gaps() -> None:
    run = simulate(spec(Plan(duration_min=10)), COOL, seed=2)
    times = [f.t for f in run.frames]
    assert times == [DEFAULT_START + i for i in range(600)]
    assert run.truth.artefacts == ()


# ---- physiology -----------------------------------------------------------------------------------------


def test_heart_rate_follows_intensity_with_first_order_kinetics() -> None:
    plan = Plan(kind="intervals", reps=4, work_s=240, rest_s=180, work_speed=1.3, rest_speed=0.7, warmup_min=10,
                cooldown_min=5)  # fmt: skip
    run = simulate(spec(plan), COOL, seed=4)
    tr = run.trace
    t = tr.t - tr.t[0]
    warm = 600.0
    work_hr, rest_hr = [], []
    for k in range(4):
        w0 = warm + k * 420
        work_hr.append(tr.hr[(t >= w0 + 120) & (t < w0 + 240)].mean())
        rest_hr.append(tr.hr[(t >= w0 + 240 + 100) & (t < w0 + 420)].mean())
        # not a jump: 5 s into the rep HR has moved less than a third of the way; ~τ (25 s + speed-up) later
        # about half; by 3 min nearly all of it
        i0 = int(w0)
        base, top = tr.hr[i0], tr.hr[i0 + 180]
        assert top - base > 15
        assert (tr.hr[i0 + 5] - base) / (top - base) < 0.33
        assert 0.35 < (tr.hr[i0 + 35] - base) / (top - base) < 0.85
        assert (tr.hr[i0 + 150] - base) / (top - base) > 0.9
    assert min(work_hr) > max(rest_hr) + 15


def test_steady_heart_rate_matches_intensity_and_stays_below_max() -> None:
    hrs = []
    for speed in (0.85, 1.0, 1.15):
        run = simulate(spec(Plan(duration_min=12, speed=speed)), COOL, seed=5)
        hrs.append(run.trace.hr[300:600].mean())
        assert run.trace.hr.max() <= PROFILE.hr_max_bpm + 2
    assert hrs[0] + 8 < hrs[1] < hrs[2] - 8


def drift(run: SimulatedRun) -> float:
    """HR rise at constant speed: last 10 min minus minutes 12–20."""
    hr = run.trace.hr
    return float(hr[-600:].mean() - hr[720:1200].mean())


def test_cardiac_drift_is_larger_in_heat() -> None:
    steady = replace(spec(Plan(duration_min=90, speed=1.0)), traits=Traits(fade=0.0))
    cool = simulate(steady, COOL, seed=6)
    hot = simulate(steady, HOT, seed=6)
    # the same speed in both (no fade): the HR difference is drift
    assert np.allclose(cool.trace.speed[600:], hot.trace.speed[600:], rtol=0.02)
    assert drift(cool) > 1.0
    assert drift(hot) > drift(cool) + 5.0
    assert hot.trace.fluid_loss_pct[-1] > cool.trace.fluid_loss_pct[-1]


def test_drift_grows_with_duration_and_fluid_loss() -> None:
    dry = replace(spec(Plan(duration_min=120)), traits=Traits(fade=0.0, drink_l_h=0.0))
    wet = replace(dry, traits=Traits(fade=0.0, drink_l_h=0.9))
    a, b = simulate(dry, HOT, seed=1), simulate(wet, HOT, seed=1)
    assert a.trace.drift_bpm[3600] < a.trace.drift_bpm[-1]
    assert a.trace.fluid_loss_pct[-1] > b.trace.fluid_loss_pct[-1] + 1.0
    assert a.trace.hr[-600:].mean() > b.trace.hr[-600:].mean() + 2.0


def test_cadence_and_stride_fall_and_cadence_variability_rises_with_fatigue() -> None:
    long = replace(spec(Plan(distance_km=42.195, speed=1.05)), traits=Traits(fade=0.1))
    run = simulate(long, HOT, seed=9)
    tr = run.trace
    early, late = slice(600, 1800), slice(-1800, None)
    assert tr.fatigue[late].mean() > tr.fatigue[early].mean() + 0.3
    assert tr.cadence[late].mean() < tr.cadence[early].mean() * 0.98
    stride = 120 * tr.speed / np.maximum(tr.cadence, 1)
    assert stride[late].mean() < stride[early].mean() * 0.98
    assert np.std(np.diff(tr.cadence[late])) > np.std(np.diff(tr.cadence[early])) * 1.3


def test_plans_shape_the_speed() -> None:
    ns = simulate(spec(Plan(kind="negative-split", distance_km=10, split=0.05)), COOL, seed=1).trace
    half = np.searchsorted(np.cumsum(ns.speed), 5000)
    assert ns.speed[half + 60 : half + 600].mean() > ns.speed[120 : half - 60].mean() * 1.07
    fast = simulate(spec(Plan(kind="too-fast-start", distance_km=12, start_km=5, start_speed=1.15)), COOL, seed=1)
    v = fast.trace.speed
    km5 = np.searchsorted(np.cumsum(v), 5000)
    assert v[120:km5].mean() == pytest.approx(1000 / 330 * 1.15, rel=0.03)
    assert v[km5 + 60 :].mean() < v[120:km5].mean() * 0.92
    hills = simulate(spec(Plan(kind="hills", distance_km=6, hill_grade=0.06, hill_km=0.5)), COOL, seed=1).trace
    up, down = hills.grade > 0.04, hills.grade < -0.04
    assert hills.speed[up].mean() < hills.speed[down].mean() * 0.85
    assert hills.intensity[up].mean() > hills.intensity[down].mean()  # climbing costs more (Minetti)
    assert effort_cost(0.06) > 1.0 > effort_cost(-0.06)


# ---- cramps ---------------------------------------------------------------------------------------------


def test_cramp_hazard_is_higher_in_the_hot_too_fast_marathon_than_on_an_easy_run() -> None:
    hot, easy = load_scenario("hot-marathon"), load_scenario("easy")
    hot_runs, easy_runs = hot.simulate(16, seed=1), easy.simulate(16, seed=1)
    hot_h = np.array([r.trace.hazard.max() for r in hot_runs])
    easy_h = np.array([r.trace.hazard.max() for r in easy_runs])
    assert np.median(hot_h) > 20 * np.median(easy_h)
    hot_cramps = sum(r.truth.onset is not None for r in hot_runs)
    easy_cramps = sum(r.truth.onset is not None for r in easy_runs)
    assert hot_cramps >= 5 and easy_cramps <= 2 and hot_cramps > easy_cramps + 3


def test_each_risk_factor_raises_the_hazard() -> None:
    base = spec(Plan(duration_min=60, speed=1.0))
    ref = simulate(base, COOL, seed=3).trace.hazard.sum()
    variants = {
        "faster than training": replace(base, plan=Plan(duration_min=60, speed=1.15)),
        "cramp history": replace(base, profile=replace(PROFILE, cramp_history=True)),
        "recent injury": replace(base, profile=replace(PROFILE, recent_injury=True)),
        "poor conditioning": replace(base, profile=replace(PROFILE, longest_run_min=40)),
        "longer": replace(base, plan=Plan(duration_min=120, speed=1.0)),
    }
    for name, variant in variants.items():
        assert simulate(variant, COOL, seed=3).trace.hazard.sum() > ref * 1.3, name
    assert simulate(base, HOT, seed=3).trace.hazard.sum() > ref * 1.3, "heat"
    female = replace(base, profile=replace(PROFILE, sex="female"))
    assert simulate(female, COOL, seed=3).trace.hazard.sum() < ref


def test_acute_cramp_signature_pace_collapses_cadence_irregular_hr_stays_high() -> None:
    forced = replace(spec(Plan(duration_min=60)), cramp_at_min=30.0, traits=Traits(responses={"stretch": 1.0}))
    run = simulate(forced, COOL, seed=2)
    assert run.truth.onset == DEFAULT_START + 1800 and run.truth.responses == ("stretch",)
    by_t = {f.t: f for f in run.frames}
    onset = run.truth.onset
    before = [by_t[onset - k] for k in range(1, 31)]
    after = [by_t[onset + k] for k in range(5, 16)]
    pace_before = np.median([f.pace for f in before])
    assert min(f.pace for f in after) > 2.0 * pace_before  # pace collapses
    cad_before = np.array([f.cadence for f in before], dtype=float)
    cad_after = np.array([f.cadence for f in after], dtype=float)
    assert cad_after.mean() < cad_before.mean() - 30  # cadence falls …
    assert np.std(np.diff(cad_after)) > 2 * np.std(np.diff(cad_before))  # … irregularly
    hr_before = np.mean([f.hr for f in before])
    assert all(f.hr > hr_before - 10 for f in after)  # HR stays high
    stand = run.trace.gait == GAITS.index("stand")
    assert stand.any() and run.trace.speed[stand].max() < 0.5  # then stops to stretch …
    assert (run.trace.gait == GAITS.index("walk")).any()  # … walks …
    assert run.trace.gait[-1] == GAITS.index("run")  # … and resumes


@pytest.mark.parametrize("response", ["resume", "slow", "stretch", "walk", "stop"])
def test_every_response_after_a_cramp(response: str) -> None:
    forced = replace(spec(Plan(duration_min=50)), cramp_at_min=20.0, traits=Traits(responses={response: 1.0}))
    run = simulate(forced, COOL, seed=5)
    assert run.truth.responses[0] == response
    i = 1200
    after = run.trace.speed[i + 300 :]
    pre = run.trace.speed[i - 300 : i].mean()
    if response == "stop":
        assert run.truth.end == "stopped" and len(run.trace.t) < 1200 + 200
        assert run.trace.speed[-20:].max() < 0.3
    elif response == "walk":
        assert after.mean() == pytest.approx(1.4, rel=0.1)
    elif response == "slow":
        assert after.mean() < pre * 0.9
    else:
        assert after.mean() > pre * 0.8
    if response != "stop":
        assert run.truth.end == "finished"


def test_cramp_onset_is_ground_truth_in_event_time_and_none_without_cramp() -> None:
    calm = simulate(spec(Plan(duration_min=20, speed=0.9)), COOL, seed=0)
    assert calm.truth.onset is None and calm.truth.onsets == ()
    forced = simulate(replace(spec(Plan(duration_min=20)), cramp_at_min=10.0, start_offset_s=5.0), COOL, seed=0)
    assert forced.truth.onset == DEFAULT_START + 5 + 600


# ---- sensor and delivery artefacts ----------------------------------------------------------------------


def locked_seconds(run: SimulatedRun) -> list[Frame]:
    return [f for f in run.frames if f.hr is not None and f.cadence is not None and abs(f.hr - f.cadence) <= 1]


def test_cadence_lock_artefact_present_when_enabled_absent_when_not() -> None:
    base = spec(Plan(duration_min=40, speed=0.9))
    on = replace(base, sensors=replace(Sensors.clean(), hr="optical", cadence_lock_per_h=6.0))
    run = simulate(on, COOL, seed=1)
    episodes = [a for a in run.truth.artefacts if a[0] == "cadence_lock"]
    assert episodes
    _, t0, t1 = episodes[0]
    assert t1 - t0 >= 59
    inside = [f for f in run.frames if t0 <= f.t <= t1]
    assert all(f.hr is not None and f.cadence is not None and abs(f.hr - f.cadence) <= 1 for f in inside)
    true_hr = run.trace.hr[(run.trace.t >= t0) & (run.trace.t <= t1)]
    assert abs(true_hr.mean() - np.mean([f.cadence for f in inside])) > 10  # it is an artefact, not the heart
    off = simulate(base, COOL, seed=1)
    assert not [a for a in off.truth.artefacts if a[0] == "cadence_lock"]
    assert len(locked_seconds(off)) < 5
    chest = replace(on, sensors=replace(on.sensors, hr="chest"))
    assert not [a for a in simulate(chest, COOL, seed=1).truth.artefacts if a[0] == "cadence_lock"]


def test_dropouts_spikes_duplicates_and_late_frames_when_enabled() -> None:
    noisy = Sensors(dropout_per_h=10, gap_per_h=6, spike_per_h=20, duplicate_p=0.02, reorder_p=0.02)
    run = simulate(spec(Plan(duration_min=30), sensors=noisy), COOL, seed=3)
    kinds = {a[0] for a in run.truth.artefacts}
    assert {"dropout_hr", "gap", "hr_spike", "duplicate", "late"} <= kinds
    times = [f.t for f in run.frames]
    assert len(times) != len(set(times))  # duplicates
    assert any(b < a for a, b in pairwise(times))  # out of order
    assert any(f.hr is None and f.pace is not None for f in run.frames)  # single-stream dropout
    assert len(set(times)) < len(run.trace.t)  # whole-watch gaps
    hr = np.array([f.hr for f in sorted(run.frames, key=lambda f: f.t) if f.hr is not None])
    assert np.abs(np.diff(hr)).max() >= 25  # spikes
    late_by = max(a - b for a, b in pairwise(times))
    assert late_by <= 10  # late by seconds, not minutes
    _, rejected = wire_roundtrip(run.frames)
    assert rejected == []

"""Aerobic decoupling compares settled steady running at the reference pace only: a cool-down jog with HR still
high from a hard finish, or HR recovering after a walk break, is not decoupling (science.md, Fatigue)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from processors.bins import N_FIELDS, N_M, N_P, S_M, S_P_HR, S_P_SPD, BinStore
from processors.decoupling import Decoupling, settled_bins
from processors.indicators import Indicators
from processors.profile import Profile
from tests.processors.synth import T0, Run, drive
from tests.processors.test_steady_fatigue import _walk_break_run

PROF = Profile(hr_rest=50, hr_max=190, training_pace=330)


def _kinetic_hr(target: np.ndarray, rng: np.random.Generator, up_s: float = 30.0, down_s: float = 90.0) -> np.ndarray:
    """HR following ``target`` with first-order kinetics (faster up than down), plus noise, whole bpm."""
    hr = np.empty(target.shape[0])
    h = 100.0
    for i, tgt in enumerate(target.tolist()):
        tau = up_s if tgt > h else down_s
        h += (tgt - h) * (1.0 - math.exp(-1.0 / tau))
        hr[i] = h
    return np.round(hr + rng.normal(0, 1.5, hr.shape[0]))


def _hard_finish_then_cool_down(minutes: int = 50, seed: int = 5) -> Run:
    """30 min steady at 3.0 m/s (HR 150), 8 min hard at 3.8 m/s (HR 178), then a 2.55 m/s cool-down jog (HR 135,
    recovering slowly): the cool-down's mean speed over 10 min is within 20 % of the reference, its HR is high."""
    rng = np.random.default_rng(seed)
    n = minutes * 60 + 1
    s = np.arange(float(n))
    speed = np.select([s < 1800, s < 2280], [3.0, 3.8], 2.55) + rng.normal(0, 0.08, n)
    target = np.select([s < 1800, s < 2280], [150.0, 178.0], 135.0)
    cad = np.round(np.select([s < 1800, s < 2280], [170.0, 182.0], 162.0) + rng.normal(0, 1.5, n))
    return Run(t=T0 + s, hr=_kinetic_hr(target, rng), speed=speed, cadence=cad, temp=np.full(n, 15.0))


def _ticks(run: Run) -> list[Indicators]:
    return list(drive(run, PROF, every=30))


def test_settled_bins_need_the_pace_held_for_the_settle_time() -> None:
    rows = np.zeros((12, N_FIELDS))
    rows[:, N_M] = rows[:, N_P] = 10
    rows[:, S_M] = 10 * np.array([3.0, 3.0, 3.0, 3.0, 3.5, 3.0, 3.0, 3.0, 3.0, 3.0, 3.1, 2.9])
    rows[7, N_P] = 2  # HR missing for most of a bin
    assert settled_bins(rows, 10, 3.0, 0.1, 2, smooth_bins=1).astype(int).tolist() == [
        0,
        0,
        1,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
        1,
    ]
    assert settled_bins(rows, 10, 3.0, 0.2, 0, smooth_bins=1).astype(int).tolist() == [
        1,
        1,
        1,
        1,
        1,
        1,
        1,
        0,
        1,
        1,
        1,
        1,
    ]


def _store(spd: np.ndarray, hr: np.ndarray) -> BinStore:
    rows = np.zeros((spd.shape[0], N_FIELDS))
    rows[:, N_M] = rows[:, N_P] = 10
    rows[:, S_M] = rows[:, S_P_SPD] = 10 * spd
    rows[:, S_P_HR] = 10 * hr
    return BinStore.from_lists(10, rows.tolist())


@pytest.mark.parametrize(("surge", "tol"), [(3.9, 1e-9), (3.5, 1.0)])
def test_decoupling_uses_only_settled_bins_at_the_reference_pace(surge: float, tol: float) -> None:
    # 2000 s at 3.0 m/s and 150 bpm, with a 100-s surge in the last 10 min; HR stays up 50 s after it
    spd = np.full(200, 3.0)
    hr = np.full(200, 150.0)
    spd[150:160], hr[150:165] = surge, 165.0
    store = _store(spd, hr)
    # a +30 % surge is left out at once, a +17 % one after its first 30 s (60-s mean speed); the settle time after
    # it is left out too: the now window is the same effort as the reference
    assert Decoupling()._compute(store, 1999.0) == pytest.approx(0.0, abs=tol)
    assert Decoupling(settle_s=0.0)._compute(store, 1999.0) > 0.15  # HR recovering after the surge would count


def test_true_steady_decoupling_is_detected() -> None:
    # constant 3.0 m/s, HR 150 to minute 20 then +0.5 bpm/min: the Friel example, 4.76 % at minute 40
    rng = np.random.default_rng(1)
    n = 40 * 60 + 1
    s = np.arange(float(n))
    hr = 150.0 + 0.5 * np.clip(s - 1200, 0, None) / 60
    run = Run(t=T0 + s, hr=hr, speed=np.full(n, 3.0) + rng.normal(0, 0.05, n), cadence=np.full(n, 170.0),
              temp=np.full(n, 15.0))  # fmt: skip
    out = _ticks(run)
    assert out[-1].decoupling_pct == pytest.approx(100 * (1 - 150 / 157.5), abs=0.2)


def test_hard_finish_and_cool_down_are_not_decoupling() -> None:
    out = _ticks(_hard_finish_then_cool_down())
    steady = [i.decoupling_pct for i in out if 1500 <= i.elapsed_s < 1800]
    assert steady and all(d is not None and abs(d) < 2.0 for d in steady)  # known while the effort is steady
    later = [i for i in out if i.elapsed_s >= 1800 + 300]
    assert later
    for ind in later:  # too little settled running at the reference pace in the last 10 min: unknown
        assert ind.decoupling_pct is None or abs(ind.decoupling_pct) < 2.0
        assert ind.fatigue_parts.get("decoupling", 0.0) < 0.2


def test_walk_breaks_at_steady_effort_are_not_decoupling_but_drift_is() -> None:
    flat = [i.decoupling_pct for i in _ticks(_walk_break_run()) if i.decoupling_pct is not None]
    assert len(flat) > 20 and max(abs(d) for d in flat) < 2.0  # HR recovering after each walk is left out
    drifting = [i for i in _ticks(_walk_break_run(drift_bpm_h=15.0)) if i.elapsed_s >= 60 * 60]
    last = [i.decoupling_pct for i in drifting if i.decoupling_pct is not None]
    # reference HR ≈ 150 + 15 · (14 − 10) / 60 (its settled running lies in minutes 12.5–17.5); the last 10 min
    # end at minute 75: HR ≈ 150 + 15 · (70 − 10) / 60 = 165 on average (within a few %)
    assert last and np.median(last) == pytest.approx(100 * (1 - 151.0 / 165.0), abs=1.5)


@pytest.mark.realdata
def test_fenix2_cool_down_is_not_decoupling(realdata: Path) -> None:
    from tests.processors.test_realdata import run_file

    out = run_file(realdata / "fenix2-run-47min.fit", Profile(training_pace=320, sex="male", age=40))
    cool = [i for i in out if 36 * 60 <= i.elapsed_s < 41 * 60]
    assert cool
    for ind in cool:
        assert ind.fatigue_parts.get("decoupling", 0.0) < 0.5

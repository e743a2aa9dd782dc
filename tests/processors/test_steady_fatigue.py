"""Cadence variability and cardiac drift measure steady running only: walk breaks, cool-downs and pace changes
are not fatigue (science.md, Fatigue)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from processors.bins import N_C, N_FIELDS, S_C, S_C_SPD, SS_C
from processors.cadence_variability import steady_cadence, steady_running_bins
from processors.drift import blocked_theil_sen, steady_blocks
from processors.indicators import Indicators
from processors.profile import Profile
from tests.processors.synth import T0, Run, drive

RUN_S, WALK_S = 480, 90  # 8 min running, 1.5 min walking


def _walk_break_run(minutes: int = 75, drift_bpm_h: float = 0.0, seed: int = 3) -> Run:
    """Run 8 min at 3.0 m/s and 170 steps/min, walk 1.5 min at 1.4 m/s and 115 steps/min, repeated, at a steady
    effort. HR follows each gait's steady state (150 running, 110 walking) with first-order kinetics (30 s up,
    60 s down), plus ``drift_bpm_h`` after minute 10."""
    rng = np.random.default_rng(seed)
    n = minutes * 60 + 1
    s = np.arange(float(n))
    walking = (s % (RUN_S + WALK_S)) >= RUN_S
    speed = np.where(walking, 1.4, 3.0) + rng.normal(0, 0.08, n)
    cadence = np.round(np.where(walking, 115.0, 170.0) + rng.normal(0, 1.5, n))
    target = np.where(walking, 110.0, 150.0) + drift_bpm_h * np.clip(s - 600.0, 0.0, None) / 3600.0
    hr = np.empty(n)
    h = 100.0
    for i in range(n):
        tau = 30.0 if target[i] > h else 60.0
        h += (target[i] - h) * (1.0 - math.exp(-1.0 / tau))
        hr[i] = h
    hr = np.round(hr + rng.normal(0, 1.5, n))
    return Run(t=T0 + s, hr=hr, speed=speed, cadence=cadence, temp=np.full(n, 15.0))


def _ticks(run: Run) -> list[Indicators]:
    return list(drive(run, Profile(hr_rest=50, hr_max=190, training_pace=330), every=30))


def test_walk_breaks_at_steady_effort_are_not_fatigue() -> None:
    out = _ticks(_walk_break_run())
    cv = [v for i in out if (v := i.values.get("cadence_cv_ratio")) is not None]
    drift = [i.cardiac_drift_bpm_h for i in out if i.cardiac_drift_bpm_h is not None]
    assert len(cv) > 0.5 * sum(i.elapsed_s >= 1200 for i in out)  # mostly known, despite the breaks
    assert max(cv) < 1.3  # the walk/run transitions do not count as irregular running
    assert drift  # enough settled steady running for an estimate
    assert max(abs(d) for d in drift) < 5.0  # HR recovering after each walk is not drift
    for ind in out:
        assert ind.fatigue_parts.get("cadence_variability", 0.0) < 0.3
        assert ind.fatigue_parts.get("drift", 0.0) < 0.25


def test_true_drift_is_still_measured_across_walk_breaks() -> None:
    out = _ticks(_walk_break_run(drift_bpm_h=15.0))
    last = [i.cardiac_drift_bpm_h for i in out[-20:] if i.cardiac_drift_bpm_h is not None]
    assert last and np.median(last) == pytest.approx(15.0, abs=4.0)


def _rows(cads: list[float], spds: list[float], sd: float = 1.0) -> np.ndarray:
    rows = np.zeros((len(cads), N_FIELDS))
    rows[:, N_C] = 10
    rows[:, S_C] = 10 * np.array(cads)
    rows[:, SS_C] = 10 * (np.array(cads) ** 2 + sd**2)
    rows[:, S_C_SPD] = 10 * np.array(spds)
    return rows


def test_steady_running_bins_leave_out_walks_surges_and_their_neighbours() -> None:
    cads = [170.0] * 12
    spds = [3.0] * 12
    cads[4], spds[4] = 120.0, 1.4  # a walking bin
    spds[8] = 3.6  # a surge
    mask = steady_running_bins(_rows(cads, spds), 10)
    assert mask.tolist() == [False, True, True, False, False, False, True, False, False, False, True, False]
    rows = _rows(cads, spds)
    rows[5, SS_C] += 10 * 30.0**2  # a transition bin with a huge spread: left out as the neighbour of the walk
    sc = steady_cadence(rows, 10, 30.0)
    assert sc is not None and sc.cadence_cv == pytest.approx(1.0 / 170.0)
    assert steady_cadence(rows, 10, 60.0) is None  # fewer steady seconds than asked for


def test_steady_blocks_and_blocked_slope() -> None:
    spd = np.array([3.0, 3.0, 3.0, 3.3, 3.3, 3.3, 3.0, 3.0])
    ok = np.ones(8, dtype=bool)
    ok[6] = False
    assert steady_blocks(spd, ok, 0.05).tolist() == [0, 0, 0, 1, 1, 1, -1, 2]
    # HR jumps with the pace, flat within each block: no drift (a single Theil–Sen line would say otherwise)
    x = np.arange(6.0)
    y = np.array([150.0, 150, 150, 160, 160, 160])
    assert blocked_theil_sen(x, y, np.array([0, 0, 0, 1, 1, 1])) == 0.0


@pytest.mark.realdata
def test_fenix2_cool_down_fatigue_not_driven_by_variability_or_drift(realdata: Path) -> None:
    from tests.processors.test_realdata import run_file

    out = run_file(realdata / "fenix2-run-47min.fit", Profile(training_pace=320, sex="male", age=40))
    cool = [i for i in out if i.elapsed_s >= 33 * 60]  # a stop at minute 33, then a slow jog/walk cool-down
    assert cool
    for ind in cool:
        assert ind.fatigue_parts.get("cadence_variability", 0.0) < 0.5
        assert ind.fatigue_parts.get("drift", 0.0) < 0.5
    # HR still rising after the speed-up at minutes 20-22 is not drift
    assert all(i.cardiac_drift_bpm_h is None or i.cardiac_drift_bpm_h < 10.0 for i in out)

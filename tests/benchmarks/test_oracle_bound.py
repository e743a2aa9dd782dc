"""The oracle bound's warning rule and scoring (benchmarks/oracle_bound.py) on hand-made hazards."""

from __future__ import annotations

import doctest

import numpy as np

import benchmarks.oracle_bound as ob


def _run(name: str, hazard: np.ndarray, onset: float | None) -> ob.HazardRun:
    return ob.HazardRun("s", name, 1000.0 + np.arange(float(len(hazard))), hazard, onset)


def test_doctests() -> None:
    assert doctest.testmod(ob).failed == 0


def test_a_hazard_that_singles_out_the_cramping_runner_scores_perfectly() -> None:
    quiet = _run("calm", np.full(7200, 1e-6), None)
    rising = np.concatenate([np.full(5400, 1e-6), np.full(1800, 1e-3)])  # high in the last 30 min only
    cramp = _run("cramp", rising, 1000.0 + 6600.0)
    q = ob.score([quiet, cramp], "now", 0.5, 1800.0)
    assert (q["sensitivity"], q["false_alarms_per_h"], q["precision"]) == (1.0, 0.0, 1.0)
    assert q["median_lead_min"] == 20.0  # the alarm at 5400 s, the onset at 6600 s


def test_the_same_high_hazard_for_both_runners_costs_false_alarms() -> None:
    high = np.full(7200, 1e-3)
    q = ob.score([_run("calm", high, None), _run("cramp", high, 1000.0 + 6600.0)], "now", 0.5, 1800.0)
    assert q["sensitivity"] == 1.0
    assert q["false_alarms"] == 4 + 3  # every 30 min for the calm runner; before the window for the other
    assert ob.score([_run("calm", high, None)], "now", 1.01, 1800.0)["false_alarms"] == 0

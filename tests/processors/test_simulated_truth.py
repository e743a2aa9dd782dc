"""Against the simulator's ground truth (simulated cramp onsets and sensor artefacts), through the real pipeline.

The simulator's cramp model is the project's own assumption, not physiology; these tests check the signatures
the processors look for (acute cramp, cadence lock), not the risk model's accuracy.
"""

from __future__ import annotations

from typing import Any

import pytest

pipeline = pytest.importorskip("monitor.core.pipeline")
scenarios = pytest.importorskip("simulators.scenarios")

CRAMPING = [("hot-marathon", 0), ("hot-marathon", 3), ("flat-monotony", 1), ("squad", 7), ("squad", 13)]
WITH_LOCKS = [("hot-marathon", 2), ("hills", 1)]


def simulate(name: str, i: int) -> tuple[Any, list[dict[str, Any]]]:
    run = scenarios.load_scenario(name).simulate_one(i, seed=0)
    res = pipeline.run_offline(run.frames, squad="s", athlete=run.athlete, profile=run.profile)
    return run, [s if isinstance(s, dict) else dict(s) for s in res.statuses]


@pytest.mark.parametrize(("name", "i"), CRAMPING)
def test_acute_cramp_signature_follows_simulated_onsets(name: str, i: int) -> None:
    run, statuses = simulate(name, i)
    onset = run.truth.onset
    assert onset is not None, "the scenario no longer cramps with this seed"
    flagged = [s["t"] for s in statuses if s["acute_cramp"]]
    assert not [t for t in flagged if t < onset - 5], "no signature before the cramp"
    assert [t for t in flagged if onset <= t <= onset + 30], "signature within 30 s of the onset"


@pytest.mark.parametrize(("name", "i"), WITH_LOCKS)
def test_cadence_lock_flags_only_locks(name: str, i: int) -> None:
    run, statuses = simulate(name, i)
    locks = [(a[1], a[2]) for a in run.truth.artefacts if a[0] == "cadence_lock"]
    assert locks, "the scenario no longer has optical locks with this seed"
    flagged = [s["t"] for s in statuses if s["hr_unreliable"]]
    assert flagged
    assert all(any(a <= t <= b + 60 for a, b in locks) for t in flagged), "flags only during a lock (+1 min)"

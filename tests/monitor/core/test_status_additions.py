"""Status keys of the contract's second wave that the advice slice adds (``hr_pct_max``, ``hr_zone``) and the
coach indicators beside them, through the real pipeline."""

from __future__ import annotations

import json

from monitor.core.pipeline import run_offline
from processors.hr_zone import zone_of
from tests.runs import HOT_PROFILE, hot_fast_run

ADDED = ("hr_pct_max", "hr_zone", "hr_max_bpm", "gait_state", "gait_state_s", "gait_steady", "red_flag",
         "gait_uniformity", "efficiency_factor", "decoupling_friel_pct", "hr_recovery_bpm")  # fmt: skip


def test_statuses_carry_hr_pct_max_zone_and_coach_indicators() -> None:
    result = run_offline(hot_fast_run(40), squad="s", athlete="a", profile=HOT_PROFILE)
    late = [s for s in result.statuses if s["elapsed_s"] >= 30 * 60]
    assert late
    for s in late:
        for key in ADDED:
            assert key in s, key
        json.dumps(s, allow_nan=False)
        if s["hr"] is not None:
            assert s["hr_pct_max"] == round(100 * s["hr"] / s["hr_max_bpm"], 1)
            assert s["hr_zone"] == zone_of(s["hr_pct_max"])
        assert s["gait_state"] == "running" and s["red_flag"] is None
        assert s["gait_uniformity"] == s["monotony"]
        assert s["efficiency_factor"] is not None and 0.5 < s["efficiency_factor"] < 2.5
    assert late[-1]["hr_max_bpm"] >= HOT_PROFILE.hr_max_bpm  # the profile's, or raised by observed HR

"""``analyze``'s post-run coach block: from statuses (pure) and on a real recording."""

from __future__ import annotations

import pytest

from monitor.commands.analyze import analyze
from monitor.commands.analyze_coach import coach_summary, render_coach, run_efficiency_factor
from tests.simulators.readers.oracles import REALDATA


def test_coach_summary_from_statuses() -> None:
    statuses = [
        {"gait_state": "running", "hr_recovery_bpm": None, "red_flag": None},
        {"gait_state": "running", "hr_recovery_bpm": 31.0, "red_flag": None},
        {"gait_state": "walking", "hr_recovery_bpm": 31.0, "red_flag": None},
        {"gait_state": "stopped", "hr_recovery_bpm": 24.0, "red_flag": "high_hr_stopped", "signal": "ok"},
        {"gait_state": "stopped", "hr_recovery_bpm": 24.0, "red_flag": "high_hr_stopped", "signal": "lost"},
        {"gait_state": "running", "hr_recovery_bpm": 24.0, "red_flag": None, "decoupling_friel_pct": 4.2,
         "hr_max_bpm": 188.0, "hr_zone_s": [60.0, 120.0, 0.0, 0.0, 0.0]},
    ]  # fmt: skip
    summary = {"avg_pace_s_per_km": 300.0, "avg_hr_bpm": 160.0}  # 200 m/min at 160 bpm -> EF 1.25
    coach = coach_summary(statuses, summary, 5.0)
    assert coach["efficiency_factor"] == 1.25
    assert coach["hr_recoveries_bpm"] == [31.0, 24.0]  # each effort once, in order
    assert coach["red_flags"] == ["high_hr_stopped"]
    assert coach["gait_s"] == {"running": 15.0, "walking": 5.0, "stopped": 5.0, "unknown": 0.0}  # lost: uncounted
    assert (coach["decoupling_friel_pct"], coach["hr_max_bpm"]) == (4.2, 188.0)
    assert coach["grade_adjusted_pace"] is None and coach["climb_m"] is None  # no altitude given
    text = "\n".join(render_coach(coach))
    assert "1.25 m/min per bpm" in text and "31, 24 bpm/min" in text and "RED FLAGS" in text
    assert run_efficiency_factor({"avg_pace_s_per_km": None, "avg_hr_bpm": 150}) is None


@pytest.mark.realdata
def test_analyze_reports_coach_indicators_on_a_real_run() -> None:
    path = REALDATA / "watch-run-2020-12-06.tcx"
    if not path.exists():
        pytest.skip("../shared/realdata is not here (only in the project workspace)")
    from simulators.readers import read_recording

    report = analyze(read_recording(str(path)), squad="t", athlete="a", profile=None)
    coach = report["indicators"]["coach"]
    s = report["summary"]
    # EF from the run's own averages: 60000 / pace / HR
    assert coach["efficiency_factor"] == pytest.approx(60000 / s["avg_pace_s_per_km"] / s["avg_hr_bpm"], abs=2e-3)
    assert 0.7 < coach["efficiency_factor"] < 1.5
    assert coach["decoupling_friel_pct"] is not None and -10 < coach["decoupling_friel_pct"] < 10
    assert coach["gait_s"]["running"] > 60 * 60  # a 13-km run, mostly running
    final = report["indicators"]["final"]
    assert final["hr_zone"] in (1, 2, 3, 4, 5) and final["hr_pct_max"] is not None
    assert sum(coach["hr_zone_s"]) > 60 * 60

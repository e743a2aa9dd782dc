"""``analyze``'s post-run coach block: from statuses (pure) and on a real recording."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from monitor.cli import main
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
    assert "1.25 m/min per bpm" in text and "31, 24 bpm (HR fall within 60 s)" in text and "RED FLAGS" in text
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


def test_a_file_with_a_long_stop_counts_its_load_and_zones_over_both_sessions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """20 min at 140 bpm, 15 min without data (a café stop, the watch left running without a sensor), 20 min at
    160 bpm: the pipeline ends the session at 10 min of silence, as the live monitor does. ``analyze`` said
    "duration 2398 s" beside "time in zones 1-5: 0 / 0 / 0 / 20 / 0 min" and TRIMP 51.8: the last session's only,
    the first 20 min in zone 3 were gone, and the report printed the same."""
    rows = ["t,hr,speed,cadence"]
    rows += [f"{1_700_000_000 + i},140,3.0,170" for i in range(1200)]
    rows += [f"{1_700_000_000 + 2100 + i},160,3.1,172" for i in range(1200)]
    path = tmp_path / "stop.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["analyze", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    coach, final = doc["indicators"]["coach"], doc["indicators"]["final"]
    assert coach["sessions"] == 2
    zones = coach["hr_zone_s"]
    assert zones[2] > 1100 and zones[3] > 1100  # 140 bpm: zone 3; 160 bpm: zone 4 (HRmax 183.5)
    assert sum(zones) == pytest.approx(doc["summary"]["duration_s"], abs=20)
    assert coach["trimp"] > 1.5 * final["trimp"]  # the first session's load is in it
    assert main(["analyze", str(path)]) == 0
    table = capsys.readouterr().out
    assert "2 sessions" in table and "time in zones 1-5   0 / 0 / 20 / 20 / 0 min" in table
    out = tmp_path / "stop.html"
    assert main(["report", str(path), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    n = json.loads(page.split('id="report-numbers">', 1)[1].split("</script>", 1)[0])
    assert n["trimp"] == coach["trimp"] and n["hr_zone_pct"][2] > 45 and 'id="sessions-note"' in page


def test_the_table_gives_alert_times_as_h_mm_ss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As the report, the history and the tiles do: "20:05" could be read as 20 h, a 6-h run printed "337:35"."""
    from tests.runs import HOT_PROFILE, hot_fast_run

    rows = ["t,hr,pace,cadence,temp"] + [f"{f.t},{f.hr},{f.pace},{f.cadence},{f.temp}" for f in hot_fast_run(45)]
    path = tmp_path / "hot.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    profile = tmp_path / "hot.toml"
    profile.write_text(f"hr_max = {HOT_PROFILE.hr_max}\ntraining_pace = {HOT_PROFILE.training_pace}\n", "utf-8")
    assert main(["analyze", str(path), "--profile", str(profile)]) == 0
    table = capsys.readouterr().out.split("alerts: ", 1)[1].splitlines()
    assert int(table[0]) == len(table) - 1 > 0
    for line in table[1:]:
        assert re.match(r"  0:[0-5]\d:[0-5]\d  (advice|warning|critical) ", line), line


def test_the_report_of_a_file_with_a_long_stop_charts_both_sessions(tmp_path: Path) -> None:
    """The charts ran from the last session's start: the first 20 min (at 140 bpm) were off the chart's left edge
    and the heart-rate chart drew a flat 160 bpm for a 40-min file; now they run from the file's start, with a gap
    where there is no data, and alert times count from there too."""
    from monitor.coach.report_html import _chart
    from monitor.commands.report import from_file

    rows = ["t,hr,speed,cadence"]
    rows += [f"{1_700_000_000 + i},140,3.0,170" for i in range(1200)]
    rows += [f"{1_700_000_000 + 2100 + i},160,3.1,172" for i in range(1200)]
    path = tmp_path / "stop.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rep = from_file(str(path), profile=None, squad="offline", athlete=None)
    assert rep.start == 1_700_000_000
    line = _chart(rep, "hr", "Heart rate", "bpm").axes[0].lines[0]
    xs, ys = list(line.get_xdata()), list(line.get_ydata())
    assert min(xs) < 1 and max(xs) > 54  # 0 to 55 min
    shown = [y for y in ys if y == y]
    assert min(shown) == 140 and max(shown) == 160
    finite = [x for x, y in zip(xs, ys, strict=True) if y == y]
    silence = [i for i in range(1, len(finite)) if finite[i] - finite[i - 1] > 10]
    assert len(silence) == 1 and finite[silence[0] - 1] < 20.1 and finite[silence[0]] > 34.9
    i = xs.index(finite[silence[0] - 1])
    assert ys[i + 1] != ys[i + 1]  # the silence is a gap (NaN), not a straight line across it


def test_a_rise_of_hr_after_an_effort_is_not_shown_as_a_recovery() -> None:
    """HR that rose in the minute after a hard effort (a climb walked, a pace drop-out) is a signed "fall" of −8 bpm
    in the status; ``analyze`` printed "-8 bpm (HR fall within 60 s)", a measured recovery to anyone reading it."""
    statuses = [{"gait_state": "running", "hr_recovery_bpm": r} for r in (None, 31.0, -8.0, -0.4, 24.0)]
    coach = coach_summary(statuses, {}, 5.0)
    assert coach["hr_recoveries_bpm"] == [31.0, -8.0, -0.4, 24.0]  # the measurement, signed, in order
    line = next(x for x in render_coach(coach) if "HR recoveries" in x)
    assert "-8" not in line and "-0" not in line
    assert "31, 0, 24 bpm (HR fall within 60 s)" in line  # −0.4 rounds to a fall of 0: measured, none to speak of
    assert "no recovery after 1 effort (HR rose 8 bpm within 60 s)" in line
    only_rises = coach_summary([{"hr_recovery_bpm": -8.0}, {"hr_recovery_bpm": -3.0}], {}, 5.0)
    line = next(x for x in render_coach(only_rises) if "HR recoveries" in x)
    assert line.split(None, 2)[2] == "no recovery after 2 efforts (HR rose 8, 3 bpm within 60 s)"


def test_analyze_of_a_walk_with_rising_hr_prints_no_recovery(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """15 min steady, 4 min hard (172 bpm at 3.9 m/s), then a walk during which HR climbs to 180: the pipeline finds
    the effort's end and a fall of −8 bpm; the text output says no recovery, ``--json`` keeps the signed value."""
    rows = ["t,hr,speed,cadence"]
    hr = [150.0] * 900 + [172.0] * 240 + [172 + min(8, k / 6) for k in range(180)] + [150.0] * 600
    speed = [3.0] * 900 + [3.9] * 240 + [1.3] * 180 + [3.0] * 600
    pairs = enumerate(zip(hr, speed, strict=True))
    rows += [f"{1_700_000_000 + i},{h:.0f},{v},{172 if v > 2 else 110}" for i, (h, v) in pairs]
    path = tmp_path / "rise.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["analyze", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["indicators"]["coach"]["hr_recoveries_bpm"] == [-8.0]
    assert main(["analyze", str(path)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "HR recoveries" in x)
    assert line.split(None, 2)[2] == "no recovery after 1 effort (HR rose 8 bpm within 60 s)"

"""``crampwatch report``: one self-contained HTML file whose numbers equal ``crampwatch analyze --json``, for
each real recording (skipped when ../shared/realdata is absent), a CSV, and a session's statuses."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from monitor.cli import main
from monitor.coach.report import from_statuses, response
from monitor.coach.report_html import _chart, render_html
from monitor.commands._plan import add_plan_arguments, plan_of
from monitor.commands.report import from_file
from monitor.core.pipeline import run_offline
from simulators.frame import Frame
from tests.monitor.test_analyze_cli import _csv_run
from tests.runs import EASY_PROFILE, HOT_PROFILE, T0, easy_cool_run, hot_fast_run

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
REAL_FILES = ("fenix2-run-47min.fit", "fenix5-run-1min.fit", "polar-m400-run.tcx", "watch-run-2020-12-06.tcx")
CHARTS = ("hr", "pace", "cadence", "stride_m", "temp", "risk")


def numbers_of(page: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="report-numbers">(.*?)</script>', page, re.S)
    assert m is not None
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def analyze_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["analyze", *argv, "--json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def report_page(capsys: pytest.CaptureFixture[str], out: Path, *argv: str) -> str:
    assert main(["report", *argv, "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {out}"
    return out.read_text(encoding="utf-8")


def assert_numbers_equal(page: str, doc: dict[str, Any]) -> None:
    n = numbers_of(page)
    for key, value in doc["summary"].items():
        if key in n:
            assert n[key] == value, key
    final = doc["indicators"]["final"]
    assert n["trimp"] == final["trimp"] and n["decoupling_pct"] == final["decoupling_pct"]
    assert n["peak_risk"] == doc["indicators"]["peak_risk"] and n["peak_level"] == doc["indicators"]["peak_level"]
    assert n["alerts"] == len(doc["alerts"])
    zones = final["hr_zone_s"]
    if sum(zones):
        assert n["hr_zone_pct"] == [round(100 * z / sum(zones), 1) for z in zones]
    assert n["efficiency_factor"] == doc["indicators"]["coach"]["efficiency_factor"]
    # what the page prints is those numbers
    s = doc["summary"]
    if s["max_hr_bpm"] is not None:
        assert f"{s['max_hr_bpm']:.0f} bpm" in page
    assert f"{s['distance_m'] / 1000:.2f} km" in page
    assert page.count("<figure data-chart=") == len(CHARTS) and page.count("<svg") >= len(CHARTS)
    for a in doc["alerts"]:
        assert f'data-alert="{a["id"]}"' in page
    for fetch in ('href="http', "href='http", "src=", "<link", "@import"):
        assert fetch not in page, fetch  # self-contained: nothing to fetch
    assert re.findall(r"url\((?!#c-)", page) == []  # only the charts' own clip paths
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # six inline SVGs, no id shared


@pytest.mark.realdata
@pytest.mark.parametrize("name", REAL_FILES)
def test_report_numbers_equal_analyze_on_real_files(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = REALDATA / name
    if not path.is_file():
        pytest.skip("../shared/realdata is not here (only in the project workspace)")
    profile = tmp_path / "ann.toml"
    profile.write_text("training_pace = 320\n")  # faster than this runner trains: the 47-min run raises alerts
    argv = (str(path), "--profile", str(profile), "--athlete", "ann")
    doc = analyze_json(capsys, *argv)
    page = report_page(capsys, tmp_path / "report.html", *argv)
    assert_numbers_equal(page, doc)
    if name.startswith("fenix2"):
        assert doc["alerts"] and "the next 5 min" in page and "→" in page


def test_report_of_a_csv_and_its_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = str(_csv_run(tmp_path))
    doc = analyze_json(capsys, csv)
    page = report_page(capsys, tmp_path / "steady.html", csv)
    assert_numbers_equal(page, doc)
    pdf = tmp_path / "steady.pdf"
    assert main(["report", csv, "-o", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().count(b"/Type /Page\n") + pdf.read_bytes().count(
        b"/Type /Page\r"
    ) + pdf.read_bytes().count(b"/Type /Page ") >= 1 + len(CHARTS)


def test_report_of_a_sessions_statuses_marks_alerts_and_what_followed() -> None:
    result = run_offline(hot_fast_run(45), squad="club", athlete="sam", profile=HOT_PROFILE)
    alerts = [a.to_dict() for a in result.alerts]
    assert alerts
    rep = from_statuses(result.statuses, alerts, squad="club", athlete="sam", source="test session")
    n = rep.numbers()
    last = result.statuses[-1]
    assert n["duration_s"] == last["elapsed_s"] and n["distance_m"] == round(last["distance_m"], 3)
    assert n["max_hr_bpm"] == max(s["hr"] for s in result.statuses if s["hr"] is not None)
    assert n["trimp"] == last["trimp"] and n["alerts"] == len(alerts)
    page = render_html(rep)
    assert numbers_of(page) == json.loads(json.dumps(n))
    assert all(f'data-alert="{a["id"]}"' in page for a in alerts)
    reasons = re.findall(r"<span class='muted reasons'>(.*?)</span>", page)
    assert len(reasons) == len(alerts) and all(r and "male" not in r.lower() and "age" not in r for r in reasons)
    first = response(result.statuses, alerts[0])
    assert first["pace_before"] is not None and first["pace_after"] is not None and first["after_s"] == 300


def test_the_pace_chart_draws_the_target_it_names() -> None:
    """A runner at 5:30/km against a 4:30 training pace: the legend says "target 4:30", so the line is on it."""
    profile = replace(EASY_PROFILE, training_pace=270)
    result = run_offline(easy_cool_run(20), squad="club", athlete="kim", profile=profile)
    rep = from_statuses(result.statuses, [], squad="club", athlete="kim", source="test")
    assert rep.target_pace == 270
    ax = _chart(rep, "pace", "Pace", "min/km").axes[0]
    slow, fast = ax.get_ylim()  # faster is up
    legend = ax.get_legend()
    assert legend is not None and "target 4:30" in [t.get_text() for t in legend.get_texts()]
    assert fast < 270 < slow and slow > 330


def test_a_low_risk_line_is_not_hidden_under_the_level_strip() -> None:
    result = run_offline(easy_cool_run(20), squad="club", athlete="kim", profile=EASY_PROFILE)
    rep = from_statuses(result.statuses, [], squad="club", athlete="kim", source="test")
    ax = _chart(rep, "risk", "Cramp risk", "%").axes[0]
    risk = [float(y) for y in np.asarray(ax.lines[0].get_ydata(), dtype=float) if y == y]
    assert ax.patches and max(risk) < 10  # a low-risk run: the line runs along the bottom
    strip_top = max(p.get_window_extent().y1 for p in ax.patches)
    assert ax.transData.transform((0.0, min(risk)))[1] > strip_top


def test_the_start_time_names_its_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Written on a server in Paris, read by a coach elsewhere: '23:13' alone is an hour off for half the squad."""
    import time

    result = run_offline(easy_cool_run(3), squad="club", athlete="kim", profile=EASY_PROFILE)
    rep = from_statuses(result.statuses, [], squad="club", athlete="kim", source="test")
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    try:
        page = render_html(rep)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert "2024-11-23 23:13 CET" in page  # T0 = 22:13:20 UTC


def test_a_run_with_elapsed_times_has_no_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """audit6: a CSV with elapsed times (h:mm:ss from 0:00:01) was titled '1970-01-01 00:00 UTC'."""
    path = tmp_path / "elapsed.csv"
    path.write_text("elapsed,hr,speed_kmh\n" + "".join(f"0:{i // 60:02d}:{i % 60:02d},150,11\n" for i in range(1, 900)))
    out = tmp_path / "r.html"
    assert main(["report", str(path), "-o", str(out)]) == 0
    title = re.search(r"<h1>(.*?)</h1>", out.read_text()).group(1)  # type: ignore[union-attr]
    assert "1970" not in title and title.endswith("· offline · </span>"), title


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["report", str(tmp_path / "missing.fit")], ["report", "club.ann.1"],
                 ["report", str(_csv_run(tmp_path)), "-o", str(tmp_path / "x.txt")]):  # fmt: skip
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err


def test_matplotlib_is_imported_only_when_a_report_is_drawn() -> None:
    code = (
        "import sys; from monitor.cli import build_parser; import monitor.commands.report, monitor.coach.report; "
        "build_parser(); print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


async def test_report_of_a_stored_session_equals_its_statuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.monitor.store_helpers import store_sessions

    db = tmp_path / "sessions.db"
    ((sid, result),) = (await store_sessions(db, {("club", "sam"): (hot_fast_run(45), HOT_PROFILE)})).items()
    # the command runs its own event loop: in a thread, as from a shell
    page = await asyncio.to_thread(report_page, capsys, tmp_path / "stored.html", sid, "--store", str(db))
    n = numbers_of(page)
    last = result.statuses[-1]
    assert n["duration_s"] == last["elapsed_s"] and n["trimp"] == last["trimp"]
    assert n["alerts"] == len(result.alerts) > 0
    assert n["peak_risk"] == round(max(s["risk"] for s in result.statuses), 3)
    assert all(f'data-alert="{a.id}"' in page for a in result.alerts) and f"Stored session {sid}" in page
    assert await asyncio.to_thread(main, ["report", "club.nobody.1", "--store", str(db)]) == 2
    assert "no session" in capsys.readouterr().err


def test_report_of_a_file_takes_todays_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``report FILE --plan tempo --target-pace S``: judged against the plan, as ``analyze`` judges it."""
    rows = ["time,hr,speed,cadence,temp"]
    rows += [f"{1_700_000_000 + i},{140 + i // 120},3.0,{170 - i // 300},18" for i in range(60 * 60)]
    run = tmp_path / "tempo.csv"
    run.write_text("\n".join(rows) + "\n", encoding="utf-8")
    profile = tmp_path / "ann.toml"
    profile.write_text("training_pace = 400\n", encoding="utf-8")  # the hour at 5:33/km is 20 % faster than usual
    plan = ["--plan", "tempo", "--target-pace", "333"]
    plain = from_file(str(run), profile=str(profile), squad="s", athlete="a")
    planned = from_file(str(run), profile=str(profile), squad="s", athlete="a", plan=plan_of(parse(plan)))
    assert "ease_pace" in {a["kind"] for a in plain.alerts}  # too fast for an ordinary run...
    assert "ease_pace" not in {a["kind"] for a in planned.alerts}  # ...on plan for a tempo
    doc = analyze_json(capsys, str(run), "--profile", str(profile), *plan)
    assert [(a["t"], a["kind"], a["level"]) for a in planned.alerts] == [
        (a["t"], a["kind"], a["level"]) for a in doc["alerts"]
    ]  # the alerts analyze prints with the same plan
    out = tmp_path / "tempo.html"
    assert main(["report", str(run), "--profile", str(profile), *plan, "-o", str(out)]) == 0
    assert "Ease the pace" not in out.read_text(encoding="utf-8")
    assert main(["report", str(run), "--target-pace", "50", "-o", str(out)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_plan_arguments(p)
    return p.parse_args(argv)


def test_a_stream_that_never_reported_draws_no_invented_scale() -> None:
    """A run without temperature (a strap and a foot pod): the temperature chart says so and shows no axis; it
    drew matplotlib's default scale, "−0.04 … 0.04 °C", as if the air had been at 0 °C."""
    result = run_offline(easy_cool_run(10), squad="club", athlete="kim", profile=EASY_PROFILE)
    statuses = [{**s, "temp": None} for s in result.statuses]
    rep = from_statuses(statuses, [], squad="club", athlete="kim", source="test")
    ax = _chart(rep, "temp", "Temperature", "°C").axes[0]
    assert list(ax.get_yticks()) == []
    assert [t.get_text() for t in ax.texts] == ["No data this run."]
    hr = _chart(rep, "hr", "Heart rate", "bpm").axes[0]
    assert len(hr.get_yticks()) > 2 and "No data this run." not in [t.get_text() for t in hr.texts]  # data: a scale


def test_a_sessions_report_names_its_moving_pace_and_leaves_stops_out_of_the_cadence() -> None:
    """polar-m400-run.tcx replayed into a store (13 min stopped, a 399-s pause): its report said "Duration 1:05:03,
    4.28 km, Average pace 8:06 /km" (distance over moving time: 34 min at that pace) and "Average cadence 89 spm"
    (the stopped statuses' 0 spm averaged in; the file's report: 119)."""
    result = run_offline(easy_cool_run(20), squad="club", athlete="kim", profile=EASY_PROFILE)
    half = len(result.statuses) // 2
    stopped = [{**s, "cadence": 0.0, "pace": 3600.0} if i >= half else s for i, s in enumerate(result.statuses)]
    rep = from_statuses(stopped, [], squad="club", athlete="kim", source="test")
    n = rep.numbers()
    running = [s["cadence"] for s in stopped[:half] if s.get("cadence") is not None]
    assert n["avg_cadence_spm"] == pytest.approx(sum(running) / len(running), abs=1e-3) and n["avg_cadence_spm"] > 150
    page = render_html(rep)
    assert "<span>Moving pace</span>" in page and "<span>Average pace</span>" not in page
    whole = (n["duration_s"] / 60) / (n["distance_m"] / 1000) * 60
    assert n["avg_pace_s_per_km"] < 0.7 * whole  # half the session stood still: not duration over distance


def test_the_pdf_page_reads_like_the_html_summary() -> None:
    """The PDF's first page printed the raw keys and numbers: "avg pace s per km: 777.42", "peak risk: 0.032",
    "duration s: 3505.0"."""
    from monitor.coach.report_pdf import pdf_lines

    result = run_offline(hot_fast_run(45), squad="club", athlete="sam", profile=HOT_PROFILE)
    rep = from_statuses(result.statuses, [a.to_dict() for a in result.alerts], squad="club", athlete="sam",
                        source="test")  # fmt: skip
    text = "\n".join(pdf_lines(rep))
    n = rep.numbers()
    assert "Duration:           0:44:55" in text and f"{100 * n['peak_risk']:.0f} % ({n['peak_level']})" in text
    assert "_" not in text.replace(rep.source, "") and "s per km" not in text and "Time per heart-rate zone" in text
    assert "Moving pace:" in text and text.count("\n  0:") + text.count("\n  1:") == len(result.alerts) > 0


def test_a_runner_who_stops_after_an_alert_is_reported_stopped() -> None:
    """The runner stops for 5 min 10 s after the last alert: the report said "pace 5:00 → 5:00 /km" and no time
    stopped (the monitor's pace is null when standing, never above 20 min/km); from the stored statuses (with
    their gait) and from a live view's history points (pace and cadence only)."""
    frames = hot_fast_run(40)
    frames += [Frame(t=T0 + 2400 + i, hr=120.0, pace=3600.0, cadence=0.0, temp=30.0) for i in range(310)]
    result = run_offline(frames, squad="club", athlete="sam", profile=HOT_PROFILE)
    alert = {**result.alerts[-1].to_dict(), "t": T0 + 2400.0}
    stored = response(result.statuses, alert)
    assert stored["after_s"] == 300 and stored["stopped_s"] >= 290
    history = [{k: s.get(k) for k in ("t", "pace", "cadence")} for s in result.statuses]
    assert response(history, alert)["stopped_s"] >= 290
    rep = from_statuses(result.statuses, [alert], squad="club", athlete="sam", source="test")
    page = render_html(rep)
    assert "stopped or walked" in page
    # an alert once the runner stands: no running pace after it, so "not running", not an empty "—" in its place
    later = {**alert, "t": T0 + 2430.0}
    assert response(result.statuses, later)["pace_after"] is None
    page = render_html(from_statuses(result.statuses, [later], squad="club", athlete="sam", source="test"))
    assert "/km → not running" in page and "→ — /km" not in page


@pytest.mark.parametrize(
    "strides",
    [
        [3.2 + 0.1 * (i % 5) for i in range(120)],  # a fast runner: every stride above 3.0 m
        [3.5 if i in (40, 41, 42) else 1.4 for i in range(150)],  # a 15-s sprint in 12.5 min (2 % of the statuses)
        [1.4] * 60,  # steady: the smallest range, not a storm out of rounding
    ],
    ids=["above-3m", "short-sprint", "steady"],
)
def test_the_stride_axis_holds_every_stride(strides: list[float]) -> None:
    """The stride chart's axis is the data's (the monitor reports no stride above 4.0 m): a sprint's 3.5 m was cut
    at the 98th percentile, 1.6 m, on a run at 1.4."""
    statuses = [{"t": T0 + 5.0 * i, "elapsed_s": 5.0 * i, "stride_m": s, "pace": 250.0, "cadence": 170.0, "risk": 0.1,
                 "level": "low"} for i, s in enumerate(strides)]  # fmt: skip
    rep = from_statuses(statuses, [], squad="club", athlete="ann", source="test")
    lo, hi = _chart(rep, "stride_m", "Stride (two steps)", "m").axes[0].get_ylim()
    assert lo < min(strides) and max(strides) < hi, (lo, hi)
    span = max(0.3, max(strides) - min(strides))  # at least 0.3 m, padded 8 % a side, rounded out to 0.1
    assert span <= hi - lo <= 1.16 * span + 0.2, (lo, hi)


def test_stops_do_not_squash_the_cadence_chart() -> None:
    """A run with a third of its statuses stopped (cadence 0, as polar-m400-run.tcx's first minutes): the report's
    cadence chart drew the 0s and scaled 0–150 spm, flattening the running cadence; the dashboard's chart leaves
    them out (a gap), as the average cadence does."""
    result = run_offline(easy_cool_run(20), squad="club", athlete="kim", profile=EASY_PROFILE)
    stopped = [{**s, "cadence": 0.0} if i % 3 == 0 else s for i, s in enumerate(result.statuses)]
    rep = from_statuses(stopped, [], squad="club", athlete="kim", source="test")
    ax = _chart(rep, "cadence", "Cadence", "spm").axes[0]
    drawn = [float(y) for y in np.asarray(ax.lines[0].get_ydata(), dtype=float) if y == y]
    running = [s["cadence"] for s in stopped if s.get("cadence")]
    assert drawn and min(drawn) > 0
    low, high = ax.get_ylim()
    assert low > 0.5 * min(running) and high < 1.5 * max(running)

"""``crampwatch analyze`` through ``monitor.cli.main``: JSON keys, agreement with the devices' summaries, the
table, profiles, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.core.pipeline import STATUS_KEYS
from processors.indicators import LEVELS
from simulators.readers import SUMMARY_KEYS, read_recording, summarize
from tests.simulators.readers.oracles import FILES, REALDATA, checks

ALERT_KEYS = {"id", "t", "squad", "athlete", "level", "kind", "risk", "message", "detail", "factors"}


def _realdata(name: str) -> Path:
    path = REALDATA / name
    if not path.is_file():
        pytest.skip("../shared/realdata is not here (only in the project workspace)")
    return path


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["analyze", *argv, "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    data: dict[str, Any] = json.loads(out)
    return data


def _usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert err.startswith("crampwatch: error: ")
    return err.strip()


def _csv_run(tmp_path: Path, minutes: int = 20) -> Path:
    """A steady 20-minute run written as CSV (no realdata needed)."""
    rows = ["time,hr,speed,cadence,temp,distance"]
    for i in range(minutes * 60):
        rows.append(f"{1_700_000_000 + i},{140 + i // 120},3.0,{170 - i // 300},18,{3.0 * i}")
    path = tmp_path / "steady.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.realdata
@pytest.mark.parametrize("name", FILES)
def test_analyze_json_agrees_with_the_device(capsys: pytest.CaptureFixture[str], name: str) -> None:
    path = _realdata(name)
    data = _json(capsys, str(path))
    assert set(data) == {"summary", "indicators", "alerts", "device", "profile", "reader"}
    summary = data["summary"]
    assert set(SUMMARY_KEYS) <= set(summary)
    rec = read_recording(path)
    ours = summarize(rec)
    for key in SUMMARY_KEYS:
        assert summary[key] == pytest.approx(getattr(ours, key), abs=1e-3)
    # the session-level oracles (FIT session, TCX laps combined) hold for what analyze prints
    session = [c for c in checks(name, rec) if c.label in ("session", "laps combined", "README")]
    assert session
    for check in session:
        assert check.ok, check.describe()
        assert summary[check.field] == pytest.approx(check.ours, abs=1e-3)

    ind = data["indicators"]
    assert set(STATUS_KEYS) <= set(ind["final"])
    assert ind["final"]["athlete"] == path.stem and ind["final"]["squad"] == "offline"
    assert ind["ticks"] >= 1 and 0 < sum(ind["level_s"].values()) <= 5.0 * ind["ticks"]
    # pauses are in no level (short stops under the 10-s stale limit still count: 2 % slack)
    assert sum(ind["level_s"].values()) <= 1.02 * data["summary"]["duration_s"] + 5.0
    assert set(ind["level_s"]) == set(LEVELS) and ind["peak_level"] in LEVELS
    assert 0.0 <= ind["final"]["risk"] <= ind["peak_risk"] <= 1.0
    for alert in data["alerts"]:
        assert set(alert) >= ALERT_KEYS and len(alert["message"]) <= 80
        assert rec.start <= alert["t"] <= rec.end + 5


@pytest.mark.realdata
def test_analyze_is_deterministic(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = str(_realdata("fenix2-run-47min.fit"))
    profile = tmp_path / "ann.toml"
    profile.write_text("training_pace = 320\n")  # the run averages 5:15/km, faster than this runner trains
    first = _json(capsys, path, "--athlete", "ann", "--squad", "club", "--profile", str(profile))
    second = _json(capsys, path, "--athlete", "ann", "--squad", "club", "--profile", str(profile))
    assert first == second
    assert first["alerts"], "faster than training pace over 47 min raises alerts"
    assert {a["kind"] for a in first["alerts"]} == {"ease_pace"}
    assert {a["athlete"] for a in first["alerts"]} == {"ann"}


@pytest.mark.realdata
def test_analyze_prints_the_alerts_the_monitor_sends(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """audit5: analyze --json rounded the alerts again, to 3 decimals: a live replay's alert said risk 0.4346 and
    'duration': 0.2333, analyze 0.435 and 0.233 — the same alert, two objects. It prints them as sent
    (``monitor.mqtt.service`` publishes ``Alert.to_dict()``)."""
    from monitor.commands.analyze import load_profile
    from monitor.core.pipeline import run_offline

    path = _realdata("fenix2-run-47min.fit")
    profile = tmp_path / "ann.toml"
    profile.write_text("training_pace = 320\ncramp_history = true\n")
    printed = _json(capsys, str(path), "--athlete", "ann", "--squad", "club", "--profile", str(profile))["alerts"]
    result = run_offline(read_recording(path).frames(), squad="club", athlete="ann", profile=load_profile(str(profile)))
    sent = [json.loads(json.dumps(a.to_dict(), allow_nan=False)) for a in result.alerts]
    assert sent and printed == sent


@pytest.mark.realdata
def test_analyze_table(capsys: pytest.CaptureFixture[str]) -> None:
    path = _realdata("fenix5-run-1min.fit")
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "fenix5" in out and "average heart rate" in out and "90.6 bpm" in out and "90.0 bpm" in out
    assert "157.6 m" in out and "alerts: 0" in out


def test_analyze_csv_without_realdata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, str(_csv_run(tmp_path)))
    s = data["summary"]
    assert s["duration_s"] == 1199.0 and s["distance_m"] == pytest.approx(3597.0)
    assert s["avg_pace_s_per_km"] == pytest.approx(1000 / 3, abs=0.01)
    assert s["avg_cadence_spm"] == pytest.approx(168.5, abs=0.1)
    assert data["device"] is None
    assert data["indicators"]["final"]["t"] >= 1_700_000_000 + 1195


def test_analyze_with_profiles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = str(_csv_run(tmp_path))
    plain = _json(capsys, run)
    assert plain["indicators"]["final"]["pace_over_training"] is None
    toml = tmp_path / "ann.toml"
    toml.write_text('name = "Ann"\nsex = "female"\nage = 41\ntraining_pace = 360\nhr_max = 188\n', encoding="utf-8")
    with_toml = _json(capsys, run, "--profile", str(toml))
    assert with_toml["indicators"]["final"]["pace_over_training"] == pytest.approx(360 / (1000 / 3), abs=0.02)
    js = tmp_path / "ann.json"
    js.write_text(
        json.dumps({"profile": {"name": "Ann", "training_pace": 360, "hr_max": 188, "sex": "female", "age": 41}})
    )
    with_json = _json(capsys, run, "--profile", str(js))
    assert with_json["indicators"] == with_toml["indicators"]


def test_analyze_with_todays_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--plan``/``--target-pace``: the pace is judged against today's target (issue 9.2)."""
    run = str(_csv_run(tmp_path))
    toml = tmp_path / "ann.toml"
    toml.write_text("training_pace = 360\n", encoding="utf-8")
    plain = _json(capsys, run, "--profile", str(toml))["indicators"]["final"]
    planned = _json(capsys, run, "--profile", str(toml), "--plan", "tempo", "--target-pace", "333")["indicators"]
    final = planned["final"]
    assert final["plan"] == "tempo" and final["target_pace"] == 333.0
    assert final["values"]["pace_ratio_plan"] == pytest.approx(1.0, abs=0.02)
    assert plain["values"]["pace_ratio_plan"] == pytest.approx(360 / 333.3, abs=0.02)
    assert final["pace_over_training"] == plain["pace_over_training"]  # the contract key stays "vs training"
    # m:ss as on a watch ("5:33" was "invalid float value" while CSV files take m:ss paces)
    clock = _json(capsys, run, "--profile", str(toml), "--plan", "tempo", "--target-pace", "5:33")["indicators"]
    assert clock["final"]["target_pace"] == 333.0 and clock["final"]["values"] == final["values"]
    for bad in (["--target-pace", "50"], ["--plan", "jog"], ["--target-pace", "5:60"]):
        with pytest.raises(SystemExit) as exc:
            raise SystemExit(main(["analyze", run, *bad]))
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "suffix", "expected"),
    [
        ("name = ", ".toml", "not valid TOML"),
        ("{not json", ".json", "not valid JSON"),
        ("trainig_pace = 330\n", ".toml", "unknown profile field 'trainig_pace'"),
        ("age = 300\n", ".toml", "profile field age invalid"),
        ('sex = "robot"\n', ".toml", "profile field sex invalid"),
        ("[1, 2]", ".json", "a profile file holds one object"),
    ],
)
def test_bad_profile_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, suffix: str, expected: str
) -> None:
    profile = tmp_path / f"p{suffix}"
    profile.write_text(content, encoding="utf-8")
    err = _usage_error(capsys, ["analyze", str(_csv_run(tmp_path, 1)), "--profile", str(profile)])
    assert expected in err and str(profile) in err


def test_missing_profile_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _usage_error(capsys, ["analyze", str(_csv_run(tmp_path, 1)), "--profile", str(tmp_path / "none.toml")])
    assert err.endswith("none.toml: no such profile file")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("polar.tcx", b"not xml at all", "polar.tcx: not a TCX file: not XML"),
        (
            "broken.tcx",
            b"<TrainingCenterDatabase>\n<Activities>\n<Lap",
            "broken.tcx: not a TCX file: XML parse error at line 3",
        ),
        ("garbage.fit", b"\x01\x02\x03\x04" * 50, "garbage.fit: not a FIT file"),
        ("empty.gpx", b"", "empty.gpx: empty file"),
        ("nothing.csv", b"a,b\n1,2\n", "nothing.csv: not a CSV recording: no time column"),
    ],
)
def test_bad_input_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert expected in _usage_error(capsys, ["analyze", str(path), "--json"])


def test_a_run_with_no_usable_value_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A strap that never connected, exported as 0 bpm throughout (or every value out of range): analyze printed
    an empty table ('peak risk - (-); ') and report an empty page, exit 0, where replay says there is nothing to
    publish (exit 2). All three refuse it, naming the file."""
    path = tmp_path / "no-strap.csv"
    path.write_text("t,hr,pace\n" + "".join(f"{1700000000 + i},0,-5\n" for i in range(600)))
    expected = f"{path}: no usable samples (no heart rate, pace, cadence or temperature in the contract's ranges)"
    assert _usage_error(capsys, ["analyze", str(path)]).endswith(expected)
    assert _usage_error(capsys, ["analyze", str(path), "--json"]).endswith(expected)
    out = tmp_path / "r.html"
    assert _usage_error(capsys, ["report", str(path), "-o", str(out)]).endswith(expected)
    assert not out.exists()


@pytest.mark.parametrize(
    ("sport", "noted"), [("Biking", True), ("Other", True), ("Running", False), ("Generic", False)]
)
def test_a_ride_is_not_analysed_as_a_run_in_silence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sport: str, noted: bool
) -> None:
    """audit6: a TCX of a bike ride was analysed as a run without a word (rpm read as steps, stride advice)."""
    from tests.simulators.readers.test_readers_formats import TCX

    path = tmp_path / "ride.tcx"
    path.write_text(TCX.format(sport=sport))
    assert main(["analyze", str(path)]) == 0
    line = f"sport: {sport.lower()} (crampwatch models running: its indicators and advice may not apply)"
    assert (line in capsys.readouterr().out.splitlines()) is noted
    assert main(["analyze", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reader"]["sport"] == sport.lower()


@pytest.mark.realdata
def test_truncated_fit_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _realdata("fenix5-run-1min.fit").read_bytes()
    path = tmp_path / "cut.fit"
    path.write_bytes(data[: len(data) - 100])
    assert "cut.fit: not a complete FIT file: truncated" in _usage_error(capsys, ["analyze", str(path)])


def test_missing_file_and_bad_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _usage_error(capsys, ["analyze", str(tmp_path / "nope.fit")]).endswith("nope.fit: no such file")
    run = str(_csv_run(tmp_path, 1))
    assert "--athlete 'a/b'" in _usage_error(capsys, ["analyze", run, "--athlete", "a/b"])
    assert "--squad" in _usage_error(capsys, ["analyze", run, "--squad", ""])


def test_missing_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["analyze"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_time_in_level_leaves_out_pauses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """20 min running, a 30-min stop (the watch records nothing), 20 min running: the time in the levels is the
    running time, not the 70 min from start to end."""
    rows = ["time,hr,speed,cadence,temp,distance"]
    for i in [*range(20 * 60), *range(50 * 60, 70 * 60)]:
        rows.append(f"{1_700_000_000 + i},{140 + (i % 1200) // 120},3.0,170,18,{3.0 * i}")
    path = tmp_path / "paused.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = _json(capsys, str(path))
    in_levels = sum(data["indicators"]["level_s"].values())
    assert data["summary"]["duration_s"] == pytest.approx(40 * 60, abs=5)
    assert 35 * 60 <= in_levels <= data["summary"]["duration_s"] + 15  # + the ticks before "stale" (10 s)


def test_time_in_levels_adds_up_to_the_duration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """audit7: counting ticks of statuses with data flowing gave 10 s more in the levels than the run's duration
    here (2,615 s of 2,605: the ticks before "stale" in a 6.5-min stop, the last tick); several levels, a stop and
    an end between two ticks: the levels now share the recorded time exactly; statuses and alerts unchanged."""
    from tests.runs import hot_fast_run

    frames = hot_fast_run(minutes=50)
    kept = [f for f in frames if not 900 <= f.t - frames[0].t < 1290][:-3]
    rows = ["time,hr,speed,cadence,temp"]
    rows += [f"{f.t},{f.hr},{1000 / f.pace:.4f},{f.cadence},{'' if f.temp is None else f.temp}" for f in kept]
    path = tmp_path / "hot-stop.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = _json(capsys, str(path))
    level_s = data["indicators"]["level_s"]
    assert level_s["low"] > 0 and level_s["elevated"] > 0  # more than one level to share the time
    assert sum(level_s.values()) == pytest.approx(data["summary"]["duration_s"], abs=1e-6)
    assert data["summary"]["duration_s"] == pytest.approx(len(kept) - 2, abs=1e-6)  # two pieces of 1-s samples


@pytest.mark.realdata
@pytest.mark.parametrize("name", FILES)
def test_time_in_levels_of_a_real_run_is_its_duration(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """audit7: the Polar's 3,505-s run showed 3,510 s in the levels (the GPS watch: 4,900 s of 4,928)."""
    data = _json(capsys, str(_realdata(name)))
    assert sum(data["indicators"]["level_s"].values()) == pytest.approx(data["summary"]["duration_s"], abs=1e-3)
    assert main(["analyze", str(_realdata(name))]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.lstrip().startswith("peak risk")]
    shown = sum(float(n) for n in re.findall(r"(\d+) s\b", line.split(";", 1)[1]))
    assert shown == pytest.approx(data["summary"]["duration_s"], abs=1.0)


def test_analyze_table_says_why_an_indicator_is_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A "-" in the table comes with its reason: no heart rate in the file, or too little steady running."""
    rows = ["time,speed,cadence"] + [f"{1_700_000_000 + i},3.0,170" for i in range(8 * 60)]
    path = tmp_path / "short-no-hr.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["analyze", str(path)]) == 0
    table = {line[:22].strip(): line[22:].strip() for line in capsys.readouterr().out.splitlines()}
    assert table["fatigue"] == "- (too little steady running)"
    assert table["decoupling"] == table["cardiac drift"] == "- (no heart rate)"
    assert table["decoupling (Friel)"] == "- (too little steady running)"
    assert main(["analyze", str(_csv_run(tmp_path, minutes=40))]) == 0
    steady = {line[:22].strip(): line[22:].strip() for line in capsys.readouterr().out.splitlines()}
    assert steady["decoupling"].endswith(" %") and steady["decoupling (Friel)"].endswith(" %")


def test_analyze_table_names_the_pace_it_judges_against(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "ann.toml"
    profile.write_text("age = 41\ntraining_pace = 330\nrace_pace = 300\n", encoding="utf-8")
    assert main(["analyze", str(_csv_run(tmp_path)), "--profile", str(profile)]) == 0
    header = capsys.readouterr().out.splitlines()[1]
    assert header == "profile: given: age 41, training_pace 5:30 /km, race_pace 5:00 /km"


def test_analyze_hr_only_recording_has_no_distance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A recording with heart rate only: distance unknown in the summary and in the final status (null, and "-"
    in the table), TRIMP known; never an invented 0 m."""
    path = tmp_path / "hr-only.csv"
    path.write_text("time,hr\n" + "".join(f"{1_700_000_000 + i},{140 + i // 60}\n" for i in range(600)), "utf-8")
    data = _json(capsys, str(path))
    final = data["indicators"]["final"]
    assert data["summary"]["distance_m"] is None and final["distance_m"] is None
    assert final["trimp"] is not None and final["trimp"] > 0
    assert main(["analyze", str(path)]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^distance\s+-\s+-$", table, re.M), table
    assert re.search(r"^\s*TRIMP\s+\d", table, re.M), table


@pytest.mark.parametrize("minutes", [7, 12])
def test_time_at_each_level_is_the_run_time_the_statuses_cover(minutes: int) -> None:
    """Counting a whole tick per status made the levels' time longer than the run (fenix2: 2,835 s of 2,833; here
    720 s of a 717-s run): the first status, at the session's start second, covers no time."""
    from monitor.commands.analyze import indicators
    from monitor.core.pipeline import run_offline
    from tests.runs import EASY_PROFILE, easy_cool_run

    frames = easy_cool_run(minutes=minutes)[:-2]
    result = run_offline(frames, squad="club", athlete="ann", profile=EASY_PROFILE)
    total = sum(indicators(result)["level_s"].values())
    assert total == result.statuses[-1]["elapsed_s"] <= frames[-1].t - frames[0].t


@pytest.mark.parametrize("seconds", [3, 12, 60])
def test_analyze_table_counts_its_status_ticks_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seconds: int
) -> None:
    """A few seconds of data are one status tick: the table said "(1 status ticks)"."""
    rows = ["time,hr,speed,cadence"] + [f"{1_700_000_000 + i},140,3.0,170" for i in range(seconds)]
    path = tmp_path / "short.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ticks = _json(capsys, str(path))["indicators"]["ticks"]
    assert main(["analyze", str(path)]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("indicators at the end")]
    assert line == f"indicators at the end ({ticks} status tick{'' if ticks == 1 else 's'})"
    if seconds == 3:
        assert ticks == 1 and line.endswith("(1 status tick)")

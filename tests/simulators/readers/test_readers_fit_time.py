"""FIT time as devices write it: compressed-timestamp headers, device system time (anchored by a
``timestamp_correlation`` or the ``activity`` message), timer stop/start pauses, what cannot be used counted;
and the athlete's own ``user_profile`` used by ``analyze``. Every case is a FIT file generated here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from monitor.commands.analyze import analyze
from monitor.errors import InputFileError
from simulators.readers import read_recording, summarize
from simulators.readers.fit import read_fit
from tests.simulators.readers import fitwriter as fw

T0 = 1_700_000_000.0


def _run(n: int, start: float = T0, step: float = 1.0) -> list[fw.Sample]:
    return [fw.Sample(t=start + i * step, hr=120 + (i % 40), cadence=84, speed=3.0, distance=3.0 * i) for i in range(n)]


def test_compressed_timestamp_headers_give_every_record_its_time() -> None:
    samples = _run(75)  # crosses two 32-s roll-overs of the 5-bit offset
    data = fw.fit_file(fw.file_id() + fw.records_compressed(samples))
    rec = read_fit(data, "compressed.fit")
    assert rec.t.tolist() == [s.t for s in samples]
    assert rec.hr.tolist() == [float(s.hr) for s in samples if s.hr is not None]
    assert rec.skipped == {}


def test_system_time_anchored_by_timestamp_correlation() -> None:
    samples = _run(30)
    system0 = 5_000  # seconds since the device powered on: below 0x10000000, not UTC
    body = fw.file_id() + fw.correlation(utc=T0 - 100.0, system=system0 - 100)
    body += fw.records_system_time(samples, system0)
    rec = read_fit(fw.fit_file(body), "system.fit")
    assert rec.t.tolist() == [s.t for s in samples]
    assert rec.skipped == {}


def test_system_time_anchored_by_the_activity_message() -> None:
    samples = _run(30)
    body = fw.file_id() + fw.records_system_time(samples, 777) + fw.activity(utc=samples[-1].t)
    rec = read_fit(fw.fit_file(body), "activity.fit")
    np.testing.assert_allclose(rec.t, [s.t for s in samples])


def test_unanchored_system_time_is_counted_not_silently_dropped() -> None:
    utc = _run(20)
    relative = _run(10, start=T0 + 100)
    body = fw.file_id() + fw.records(utc) + fw.records_system_time(relative, 4_000)
    rec = read_fit(fw.fit_file(body), "mixed.fit")
    assert len(rec) == 20
    assert rec.skipped == {"record in device system time, no anchor": 10}


def test_only_unanchored_system_time_is_a_clear_error() -> None:
    body = fw.file_id() + fw.records_system_time(_run(10), 4_000)
    with pytest.raises(InputFileError, match=r"no usable timestamped records \(10 record in device system time"):
        read_fit(fw.fit_file(body), "lost.fit")


def test_timer_stop_start_is_a_pause_that_counts_for_nothing() -> None:
    # The watch keeps writing records (standing at a light, speed 0) while its timer is stopped for 60 s.
    run = _run(60) + [fw.Sample(t=T0 + 60 + i, hr=110, speed=0.0, distance=180.0) for i in range(60)]
    run += _run(60, start=T0 + 120)
    body = fw.file_id() + fw.timer_event(T0, "start") + fw.records(run[:60])
    body += fw.timer_event(T0 + 60, "stop_all") + fw.records(run[60:120])
    body += fw.timer_event(T0 + 120, "start") + fw.records(run[120:])
    rec = read_fit(fw.fit_file(body), "paused.fit")
    assert rec.pauses == [(T0 + 60, T0 + 120)]
    paused = summarize(rec).duration_s
    unpaused = summarize(read_fit(fw.fit_file(fw.file_id() + fw.records(run)), "plain.fit")).duration_s
    assert unpaused == pytest.approx(179.0)
    assert paused == pytest.approx(unpaused - 60.0)


def test_user_profile_is_read_and_used_by_analyze(tmp_path: Path) -> None:
    run = _run(900)
    user = fw.user_profile(
        gender=0, age=35, height=1.68, weight=58.5, resting_heart_rate=44, default_max_heart_rate=171
    )
    data = fw.fit_file(fw.file_id() + user + fw.records(run))
    rec = read_fit(data, "user.fit")
    assert rec.athlete == {
        "sex": "female",
        "age": 35.0,
        "mass_kg": 58.5,
        "hr_rest": 44.0,
        "hr_max": 171.0,
        "height_cm": 168.0,
    }
    with_file = analyze(rec, squad="s", athlete="a", profile=None)
    assert with_file["profile"]["source"] == "file"
    assert with_file["profile"]["hr_max"] == 171.0
    plain = read_fit(fw.fit_file(fw.file_id() + fw.records(run)), "plain.fit")
    defaults = analyze(plain, squad="s", athlete="a", profile=None)
    assert defaults["profile"]["source"] == "defaults"
    # The file's HRmax and resting HR change the load the same heart rates mean (TRIMP).
    assert with_file["indicators"]["final"]["trimp"] != defaults["indicators"]["final"]["trimp"]

    path = tmp_path / "user.fit"
    path.write_bytes(data)
    cmd = [sys.executable, "-m", "monitor.cli", "analyze", str(path), "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["profile"]["source"] == "file"
    assert doc["reader"] == {"skipped": {}, "pauses": 0, "paused_s": 0.0, "sport": None}


def test_real_fenix5_file_carries_its_user_profile(realdata: Path) -> None:
    rec = read_recording(str(realdata / "fenix5-run-1min.fit"))
    assert rec.athlete.get("hr_max") == 183.0 and rec.athlete.get("sex") == "male"


def test_replay_publishes_the_files_own_profile_unless_one_is_given() -> None:
    from monitor.commands.replay import build_runs
    from processors.profile import Profile

    user = fw.user_profile(gender=1, age=50, default_max_heart_rate=168)
    rec = read_fit(fw.fit_file(fw.file_id() + user + fw.records(_run(30))), "user.fit")
    (own,) = build_runs([rec], "club", ["ann"], None, None)
    assert own.profile is not None and own.profile.hr_max == 168.0 and own.profile.sex == "male"
    (given,) = build_runs([rec], "club", ["ann"], Profile(hr_max=190.0), None)
    assert given.profile == Profile(hr_max=190.0)

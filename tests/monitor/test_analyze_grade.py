"""``analyze`` reports grade-adjusted pace, climb and descent from a file's altitude (null without altitude), and
on the real recordings they agree with what the devices said (skipped without ../shared/realdata)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.commands.analyze import analyze, render
from monitor.commands.analyze_coach import recording_grade
from simulators.readers import read_recording
from tests.simulators.readers.fitwriter import Sample, fit_bytes
from tests.simulators.readers.oracles import REALDATA

T0 = 1_600_000_000
KEYS = ("grade_adjusted_pace", "moving_pace_s_per_km", "climb_m", "descent_m")


def _climb_fit(tmp_path: Path, altitude: bool) -> Path:
    """10 min at 3.0 m/s (5:33 /km) up a steady 5 % (0.15 m/s of climb; FIT stores altitude in 0.2-m steps)."""
    samples = [
        Sample(T0 + i, hr=150, cadence=85, speed=3.0, distance=3.0 * i, altitude=20.0 + 0.15 * i if altitude else None)
        for i in range(600)
    ]
    path = tmp_path / ("hill.fit" if altitude else "flat.fit")
    path.write_bytes(fit_bytes(samples, session={"total_distance": 1797.0, "total_timer_time": 599.0}))
    return path


def test_analyze_reports_gap_on_a_climb(tmp_path: Path) -> None:
    rec = read_recording(_climb_fit(tmp_path, altitude=True))
    report = analyze(rec, squad="t", athlete="a", profile=None)
    coach = report["indicators"]["coach"]
    # 333.3 s/km / (C(0.05)/C(0) = 1.3014) = 256.1 s/km; climb 0.15 x 599 = 89.85 m (to the 0.2-m FIT step)
    assert coach["grade_adjusted_pace"] == pytest.approx(256.1, abs=0.5)
    assert coach["moving_pace_s_per_km"] == pytest.approx(333.3, abs=0.1)
    assert coach["climb_m"] == pytest.approx(89.85, abs=0.3) and coach["descent_m"] == 0.0
    json.dumps(report, allow_nan=False)  # what --json prints
    text = render(report, rec)
    assert "grade-adjusted pace 4:16 /km (moving pace 5:33 /km; climb 90 m, descent 0 m)" in text
    assert "climb / descent" in text and "90/0 m" in text


def test_analyze_without_altitude_reports_null(tmp_path: Path) -> None:
    rec = read_recording(_climb_fit(tmp_path, altitude=False))
    report = analyze(rec, squad="t", athlete="a", profile=None)
    coach = report["indicators"]["coach"]
    assert all(coach[k] is None for k in KEYS)
    text = render(report, rec)
    assert "grade-adjusted pace - (no altitude in the file)" in text and "climb / descent" not in text


@pytest.mark.realdata
def test_fenix2_climb_and_gap_match_the_device() -> None:
    """Fenix 2 (barometric altimeter), 9 km loop: the session says total_ascent 64 m, total_descent 61 m."""
    path = REALDATA / "fenix2-run-47min.fit"
    if not path.exists():
        pytest.skip("../shared/realdata is not here (only in the project workspace)")
    rec = read_recording(path)
    assert rec.device is not None and (rec.device.ascent_m, rec.device.descent_m) == (64.0, 61.0)
    g = recording_grade(rec)
    assert g is not None and g.gap_s_per_km is not None and g.moving_pace_s_per_km is not None
    assert g.climb_m == pytest.approx(64.0, rel=0.15) and g.descent_m == pytest.approx(61.0, rel=0.15)
    # moving pace: the device's timer pace (2832 s / 9008 m = 314.4 s/km) less the stopped seconds
    device_pace = 1000.0 * 2832.0 / 9008.22
    assert 0.97 * device_pace < g.moving_pace_s_per_km <= device_pace
    # a hilly loop costs more than the flat: GAP faster than the moving pace, by ~1.5 % (mean |grade| ~1.4 %)
    assert 0.97 < g.gap_s_per_km / g.moving_pace_s_per_km < 0.995


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["fenix5-run-1min.fit", "polar-m400-run.tcx", "watch-run-2020-12-06.tcx"])
def test_other_recordings_have_altitude_and_a_plausible_gap(name: str) -> None:
    path = REALDATA / name
    if not path.exists():
        pytest.skip("../shared/realdata is not here (only in the project workspace)")
    rec = read_recording(path)
    g = recording_grade(rec)
    assert rec.has_altitude and g is not None and g.gap_s_per_km is not None and g.moving_pace_s_per_km is not None
    assert abs(g.gap_s_per_km / g.moving_pace_s_per_km - 1.0) < 0.08  # rolling ground, not mountains
    if rec.device is not None and rec.device.ascent_m is not None:  # fenix5: 2 m up in a minute
        assert abs(g.climb_m - rec.device.ascent_m) <= 3.0

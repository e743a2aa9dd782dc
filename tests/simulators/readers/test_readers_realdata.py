"""Readers and summary against the real recordings and what their devices said (skips without realdata)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from simulators.readers import Recording, read_recording, summarize
from simulators.readers.summary import held_intervals, paused_intervals, sample_weights
from tests.simulators.readers.oracles import FILES, KNOWN_DEVIATIONS, README_ORACLES, REALDATA, checks

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def recordings() -> dict[str, Recording]:
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not here (only in the project workspace)")
    return {name: read_recording(REALDATA / name) for name in FILES}


def _ids() -> list[str]:
    return list(FILES)


@pytest.mark.parametrize("name", _ids())
def test_every_device_summary_is_reproduced(recordings: dict[str, Recording], name: str) -> None:
    rec = recordings[name]
    results = checks(name, rec)
    assert results, "no oracle to compare with"
    failed = [c.describe() for c in results if not c.ok]
    assert not failed, "\n".join(failed)


def test_every_file_is_compared_with_every_summary_it_has(recordings: dict[str, Recording]) -> None:
    counts = {name: len(checks(name, rec)) for name, rec in recordings.items()}
    # fenix2: README 5 + session 3 + 4 laps x 3; fenix5: README 4 + session 5 + lap 5;
    # polar: laps combined 5 + 2 laps x 5; watch: laps combined 4 + 13 laps x 4
    assert counts == {
        "fenix2-run-47min.fit": 20,
        "fenix5-run-1min.fit": 14,
        "polar-m400-run.tcx": 15,
        "watch-run-2020-12-06.tcx": 56,
    }


def test_known_deviations_are_still_deviations(recordings: dict[str, Recording]) -> None:
    """If a known deviation disappears, the table in docs/realdata.md and KNOWN_DEVIATIONS must be updated."""
    for (name, label, field), _ in KNOWN_DEVIATIONS.items():
        (check,) = [c for c in checks(name, recordings[name]) if c.label == label and c.field == field]
        plain = 0.01 if check.relative else 2.0
        assert abs(check.error) > plain, f"{check.describe()} is now within the plain tolerance"


def test_watch_lap1_heart_rate_deviation_is_the_unmeasured_start(recordings: dict[str, Recording]) -> None:
    """The watch's lap 1 average (130) is what counting the 28 s without a reading as 0 bpm gives (the summary
    never does: a 0 is no heart rate, so the zero-filled mean is weighed here by hand, with the summary's weights)."""
    rec = recordings["watch-run-2020-12-06.tcx"]
    assert rec.laps[0].avg_hr_bpm == 130.0
    ours = summarize(rec, lap=0).avg_hr_bpm
    assert ours is not None and ours == pytest.approx(136.7, abs=0.1)
    held = held_intervals(rec.t, rec.speed) & ~paused_intervals(rec.t, rec.pauses)
    w = np.where(rec.lap_of == 0, sample_weights(rec.t, held), 0.0)
    filled = float((np.nan_to_num(rec.hr, nan=0.0) * w).sum() / w.sum())
    assert abs(filled - 130.0) <= 1.0


def test_sample_counts_and_metadata(recordings: dict[str, Recording]) -> None:
    f2, f5 = recordings["fenix2-run-47min.fit"], recordings["fenix5-run-1min.fit"]
    polar, watch = recordings["polar-m400-run.tcx"], recordings["watch-run-2020-12-06.tcx"]
    assert (len(f2), len(f5), len(polar), len(watch)) == (2809, 21, 3507, 1747)
    assert (f2.format, polar.format) == ("fit", "tcx")
    assert (f2.creator, f5.creator, polar.creator) == ("fenix2", "fenix5", "Polar M400")
    assert f2.sport == "running" and polar.sport == "running"
    assert [len(r.laps) for r in (f2, f5, polar, watch)] == [4, 1, 2, 13]
    assert all(bool(np.all(np.diff(r.t) >= 0)) for r in recordings.values())
    # TCX laps follow the file's Lap elements: 142 + 3365 trackpoints
    assert np.bincount(polar.lap_of).tolist() == [142, 3365]


def test_fit_cadence_is_strides_doubled_with_fraction(recordings: dict[str, Recording]) -> None:
    f5 = recordings["fenix5-run-1min.fit"]
    # record 4 (t0+4 s): cadence 78 + fractional 0.5 strides/min → 157 steps/min
    assert f5.cadence[:4].tolist() == [0.0, 0.0, 0.0, 157.0]
    assert f5.device is not None and f5.device.avg_cadence_spm == pytest.approx(2 * (83 + 0.671875))
    # running cadence lives in 140-200 steps/min, not 70-100
    f2 = recordings["fenix2-run-47min.fit"]
    assert 150 < float(np.median(f2.cadence)) < 190


def test_tcx_cadence_and_speed_extensions(recordings: dict[str, Recording]) -> None:
    watch = recordings["watch-run-2020-12-06.tcx"]
    # second trackpoint: <ns3:RunCadence>79</ns3:RunCadence><ns3:Speed>2.095824</ns3:Speed>
    assert watch.cadence[1] == 158.0
    assert watch.speed[1] == pytest.approx(2.095824)
    assert watch.distance[1] == pytest.approx(5.563655)
    polar = recordings["polar-m400-run.tcx"]
    assert set(np.unique(polar.cadence[:5])) == {0.0}
    # no Speed extension in the Polar file: speed derived from DistanceMeters
    assert np.isfinite(polar.speed).all()
    assert 0.5 < float(np.median(polar.speed)) < 3.0


def test_missing_heart_rate_stays_missing(recordings: dict[str, Recording]) -> None:
    watch = recordings["watch-run-2020-12-06.tcx"]
    assert int(np.isnan(watch.hr).sum()) == 7
    assert bool(np.isnan(watch.hr[:7]).all()) and watch.hr[7] == 111.0
    frames = watch.frames()
    assert all(f.hr is None for f in frames[:7]) and frames[7].hr == 111.0


def test_frames_are_in_contract_units(recordings: dict[str, Recording]) -> None:
    f5 = recordings["fenix5-run-1min.fit"]
    frames = f5.frames()
    assert len(frames) == 21
    first, fourth = frames[0], frames[3]
    assert first.t == f5.t[0] and first.hr == 61.0 and first.temp == 25.0
    assert first.pace == 3600.0  # standing: speed 0 → "not running" (above 1200 s/km)
    assert fourth.cadence == 157.0
    assert fourth.pace == pytest.approx(1000.0 / 1.166)
    for rec in recordings.values():
        for f in rec.frames():
            assert f.streams(), "a frame without streams cannot be published"
            if f.pace is not None:
                assert 100.0 <= f.pace <= 3600.0
            if f.cadence is not None:
                assert 0.0 <= f.cadence <= 260.0


def test_time_weighting_is_what_makes_smart_recording_right(recordings: dict[str, Recording]) -> None:
    """The README's point: the plain mean of fenix5's irregular records says 85 bpm, the watch says 90."""
    f5 = recordings["fenix5-run-1min.fit"]
    assert float(np.nanmean(f5.hr)) == pytest.approx(85.0, abs=0.1)
    s = summarize(f5)
    assert s.avg_hr_bpm is not None and abs(s.avg_hr_bpm - README_ORACLES["fenix5-run-1min.fit"]["avg_hr_bpm"]) <= 1


def test_pauses_are_not_held(recordings: dict[str, Recording]) -> None:
    polar = recordings["polar-m400-run.tcx"]
    wall = polar.end - polar.start
    s = summarize(polar)
    # a 399 s pause between the two Tracks of lap 2 is not recorded time
    assert wall == pytest.approx(3903.7, abs=0.1)
    assert s.duration_s == pytest.approx(3505.0, abs=1.0)
    assert polar.device is not None and polar.device.duration_s == 3510.0


def test_summary_pace_is_time_over_distance(recordings: dict[str, Recording]) -> None:
    for rec in recordings.values():
        s = summarize(rec)
        assert s.distance_m is not None and s.avg_pace_s_per_km is not None
        assert s.avg_pace_s_per_km == pytest.approx(1000 * s.duration_s / s.distance_m)
        assert not math.isnan(s.avg_pace_s_per_km)


def test_realdata_path_is_outside_the_repository() -> None:
    repo = Path(__file__).resolve().parents[3]
    assert (repo / "pyproject.toml").is_file()
    assert not list(repo.rglob("fenix2-run-47min.fit")), "realdata must not be copied into the repository"

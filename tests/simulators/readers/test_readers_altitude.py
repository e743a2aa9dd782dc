"""Altitude as a side series beside the frames (FIT, TCX, GPX), never in the frames (the v1 contract has none)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulators.readers import Recording, read_recording
from tests.simulators.readers.fitwriter import Sample, fit_bytes

T0 = 1_600_000_000
TCX = """<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
 <Activities><Activity Sport="Running"><Id>2020-09-13T12:26:40Z</Id>
  <Lap StartTime="2020-09-13T12:26:40Z"><TotalTimeSeconds>3</TotalTimeSeconds><Track>
   <Trackpoint><Time>2020-09-13T12:26:40Z</Time>{alt0}<DistanceMeters>0</DistanceMeters>
    <HeartRateBpm><Value>150</Value></HeartRateBpm></Trackpoint>
   <Trackpoint><Time>2020-09-13T12:26:41Z</Time><DistanceMeters>3</DistanceMeters>
    <HeartRateBpm><Value>151</Value></HeartRateBpm></Trackpoint>
   <Trackpoint><Time>2020-09-13T12:26:42Z</Time>{alt2}<DistanceMeters>6</DistanceMeters>
    <HeartRateBpm><Value>152</Value></HeartRateBpm></Trackpoint>
  </Track></Lap>
 </Activity></Activities>
</TrainingCenterDatabase>
"""
GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
 <trkpt lat="0.0" lon="0.0"><ele>12.5</ele><time>2020-09-13T12:26:40Z</time></trkpt>
 <trkpt lat="0.0" lon="0.0001"><ele>13.0</ele><time>2020-09-13T12:26:44Z</time></trkpt>
</trkseg></trk></gpx>
"""


def _samples(altitude: bool) -> list[Sample]:
    return [
        Sample(T0 + i, hr=150, cadence=85, speed=3.0, distance=3.0 * i, altitude=100.0 + 0.2 * i if altitude else None)
        for i in range(20)
    ]


def test_fit_altitude_is_kept_beside_the_frames(tmp_path: Path) -> None:
    with_alt, without = tmp_path / "alt.fit", tmp_path / "flat.fit"
    with_alt.write_bytes(fit_bytes(_samples(True), session={"total_distance": 57.0}))
    without.write_bytes(fit_bytes(_samples(False)))
    rec, bare = read_recording(with_alt), read_recording(without)
    assert rec.has_altitude and rec.altitude == pytest.approx([100.0 + 0.2 * i for i in range(20)], abs=1e-9)
    assert not bare.has_altitude and bare.altitude.shape == (0,)
    # the frames (what the pipeline sees, and what the wire carries) are the same with or without altitude
    assert [f.streams() for f in rec.frames()] == [f.streams() for f in bare.frames()]
    assert all(set(f.streams()) <= {"hr", "pace", "cadence", "temp"} for f in rec.frames())


def test_tcx_altitude_meters(tmp_path: Path) -> None:
    path = tmp_path / "run.tcx"
    path.write_text(
        TCX.format(alt0="<AltitudeMeters>926.1</AltitudeMeters>", alt2="<AltitudeMeters>926.4</AltitudeMeters>")
    )
    rec = read_recording(path)
    assert rec.has_altitude
    assert rec.altitude[0] == 926.1 and np.isnan(rec.altitude[1]) and rec.altitude[2] == 926.4  # never filled in
    path.write_text(TCX.format(alt0="", alt2=""))
    assert not read_recording(path).has_altitude


def test_gpx_ele(tmp_path: Path) -> None:
    path = tmp_path / "run.gpx"
    path.write_text(GPX)
    assert read_recording(path).altitude.tolist() == [12.5, 13.0]


def test_from_columns_sorts_altitude_with_time_and_checks_its_length() -> None:
    rec = Recording.from_columns("x", "csv", t=[2.0, 0.0, 1.0], hr=[3, 1, 2], altitude=[30.0, 10.0, 20.0])
    assert rec.hr.tolist() == [1.0, 2.0, 3.0] and rec.altitude.tolist() == [10.0, 20.0, 30.0]
    assert rec.shifted(100.0).altitude.tolist() == [10.0, 20.0, 30.0]
    assert not Recording.from_columns("x", "csv", t=[0.0, 1.0], altitude=[np.nan, np.nan]).has_altitude
    with pytest.raises(ValueError, match="altitude"):
        Recording.from_columns("x", "csv", t=[0.0, 1.0], altitude=[1.0, 2.0, 3.0])

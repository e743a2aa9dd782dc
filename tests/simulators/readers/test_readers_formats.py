"""Each format from small files written here: units, namespaces, extensions, headers, dispatch."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pytest

from monitor.errors import InputFileError
from simulators.frame import Frame
from simulators.readers import Recording, detect_format, read_recording, summarize
from simulators.readers.recording import STOPPED_PACE, speed_to_pace
from tests.simulators.readers.fitwriter import Sample, fit_bytes

T0 = 1_600_000_000

TCX = """<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
    xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
 <Activities><Activity Sport="{sport}"><Id>2020-09-13T12:26:40Z</Id>
  <Lap StartTime="2020-09-13T12:26:40Z">
   <TotalTimeSeconds>3</TotalTimeSeconds><DistanceMeters>6</DistanceMeters>
   <AverageHeartRateBpm><Value>151</Value></AverageHeartRateBpm>
   <MaximumHeartRateBpm><Value>153</Value></MaximumHeartRateBpm>
   <Track>
    <Trackpoint><Time>2020-09-13T12:26:40Z</Time><DistanceMeters>0</DistanceMeters>
     <HeartRateBpm><Value>150</Value></HeartRateBpm>
     <Extensions><ns3:TPX><ns3:Speed>3.0</ns3:Speed><ns3:RunCadence>85</ns3:RunCadence></ns3:TPX></Extensions>
    </Trackpoint>
    <Trackpoint><Time>2020-09-13T12:26:42Z</Time><DistanceMeters>6</DistanceMeters>
     <HeartRateBpm><Value>152</Value></HeartRateBpm>
     <Extensions><ns3:TPX><ns3:Speed>3.0</ns3:Speed><ns3:RunCadence>86</ns3:RunCadence></ns3:TPX></Extensions>
    </Trackpoint>
   </Track>
  </Lap>
  <Lap StartTime="2020-09-13T12:26:44Z">
   <TotalTimeSeconds>3</TotalTimeSeconds><DistanceMeters>12</DistanceMeters>
   <Track>
    <Trackpoint><Time>2020-09-13T12:26:44Z</Time><DistanceMeters>12</DistanceMeters>
     <HeartRateBpm><Value>153</Value></HeartRateBpm><Cadence>84</Cadence></Trackpoint>
    <Trackpoint><Time>2020-09-13T12:26:46Z</Time><DistanceMeters>18</DistanceMeters>
     <HeartRateBpm><Value>154</Value></HeartRateBpm><Cadence>84</Cadence></Trackpoint>
   </Track>
  </Lap>
 </Activity></Activities>
</TrainingCenterDatabase>
"""

GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"
     xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
 <trk><trkseg>
  <trkpt lat="0.0" lon="0.0"><time>2020-09-13T12:26:40Z</time>
   <extensions><gpxtpx:TrackPointExtension><gpxtpx:atemp>21</gpxtpx:atemp><gpxtpx:hr>140</gpxtpx:hr>
   <gpxtpx:cad>{cad}</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions></trkpt>
  <trkpt lat="0.0" lon="0.0001"><time>2020-09-13T12:26:44Z</time>
   <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>142</gpxtpx:hr><gpxtpx:cad>{cad}</gpxtpx:cad>
   </gpxtpx:TrackPointExtension></extensions></trkpt>
  <trkpt lat="0.0" lon="0.0002"><time>2020-09-13T12:26:48Z</time></trkpt>
 </trkseg>
 <trkseg>
  <trkpt lat="0.0" lon="0.0100"><time>2020-09-13T12:36:48Z</time></trkpt>
  <trkpt lat="0.0" lon="0.0101"><time>2020-09-13T12:36:52Z</time></trkpt>
 </trkseg></trk>
</gpx>
"""


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# ---- FIT ----------------------------------------------------------------------------------------------------


def _fit_samples(n: int = 10) -> list[Sample]:
    return [
        Sample(T0 + i, hr=140 + i, cadence=85, fractional=0.5, speed=3.0, distance=3.0 * i, temp=20) for i in range(n)
    ]


def test_fit_record_fields_and_session(tmp_path: Path) -> None:
    session = {
        "total_distance": 27.0,
        "total_timer_time": 9.0,
        "avg_heart_rate": 144,
        "max_heart_rate": 149,
        "avg_cadence": 85,
    }
    rec = read_recording(_write(tmp_path, "run.fit", fit_bytes(_fit_samples(), session=session)))
    assert rec.format == "fit" and len(rec) == 10
    assert rec.t[0] == T0 and rec.hr[9] == 149.0
    assert rec.cadence.tolist() == [171.0] * 10  # 2 x (85 + 0.5) strides/min
    assert rec.speed[0] == 3.0 and rec.distance[9] == 27.0 and rec.temp[0] == 20.0
    assert rec.device is not None
    assert (rec.device.distance_m, rec.device.duration_s, rec.device.avg_hr_bpm) == (27.0, 9.0, 144.0)
    assert rec.device.avg_cadence_spm == 170.0
    s = summarize(rec)
    assert s.duration_s == 9.0 and s.distance_m == 27.0 and s.avg_cadence_spm == 171.0
    assert s.avg_hr_bpm == pytest.approx(144.5)


def test_fit_cycling_cadence_is_not_steps(tmp_path: Path) -> None:
    rec = read_recording(_write(tmp_path, "ride.fit", fit_bytes(_fit_samples(), sport="cycling")))
    assert rec.sport == "cycling"
    assert bool(np.isnan(rec.cadence).all())


def test_fit_missing_values_are_nan(tmp_path: Path) -> None:
    samples = [Sample(T0, hr=150), Sample(T0 + 1, speed=3.0), Sample(T0 + 2)]
    rec = read_recording(_write(tmp_path, "sparse.fit", fit_bytes(samples)))
    assert math.isnan(rec.hr[1]) and math.isnan(rec.speed[0]) and math.isnan(rec.cadence[0])
    assert [f.streams() for f in rec.frames()] == [{"hr": 150.0}, {"pace": pytest.approx(333.333, abs=1e-3)}]


def test_gzipped_fit(tmp_path: Path) -> None:
    rec = read_recording(_write(tmp_path, "run.fit.gz", gzip.compress(fit_bytes(_fit_samples()))))
    assert rec.format == "fit" and len(rec) == 10


# ---- TCX ----------------------------------------------------------------------------------------------------


def test_tcx_namespaces_extensions_laps(tmp_path: Path) -> None:
    rec = read_recording(_write(tmp_path, "run.tcx", TCX.format(sport="Running")))
    assert rec.format == "tcx" and len(rec) == 4
    assert rec.t[0] == pytest.approx(T0)
    assert rec.hr.tolist() == [150.0, 152.0, 153.0, 154.0]
    assert rec.cadence.tolist() == [170.0, 172.0, 168.0, 168.0]  # RunCadence and Cadence are strides/min
    assert rec.speed[:2].tolist() == [3.0, 3.0]  # Speed extension (the second lap has none: NaN)
    assert math.isnan(rec.speed[2])
    assert rec.distance.tolist() == [0.0, 6.0, 12.0, 18.0]
    assert [lap.label for lap in rec.laps] == ["lap 1", "lap 2"]
    assert rec.laps[0].avg_hr_bpm == 151.0 and rec.laps[0].distance_m == 6.0
    assert rec.lap_of.tolist() == [0, 0, 1, 1]
    assert rec.device is not None and rec.device.distance_m == 18.0 and rec.device.duration_s == 6.0
    lap1, lap2 = summarize(rec, lap=0), summarize(rec, lap=1)
    # nearest-sample hold: the interval 12:26:42-44 is split between the laps' boundary samples
    assert lap1.duration_s == 3.0 and lap1.avg_hr_bpm == pytest.approx((150 * 1 + 152 * 2) / 3)
    assert lap1.distance_m == 6.0 and lap1.max_hr_bpm == 152.0
    assert lap2.duration_s == 3.0 and lap2.distance_m == 12.0
    whole = summarize(rec)
    assert whole.duration_s == 6.0 and whole.distance_m == 18.0


def test_tcx_without_speed_derives_it_from_distance(tmp_path: Path) -> None:
    text = TCX.format(sport="Running").replace("<ns3:Speed>3.0</ns3:Speed>", "")
    rec = read_recording(_write(tmp_path, "run.tcx", text))
    assert rec.speed.tolist() == [3.0, 3.0, 3.0, 3.0]


def test_tcx_biking_cadence_is_not_steps(tmp_path: Path) -> None:
    rec = read_recording(_write(tmp_path, "ride.tcx", TCX.format(sport="Biking")))
    assert bool(np.isnan(rec.cadence).all())


# ---- GPX ----------------------------------------------------------------------------------------------------


def test_gpx_extensions_and_haversine_speed(tmp_path: Path) -> None:
    rec = read_recording(_write(tmp_path, "run.gpx", GPX.format(cad=86)))
    assert rec.format == "gpx" and rec.creator == "test" and len(rec) == 5
    assert rec.hr[:2].tolist() == [140.0, 142.0] and math.isnan(rec.hr[2])
    assert rec.cadence[:2].tolist() == [172.0, 172.0]  # median 86 ≤ 120: strides/min, doubled
    assert rec.temp[0] == 21.0
    step = 11.119  # 0.0001° of longitude at the equator, metres
    assert rec.distance[:3] == pytest.approx([0.0, step, 2 * step], abs=0.01)
    assert rec.speed[0] == pytest.approx(step / 4, abs=0.01)
    # nothing is added across the segment break (a pause), and the pause is not recorded time
    assert rec.distance[4] - rec.distance[2] == pytest.approx(step, abs=0.01)
    assert summarize(rec).duration_s == 12.0


def test_gpx_cadence_already_in_steps_is_kept(tmp_path: Path) -> None:
    rec = read_recording(_write(tmp_path, "run.gpx", GPX.format(cad=172)))
    assert rec.cadence[:2].tolist() == [172.0, 172.0]


# ---- CSV ----------------------------------------------------------------------------------------------------


def test_csv_plain_contract_units(tmp_path: Path) -> None:
    text = "t,hr,pace,cadence,temp\n1600000000,150,300,170,20\n1600000001,151,,171,\n1600000002,152,5:00,172,NA\n"
    rec = read_recording(_write(tmp_path, "run.csv", text))
    assert rec.format == "csv" and len(rec) == 3
    assert rec.speed[0] == pytest.approx(1000 / 300) and math.isnan(rec.speed[1])
    assert rec.speed[2] == pytest.approx(1000 / 300)
    first = rec.frames()[0]
    assert first.pace == pytest.approx(300.0)
    assert first == Frame(t=T0, hr=150.0, pace=first.pace, cadence=170.0, temp=20.0)


def test_csv_header_variants_and_units(tmp_path: Path) -> None:
    text = (
        "Timestamp;Heart Rate (bpm);Speed [km/h];Run Cadence;Temperature (C);Distance (km);lat\n"
        "2020-09-13T12:26:40Z;150;10,8;85;20;0.0;48.1\n"
        "2020-09-13T12:26:41Z;151;10,8;86;20;0.003;48.1\n"
    ).replace("10,8", "10.8")
    rec = read_recording(_write(tmp_path, "export.txt", text))
    assert rec.t.tolist() == [T0, T0 + 1]
    assert rec.speed.tolist() == pytest.approx([3.0, 3.0])
    assert rec.cadence.tolist() == [170.0, 172.0]
    assert rec.distance.tolist() == pytest.approx([0.0, 3.0])


def test_csv_elapsed_time_and_pace_min_per_km(tmp_path: Path) -> None:
    text = "elapsed\tpace (min/km)\tspm\tdistance\n0:00\t5:00\t170\t1000\n0:01\t5.5\t170\t1003\n1:00:00\t\t0\t\n"
    rec = read_recording(_write(tmp_path, "run.tsv", text))
    assert rec.t.tolist() == [0.0, 1.0, 3600.0]
    assert [speed_to_pace(float(v)) for v in rec.speed[:2]] == pytest.approx([300.0, 330.0])
    assert rec.distance[:2].tolist() == [0.0, 3.0]  # relative to the first value
    assert rec.cadence.tolist() == [170.0, 170.0, 0.0]


def test_csv_from_a_european_spreadsheet_has_decimal_commas(tmp_path: Path) -> None:
    """Semicolon-separated with a decimal comma, as a French or German spreadsheet exports it: it was "line 2: bad
    value '3,0' in column 'speed'". A comma-separated file keeps "3,0" a bad value (there it splits cells)."""
    text = "time;hr;speed;cadence;temp\n1600000000;150;3,0;170;19,5\n1600000001;151;3,25;171;-0,5\n"
    rec = read_recording(_write(tmp_path, "export.csv", text))
    assert rec.speed.tolist() == [3.0, 3.25] and rec.temp.tolist() == [19.5, -0.5]
    assert rec.t.tolist() == [T0, T0 + 1] and rec.hr.tolist() == [150.0, 151.0]
    tabbed = read_recording(_write(tmp_path, "export.tsv", text.replace(";", "\t")))
    assert tabbed.speed.tolist() == [3.0, 3.25]
    with pytest.raises(InputFileError, match="bad value '3,0,5'"):
        read_recording(_write(tmp_path, "odd.csv", text.replace("3,0", "3,0,5")))


def test_csv_unix_milliseconds(tmp_path: Path) -> None:
    """audit5: a CSV of Unix milliseconds (as many apps export) was read as seconds: 1 s apart became 1000 s, and
    'analyze' summed a 20-min run to 'duration 0 s', 'replay' published 333 hours the monitor refused as future."""
    rows = "".join(f"{T0 * 1000 + 1000 * i},150,3.0\n" for i in range(3))
    rec = read_recording(_write(tmp_path, "app.csv", "timestamp,hr,speed\n" + rows))
    assert rec.t.tolist() == [T0, T0 + 1, T0 + 2]
    with pytest.raises(InputFileError, match=r"bad.csv: line 3: time 1e\+300 is neither Unix seconds nor Unix mil"):
        read_recording(_write(tmp_path, "bad.csv", f"t,hr\n{T0},150\n1e300,150\n"))
    with pytest.raises(InputFileError, match=r"all.csv: line 2: time 1e\+300 is neither"):  # as the file says it
        read_recording(_write(tmp_path, "all.csv", "t,hr\n1e300,150\n1e300,150\n"))


def test_csv_rows_are_sorted_by_time(tmp_path: Path) -> None:
    rec = read_recording(_write(tmp_path, "run.csv", "time,hr\n3,152\n1,150\n2,151\n"))
    assert rec.t.tolist() == [1.0, 2.0, 3.0] and rec.hr.tolist() == [150.0, 151.0, 152.0]


# ---- dispatch and units --------------------------------------------------------------------------------------


def test_content_wins_over_extension(tmp_path: Path) -> None:
    assert read_recording(_write(tmp_path, "really-a-gpx.tcx", GPX.format(cad=86))).format == "gpx"
    assert read_recording(_write(tmp_path, "really-a-tcx.xml", TCX.format(sport="Running"))).format == "tcx"
    assert read_recording(_write(tmp_path, "really-a-fit.bin", fit_bytes(_fit_samples()))).format == "fit"
    assert detect_format(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- c --><gpx/>", "x") == "gpx"


@pytest.mark.parametrize(
    ("speed", "pace"),
    [(2.5, 400.0), (1000 / 1200, 1200.0), (0.5, 2000.0), (0.0, STOPPED_PACE), (0.2, STOPPED_PACE)],
)
def test_speed_to_pace(speed: float, pace: float) -> None:
    assert speed_to_pace(speed) == pytest.approx(pace)


def test_frames_leave_out_implausible_values() -> None:
    rec = Recording.from_columns(
        "x", "csv", t=[0.0, 1.0, 2.0], hr=[300.0, 150.0, 20.0], speed=[20.0, 3.0, 3.0], cadence=[400.0, 170.0, 170.0]
    )
    frames = rec.frames()
    # t=0: every value implausible (hr 300, pace 50 s/km, cadence 400) → no frame at all
    assert [f.t for f in frames] == [1.0, 2.0]
    assert frames[0].streams() == {"hr": 150.0, "pace": pytest.approx(1000 / 3), "cadence": 170.0}
    assert frames[1].hr is None


def test_shifted_moves_times_and_summaries() -> None:
    rec = Recording.from_columns("x", "csv", t=[10.0, 11.0], hr=[150.0, 151.0])
    moved = rec.shifted(100.0)
    assert moved.t.tolist() == [110.0, 111.0] and rec.t.tolist() == [10.0, 11.0]
    assert [f.t for f in moved.frames()] == [110.0, 111.0]

"""Unreadable, truncated, empty and wrong-format files → InputFileError with one line naming the file."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from monitor.errors import InputFileError
from simulators.readers import read_recording
from tests.simulators.readers.fitwriter import Sample, fit_bytes
from tests.simulators.readers.oracles import REALDATA

T0 = 1_600_000_000


def _fit() -> bytes:
    return fit_bytes([Sample(T0 + i, hr=150, cadence=85, speed=3.0, distance=3.0 * i) for i in range(20)])


def _error(path: Path) -> str:
    with pytest.raises(InputFileError) as info:
        read_recording(path)
    message = str(info.value)
    assert "\n" not in message, message
    assert message.startswith(str(path)), message
    return message[len(str(path)) :]


def _write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize("cut", [14 + 5, 100, -3])
def test_truncated_fit(tmp_path: Path, cut: int) -> None:
    data = _fit()
    assert ": not a complete FIT file: truncated" in _error(_write(tmp_path, "cut.fit", data[:cut]))


def test_truncated_real_fit(tmp_path: Path) -> None:
    source = REALDATA / "fenix2-run-47min.fit"
    if not source.is_file():
        pytest.skip("../shared/realdata is not here")
    data = source.read_bytes()
    assert "truncated" in _error(_write(tmp_path, "fenix2-cut.fit", data[: len(data) // 2]))


def test_damaged_fit_crc(tmp_path: Path) -> None:
    data = bytearray(_fit())
    data[40] ^= 0xFF
    message = _error(_write(tmp_path, "bad.fit", bytes(data)))
    assert "FIT file" in message


def test_fit_header_only(tmp_path: Path) -> None:
    data = _fit()[:14]
    assert "FIT" in _error(_write(tmp_path, "header.fit", data))


def test_fit_without_records(tmp_path: Path) -> None:
    assert "no samples" in _error(_write(tmp_path, "empty.fit", fit_bytes([])))


def test_garbage_bytes_with_fit_extension(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "garbage.fit", os.urandom(64).replace(b"<", b"x")))
    assert message.startswith(": not a FIT file")


def test_garbage_bytes_with_csv_extension(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "garbage.csv", b"\x00\x01\x02\xff\xfe" * 20))
    assert "not a CSV file" in message


@pytest.mark.parametrize("name", ["empty.fit", "empty.tcx", "empty.gpx", "empty.csv", "empty"])
@pytest.mark.parametrize("content", [b"", b"  \n\n"])
def test_empty_file(tmp_path: Path, name: str, content: bytes) -> None:
    assert _error(_write(tmp_path, name, content)) == ": empty file"


def test_tcx_that_is_not_xml(tmp_path: Path) -> None:
    assert (
        _error(_write(tmp_path, "polar.tcx", "this is not XML\n"))
        == ": not a TCX file: not XML (does not start with '<')"
    )


def test_tcx_with_xml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = '<?xml version="1.0"?>\n<TrainingCenterDatabase>\n<Activities><Activity>\n</TrainingCenterDatabase>\n'
    assert _error(_write(tmp_path, "polar.tcx", text)) == ": not a TCX file: XML parse error at line 4"


def test_truncated_tcx(tmp_path: Path) -> None:
    source = REALDATA / "polar-m400-run.tcx"
    text = source.read_bytes()[:5000] if source.is_file() else b"<TrainingCenterDatabase><Activities><Activity"
    assert "not a TCX file: XML parse error at line" in _error(_write(tmp_path, "cut.tcx", text))


def test_xml_with_wrong_root(tmp_path: Path) -> None:
    assert _error(_write(tmp_path, "x.tcx", "<html><body/></html>")) == ": not a TCX file: root element is <html>"
    assert _error(_write(tmp_path, "x.gpx", "<kml/>")) == ": not a GPX file: root element is <kml>"


def test_tcx_and_gpx_without_points(tmp_path: Path) -> None:
    assert "no trackpoints" in _error(_write(tmp_path, "x.tcx", "<TrainingCenterDatabase/>"))
    assert "no track points" in _error(_write(tmp_path, "x.gpx", "<gpx version='1.1'><trk/></gpx>"))


def test_bad_values_in_xml(tmp_path: Path) -> None:
    tcx = (
        "<TrainingCenterDatabase><Activities><Activity><Lap StartTime='2020-01-01T00:00:00Z'><Track>"
        "<Trackpoint><Time>yesterday</Time></Trackpoint></Track></Lap></Activity></Activities>"
        "</TrainingCenterDatabase>"
    )
    assert _error(_write(tmp_path, "x.tcx", tcx)) == ": bad time 'yesterday' in <Time>"
    gpx = "<gpx><trk><trkseg><trkpt lat='x' lon='0'><time>2020-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>"
    assert _error(_write(tmp_path, "x.gpx", gpx)) == ": bad number 'x' in <trkpt lat>"
    no_time = "<gpx><trk><trkseg><trkpt lat='0' lon='0'/></trkseg></trk></gpx>"
    assert _error(_write(tmp_path, "y.gpx", no_time)) == ": <time> missing"


def test_csv_problems(tmp_path: Path) -> None:
    assert "no time column" in _error(_write(tmp_path, "a.csv", "hr,cadence\n150,170\n"))
    assert "no hr, speed, pace, cadence or temp column" in _error(_write(tmp_path, "b.csv", "t,lat\n1,2\n"))
    assert _error(_write(tmp_path, "c.csv", "t,hr\n1,150\n2,fast\n")) == ": line 3: bad value 'fast' in column 'hr'"
    assert _error(_write(tmp_path, "d.csv", "t,hr\n")) == ": CSV file has a header but no rows (no samples)"
    assert _error(_write(tmp_path, "e.csv", "t,hr\n1,150\n,151\n")) == ": line 3: missing time"
    assert "not UTF-8" in _error(_write(tmp_path, "f.csv", "t,hr\n1,150\n".encode("utf-16")))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert _error(tmp_path / "nope.fit") == ": no such file"
    assert _error(tmp_path) == ": is a directory, not a recording"


def test_unreadable_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "locked.fit", _fit())
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read anything (root)")
        assert _error(path).startswith(": cannot read")
    finally:
        path.chmod(0o644)


def test_damaged_gzip(tmp_path: Path) -> None:
    data = gzip.compress(_fit())
    assert "damaged gzip file" in _error(_write(tmp_path, "run.fit.gz", data[: len(data) // 2]))

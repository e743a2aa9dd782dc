"""CSV reader: one row per sample, a header row naming the columns. Comma, semicolon or tab separated, UTF-8.

Header names are matched case-insensitively after turning every run of non-letters/digits into ``_``
(``"Heart Rate (bpm)"`` → ``heart_rate_bpm``). Accepted columns (others, e.g. ``lat``, are ignored):

- time: ``t``, ``time``, ``timestamp``, ``time_s``, ``unix``, ``unix_time``, ``epoch``, ``datetime``,
  ``date_time``, ``elapsed``, ``elapsed_s``, ``seconds``, ``secs`` — Unix seconds, Unix milliseconds (a column
  whose times all are at least 1e11), ISO 8601 (naive = UTC), or elapsed seconds / ``h:mm:ss`` (kept as they are:
  relative times from 0; ``replay`` places such a run to end now, ``--now`` to start now).
- hr (bpm): ``hr``, ``hr_bpm``, ``heart_rate``, ``heart_rate_bpm``, ``heartrate``, ``bpm``.
- speed (m/s): ``speed``, ``speed_m_s``, ``speed_mps``, ``velocity``, ``enhanced_speed``;
  (km/h): ``speed_km_h``, ``speed_kmh``, ``speed_kph``.
- pace (s/km, or ``m:ss``): ``pace``, ``pace_s_km``, ``pace_s_per_km``, ``pace_sec_km``;
  (min/km, or ``m:ss``): ``pace_min_km``, ``pace_min_per_km``.
- cadence (steps/min, both feet): ``cadence``, ``cadence_spm``, ``cadence_steps_min``, ``steps_per_min``,
  ``step_rate``, ``spm``; (strides/min, doubled): ``cadence_rpm``, ``run_cadence``, ``runcadence``,
  ``strides_per_min``, ``stride_rate``, ``cadence_strides_min``.
- temp (°C): ``temp``, ``temp_c``, ``temperature``, ``temperature_c``, ``atemp``.
- distance (cumulative; m): ``distance``, ``distance_m``, ``dist``, ``dist_m``; (km): ``distance_km``.

A time column and at least one of hr, speed/pace, cadence, temp are required. Empty cells, ``NA``, ``nan``,
``null`` and ``-`` are "not measured". Speed wins over pace when both are given. The distance is made relative
to its first value (the recording starts at 0 m).
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import UTC, datetime
from typing import Final

import numpy as np

from monitor.errors import InputFileError
from simulators.readers.recording import Recording

# normalised header -> (stream, factor); factor None marks a special parser
_COLUMNS: dict[str, tuple[str, float]] = {}
for _names, _stream, _factor in (
    ("t time timestamp time_s unix unix_time epoch datetime date_time", "t", 1.0),
    ("elapsed elapsed_s seconds secs", "t", 1.0),
    ("hr hr_bpm heart_rate heart_rate_bpm heartrate bpm", "hr", 1.0),
    ("speed speed_m_s speed_mps velocity enhanced_speed", "speed", 1.0),
    ("speed_km_h speed_kmh speed_kph", "speed", 1 / 3.6),
    ("pace pace_s_km pace_s_per_km pace_sec_km", "pace", 1.0),
    ("pace_min_km pace_min_per_km", "pace", 60.0),
    ("cadence cadence_spm cadence_steps_min steps_per_min step_rate spm", "cadence", 1.0),
    ("cadence_rpm run_cadence runcadence strides_per_min stride_rate cadence_strides_min", "cadence", 2.0),
    ("temp temp_c temperature temperature_c atemp", "temp", 1.0),
    ("distance distance_m dist dist_m", "distance", 1.0),
    ("distance_km", "distance", 1000.0),
):
    for _name in _names.split():
        _COLUMNS[_name] = (_stream, _factor)

TIME_NAMES = tuple(k for k, (s, _) in _COLUMNS.items() if s == "t")
_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-"})
_CLOCK = re.compile(r"^(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?$")


def normalise(header: str) -> str:
    """Header name as matched.

    >>> normalise("Heart Rate (bpm)"), normalise(" Speed [km/h] ")
    ('heart_rate_bpm', 'speed_km_h')
    """
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


def clock_seconds(text: str) -> float | None:
    """``m:ss`` or ``h:mm:ss`` to seconds (None if not that shape).

    >>> clock_seconds("5:30"), clock_seconds("1:02:03.5"), clock_seconds("abc")
    (330.0, 3723.5, None)
    """
    m = _CLOCK.match(text)
    if m is None:
        return None
    a, b, c = m.group(1), m.group(2), m.group(3)
    if c is None:
        return int(a) * 60.0 + int(b)
    return int(a) * 3600.0 + int(b) * 60.0 + float(c)


#: A number with a decimal comma ("3,0", "-0,25"), read as such in semicolon or tab separated files.
_DECIMAL_COMMA: Final = re.compile(r"[+-]?\d+,\d+")


def read_csv(data: bytes, source: str) -> Recording:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{source}: not a CSV file: not UTF-8 text (byte {exc.start})") from exc
    if "\x00" in text:
        raise InputFileError(f"{source}: not a CSV file: binary data")
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise InputFileError(f"{source}: empty file")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    # a semicolon or tab file is a European spreadsheet's export: its numbers have a decimal comma ("3,0")
    decimal_comma = dialect.delimiter in ";\t"
    header = next(rows, [])
    cols: dict[str, tuple[int, float]] = {}
    for i, name in enumerate(header):
        key = normalise(name)
        if key in _COLUMNS and _COLUMNS[key][0] not in cols:
            stream, factor = _COLUMNS[key]
            cols[stream] = (i, factor)
    if "t" not in cols:
        accepted = ", ".join(TIME_NAMES)
        raise InputFileError(f"{source}: not a CSV recording: no time column in the header ({accepted})")
    if not {"hr", "speed", "pace", "cadence", "temp"} & cols.keys():
        raise InputFileError(f"{source}: CSV file has no hr, speed, pace, cadence or temp column")

    values: dict[str, list[float]] = {k: [] for k in cols}
    for line_no, row in enumerate(rows, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        for stream, (index, factor) in cols.items():
            cell = row[index].strip() if index < len(row) else ""
            if decimal_comma and _DECIMAL_COMMA.fullmatch(cell):
                cell = cell.replace(",", ".")
            values[stream].append(_cell(cell, stream, factor, source, line_no, header[index]))
    if not values["t"]:
        raise InputFileError(f"{source}: CSV file has a header but no rows (no samples)")
    t = values.pop("t")
    if any(math.isnan(x) for x in t):
        line = 2 + next(i for i, x in enumerate(t) if math.isnan(x))
        raise InputFileError(f"{source}: line {line}: missing time")
    t = _unix_seconds(t, source)

    speed = values.pop("speed", None)
    pace = values.pop("pace", None)
    if speed is None and pace is not None:
        speed = [1000.0 / p if p > 0 else math.nan for p in pace]
    distance = values.pop("distance", None)
    if distance is not None:
        d = np.asarray(distance, dtype=np.float64)
        finite = d[np.isfinite(d)]
        distance = list(d - finite[0]) if finite.size else None
    return Recording.from_columns(
        source,
        "csv",
        t=t,
        hr=values.get("hr"),
        speed=speed,
        cadence=values.get("cadence"),
        temp=values.get("temp"),
        distance=distance,
    )


#: No time in Unix seconds is this large (the year 5138); a column of times that all are is Unix milliseconds
#: (1700000000000), as many apps export them. Read as seconds, a 1-Hz run became 1000 s between samples, which
#: analyze summed to "duration 0 s" and replay published as 333 hours, all of it "future time" to the monitor.
MS_FROM: Final = 1e11


def _unix_seconds(t: list[float], source: str) -> list[float]:
    """Times as Unix seconds: a column of Unix milliseconds divided by 1000; a time too large for either is
    refused with its line.

    >>> _unix_seconds([1_700_000_000_500.0, 1_700_000_001_000.0], "x.csv"), _unix_seconds([0.0, 1.5], "x.csv")
    ([1700000000.5, 1700000001.0], [0.0, 1.5])
    """
    seconds = [x / 1000.0 for x in t] if min(t) >= MS_FROM else t
    if max(seconds) >= MS_FROM:
        index = next(i for i, x in enumerate(seconds) if x >= MS_FROM)
        raise InputFileError(
            f"{source}: line {2 + index}: time {t[index]:.6g} is neither Unix seconds nor Unix milliseconds"
        )
    return seconds


def _cell(cell: str, stream: str, factor: float, source: str, line: int, name: str) -> float:
    if cell.lower() in _MISSING:
        return math.nan
    value = _float(cell)
    if value is not None:
        return value * factor if math.isfinite(value) else math.nan
    if stream in ("t", "pace"):  # "m:ss" / "h:mm:ss": elapsed seconds, or seconds per km
        seconds = clock_seconds(cell)
        if seconds is not None:
            return seconds
    if stream == "t":
        stamp = _iso(cell)
        if stamp is not None:
            return stamp
    raise InputFileError(f"{source}: line {line}: bad value {cell[:30]!r} in column {name.strip()[:30]!r}")


def _float(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _iso(cell: str) -> float | None:
    try:
        stamp = datetime.fromisoformat(cell)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()

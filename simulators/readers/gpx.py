"""GPX reader (GPX 1.0/1.1 tracks, with Garmin TrackPointExtension v1/v2 and similar extensions).

Per ``trkpt``: ``lat``/``lon``, ``time`` (required), ``ele`` (m: the side series ``Recording.altitude``), and in
``extensions`` any element named ``hr`` / ``heartrate`` (bpm), ``cad`` / ``cadence``, ``atemp`` / ``temp`` (°C),
``speed`` (m/s). Distance is the haversine sum along each ``trkseg`` (nothing is added across a segment break:
that is a pause). Without a ``speed`` extension the speed is the forward difference of that distance.

Cadence: Garmin writes running cadence in GPX as strides/min like FIT and TCX, other apps write steps/min.
The reader decides per file: if the median non-zero cadence is at most 120 the file is in strides/min and is
doubled (human running is 70-110 strides/min, i.e. 140-220 steps/min; the ranges do not meet at 120).
"""

from __future__ import annotations

import math

import numpy as np

from monitor.errors import InputFileError
from simulators.readers.recording import BoolArray, FloatArray, Recording
from simulators.readers.xmlutil import children, iso_time, local, number, parse_xml, path_text

EARTH_RADIUS_M = 6_371_008.8
#: A median non-zero cadence at or below this is strides/min (see module docstring).
STRIDES_MAX = 120.0
_EXT = {
    "hr": "hr",
    "heartrate": "hr",
    "cad": "cad",
    "cadence": "cad",
    "atemp": "temp",
    "temp": "temp",
    "speed": "speed",
}


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres.

    >>> round(haversine_m(0.0, 0.0, 0.0, 1.0))
    111195
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def read_gpx(data: bytes, source: str) -> Recording:
    root = parse_xml(data, source, "GPX")
    if local(root.tag) != "gpx":
        raise InputFileError(f"{source}: not a GPX file: root element is <{local(root.tag)}>")
    t: list[float] = []
    cols: dict[str, list[float]] = {"hr": [], "cad": [], "temp": [], "speed": [], "distance": [], "ele": []}
    seg_end: list[bool] = []
    total = 0.0
    creator = root.get("creator")
    for trk in children(root, "trk"):
        for seg in children(trk, "trkseg"):
            prev: tuple[float, float] | None = None
            points = list(children(seg, "trkpt"))
            for k, point in enumerate(points):
                t.append(iso_time(path_text(point, "time"), source, "time"))
                lat = number(point.get("lat"), source, "trkpt lat")
                lon = number(point.get("lon"), source, "trkpt lon")
                if not (math.isnan(lat) or math.isnan(lon)):
                    if prev is not None:
                        total += haversine_m(prev[0], prev[1], lat, lon)
                    prev = (lat, lon)
                cols["distance"].append(total if prev is not None else math.nan)
                cols["ele"].append(number(path_text(point, "ele"), source, "ele"))
                found: dict[str, float] = {}
                ext = next(children(point, "extensions"), None)
                if ext is not None:
                    for node in ext.iter():
                        if node is ext or not isinstance(node.tag, str):
                            continue
                        key = _EXT.get(local(node.tag).lower())
                        if key is not None and key not in found and node.text and node.text.strip():
                            found[key] = number(node.text.strip(), source, local(node.tag))
                for key in ("hr", "cad", "temp", "speed"):
                    cols[key].append(found.get(key, math.nan))
                seg_end.append(k == len(points) - 1)
    if not t:
        raise InputFileError(f"{source}: GPX file has no track points (no samples)")

    cad = np.asarray(cols["cad"], dtype=np.float64)
    nonzero = cad[np.isfinite(cad) & (cad > 0)]
    if nonzero.size and float(np.median(nonzero)) <= STRIDES_MAX:
        cad = 2.0 * cad
    times = np.asarray(t, dtype=np.float64)
    distance = np.asarray(cols["distance"], dtype=np.float64)
    speed = np.asarray(cols["speed"], dtype=np.float64)
    if bool(np.all(np.isnan(speed))):
        speed = _segment_speed(times, distance, np.asarray(seg_end, dtype=bool))
    return Recording.from_columns(
        source,
        "gpx",
        t=times,
        hr=cols["hr"],
        speed=speed,
        cadence=cad,
        temp=cols["temp"],
        distance=distance,
        altitude=cols["ele"],
        creator=creator,
    )


def _segment_speed(t: FloatArray, d: FloatArray, seg_end: BoolArray) -> FloatArray:
    """Forward-difference speed within segments; a segment's last point repeats the speed before it."""
    n = t.shape[0]
    out = np.full(n, np.nan)
    for i in range(n - 1):
        if seg_end[i]:
            out[i] = out[i - 1] if i > 0 and not seg_end[i - 1] else math.nan
            continue
        dt = t[i + 1] - t[i]
        if dt > 0 and math.isfinite(d[i]) and math.isfinite(d[i + 1]):
            out[i] = (d[i + 1] - d[i]) / dt
    if n >= 2 and math.isnan(out[-1]):
        out[-1] = out[-2]
    return out

"""TCX reader (Garmin Training Center XML v2, as written by Garmin, Polar, Suunto, Strava exports...).

Per ``Trackpoint``: ``Time``, ``HeartRateBpm/Value``, ``DistanceMeters`` (cumulative), ``Cadence`` and the
Garmin ActivityExtension ``TPX/RunCadence`` (both strides/min for running → x 2 = steps/min), ``TPX/Speed``
(m/s), ``AltitudeMeters`` (the side series ``Recording.altitude``, not a frame stream). Without a ``Speed``
extension the speed is derived from consecutive ``DistanceMeters``. Per ``Lap``:
``StartTime``, ``TotalTimeSeconds``, ``DistanceMeters``, ``AverageHeartRateBpm``, ``MaximumHeartRateBpm``,
``LX/AvgRunCadence`` or ``Cadence``, ``LX/AvgSpeed`` → :class:`DeviceSummary` per lap; the session summary is
the laps combined (time sum, distance sum, duration-weighted average HR, max of maxima). Namespaces and
prefixes are ignored (matching is on local names). For biking activities ``Cadence`` is pedal rpm and is left
out.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np

from monitor.errors import InputFileError
from simulators.readers.recording import DeviceSummary, Recording, speed_from_distance
from simulators.readers.xmlutil import (
    child,
    children,
    descendants,
    iso_time,
    local,
    number,
    opt_number,
    parse_xml,
    path_text,
)


def read_tcx(data: bytes, source: str) -> Recording:
    root = parse_xml(data, source, "TCX")
    if local(root.tag) != "TrainingCenterDatabase":
        raise InputFileError(f"{source}: not a TCX file: root element is <{local(root.tag)}>")
    t: list[float] = []
    hr: list[float] = []
    speed: list[float] = []
    cadence: list[float] = []
    distance: list[float] = []
    altitude: list[float] = []
    lap_of: list[int] = []
    laps: list[DeviceSummary] = []
    sport: str | None = None
    creator: str | None = None
    for activity in descendants(root, "Activity"):
        if sport is None:
            sport = (activity.get("Sport") or "").strip().lower() or None
        steps = (activity.get("Sport") or "Running").strip().lower() not in ("biking", "cycling")
        if creator is None:
            creator = path_text(activity, "Creator", "Name")
        for lap in children(activity, "Lap"):
            laps.append(_lap(lap, f"lap {len(laps) + 1}", source, steps))
            for point in descendants(lap, "Trackpoint"):
                lap_of.append(len(laps) - 1)
                t.append(iso_time(path_text(point, "Time"), source))
                hr.append(number(path_text(point, "HeartRateBpm", "Value"), source, "HeartRateBpm"))
                distance.append(number(path_text(point, "DistanceMeters"), source, "DistanceMeters"))
                altitude.append(number(path_text(point, "AltitudeMeters"), source, "AltitudeMeters"))
                ext = child(point, "Extensions")
                tpx = None if ext is None else next(descendants(ext, "TPX"), None)
                speed.append(math.nan if tpx is None else number(path_text(tpx, "Speed"), source, "Speed"))
                cad = number(path_text(point, "Cadence"), source, "Cadence")
                if tpx is not None and math.isnan(cad):
                    cad = number(path_text(tpx, "RunCadence"), source, "RunCadence")
                cadence.append(2.0 * cad if steps else math.nan)
    if not t:
        raise InputFileError(f"{source}: TCX file has no trackpoints (no samples)")
    rec = Recording.from_columns(
        source,
        "tcx",
        t=t,
        hr=hr,
        speed=speed,
        cadence=cadence,
        distance=distance,
        altitude=altitude,
        laps=laps,
        lap_of=lap_of,
        device=combine_laps(laps),
        creator=creator,
        sport=sport,
    )
    if bool(np.all(np.isnan(rec.speed))):
        rec.speed = speed_from_distance(rec.t, rec.distance)
    return rec


def _lap(lap: ET.Element, label: str, source: str, steps: bool) -> DeviceSummary:
    start = lap.get("StartTime")
    lx = None
    ext = child(lap, "Extensions")
    if ext is not None:
        lx = next(descendants(ext, "LX"), None)
    cad = None if lx is None else opt_number(path_text(lx, "AvgRunCadence"), source, "AvgRunCadence")
    if cad is None:
        cad = opt_number(path_text(lap, "Cadence"), source, "Cadence")
    return DeviceSummary(
        label=label,
        start=None if start is None else iso_time(start, source, "Lap StartTime"),
        duration_s=opt_number(path_text(lap, "TotalTimeSeconds"), source, "TotalTimeSeconds"),
        distance_m=opt_number(path_text(lap, "DistanceMeters"), source, "DistanceMeters"),
        avg_hr_bpm=opt_number(path_text(lap, "AverageHeartRateBpm", "Value"), source, "AverageHeartRateBpm"),
        max_hr_bpm=opt_number(path_text(lap, "MaximumHeartRateBpm", "Value"), source, "MaximumHeartRateBpm"),
        avg_cadence_spm=None if cad is None or not steps else 2.0 * cad,
        avg_speed_m_s=None if lx is None else opt_number(path_text(lx, "AvgSpeed"), source, "AvgSpeed"),
    )


def combine_laps(laps: list[DeviceSummary]) -> DeviceSummary | None:
    """The session as the laps say it: summed time and distance, duration-weighted averages, max of maxima."""
    if not laps:
        return None
    durations = [lap.duration_s for lap in laps]
    total = sum(d for d in durations if d is not None) if any(d is not None for d in durations) else None
    dists = [lap.distance_m for lap in laps if lap.distance_m is not None]
    maxima = [lap.max_hr_bpm for lap in laps if lap.max_hr_bpm is not None]
    return DeviceSummary(
        label="laps combined",
        start=laps[0].start,
        duration_s=total,
        distance_m=sum(dists) if dists else None,
        avg_hr_bpm=_weighted(laps, "avg_hr_bpm"),
        max_hr_bpm=max(maxima) if maxima else None,
        avg_cadence_spm=_weighted(laps, "avg_cadence_spm"),
        avg_speed_m_s=(sum(dists) / total) if dists and total else None,
    )


def _weighted(laps: list[DeviceSummary], name: str) -> float | None:
    num = 0.0
    den = 0.0
    for lap in laps:
        value = getattr(lap, name)
        if value is not None and lap.duration_s:
            num += value * lap.duration_s
            den += lap.duration_s
    return num / den if den > 0 else None

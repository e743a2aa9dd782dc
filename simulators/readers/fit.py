"""FIT reader (Garmin and others), built on ``fitdecode``.

Reads ``record`` messages (``timestamp``, ``heart_rate``, ``enhanced_speed``/``speed``, ``distance``,
``cadence`` + ``fractional_cadence``, ``temperature``), the ``session`` and ``lap`` summaries and the device
name. FIT running cadence is strides per minute: steps/min = 2 x (cadence + fractional_cadence). For cycling
sports the cadence is pedal revolutions, not steps, and is left out (NaN).

CRC errors and malformed or truncated data raise :class:`InputFileError` (strict: a damaged file is refused,
not half read).
"""

from __future__ import annotations

import io
import math
from datetime import datetime
from typing import Any

import fitdecode

from monitor.errors import InputFileError
from simulators.readers.recording import DeviceSummary, Recording

#: Sports whose ``cadence`` is not a step rate.
NON_STEP_SPORTS = frozenset({"cycling", "e_biking", "rowing", "paddling", "swimming"})


def looks_like_fit(head: bytes) -> bool:
    """FIT files start with a 12- or 14-byte header carrying ``.FIT`` at offset 8."""
    return len(head) >= 12 and head[0] in (12, 14) and head[8:12] == b".FIT"


def read_fit(data: bytes, source: str) -> Recording:
    """Parse FIT bytes. ``source`` is the name used in error messages and kept on the recording."""
    records: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    laps: list[dict[str, Any]] = []
    sport: str | None = None
    creator: str | None = None
    try:
        with fitdecode.FitReader(
            io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE, error_handling=fitdecode.ErrorHandling.RAISE
        ) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                name = frame.name
                if name == "record":
                    records.append(_values(frame))
                elif name == "session":
                    sessions.append(_values(frame))
                elif name == "lap":
                    laps.append(_values(frame))
                elif name == "sport" and sport is None:
                    sport = _str(frame, "sport")
                elif creator is None and (
                    name == "file_id" or (name == "device_info" and _str(frame, "device_index") == "creator")
                ):
                    creator = _str(frame, "garmin_product") or _str(frame, "product_name")
    except fitdecode.FitEOFError as exc:
        raise InputFileError(f"{source}: not a complete FIT file: truncated ({exc})") from exc
    except fitdecode.FitHeaderError as exc:
        raise InputFileError(f"{source}: not a FIT file: {exc}") from exc
    except fitdecode.FitCRCError as exc:
        raise InputFileError(f"{source}: damaged FIT file: {exc}") from exc
    except (fitdecode.FitError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputFileError(f"{source}: unreadable FIT file: {exc}") from exc

    if sport is None and sessions:
        sport = _opt_str(sessions[0].get("sport"))
    steps = (sport or "running") not in NON_STEP_SPORTS

    t: list[float] = []
    hr: list[float] = []
    speed: list[float] = []
    cadence: list[float] = []
    temp: list[float] = []
    distance: list[float] = []
    for rec in records:
        ts = rec.get("timestamp")
        if not isinstance(ts, datetime):
            continue
        t.append(ts.timestamp())
        hr.append(_num(rec.get("heart_rate")))
        sp = _num(rec.get("enhanced_speed"))
        speed.append(sp if not math.isnan(sp) else _num(rec.get("speed")))
        cad = _num(rec.get("cadence"))
        if steps and not math.isnan(cad):
            frac = _num(rec.get("fractional_cadence"))
            cad = 2.0 * (cad + (0.0 if math.isnan(frac) else frac))
        else:
            cad = math.nan
        cadence.append(cad)
        temp.append(_num(rec.get("temperature")))
        distance.append(_num(rec.get("distance")))
    if not t:
        raise InputFileError(f"{source}: FIT file has no timestamped record messages (no samples)")

    device = _summary(sessions[0], "session", steps) if sessions else None
    lap_summaries = [_summary(lap, f"lap {i + 1}", steps) for i, lap in enumerate(laps)]
    return Recording.from_columns(
        source,
        "fit",
        t=t,
        hr=hr,
        speed=speed,
        cadence=cadence,
        temp=temp,
        distance=distance,
        device=device,
        laps=lap_summaries,
        creator=creator,
        sport=sport,
    )


def _values(frame: Any) -> dict[str, Any]:
    return {f.name: f.value for f in frame.fields}


def _str(frame: Any, name: str) -> str | None:
    if not frame.has_field(name):
        return None
    return _opt_str(frame.get_value(name))


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    v = float(value)
    return v if math.isfinite(v) else math.nan


def _opt(value: Any) -> float | None:
    v = _num(value)
    return None if math.isnan(v) else v


def _summary(msg: dict[str, Any], label: str, steps: bool) -> DeviceSummary:
    start = msg.get("start_time")
    cad = _opt(msg.get("avg_running_cadence"))
    if cad is None:
        cad = _opt(msg.get("avg_cadence"))
    if cad is not None:
        frac = _opt(msg.get("avg_fractional_cadence"))
        cad = 2.0 * (cad + (frac or 0.0)) if steps else None
    speed = _opt(msg.get("enhanced_avg_speed"))
    return DeviceSummary(
        label=label,
        start=start.timestamp() if isinstance(start, datetime) else None,
        duration_s=_opt(msg.get("total_timer_time")),
        distance_m=_opt(msg.get("total_distance")),
        avg_hr_bpm=_opt(msg.get("avg_heart_rate")),
        max_hr_bpm=_opt(msg.get("max_heart_rate")),
        avg_cadence_spm=cad,
        avg_speed_m_s=speed if speed is not None else _opt(msg.get("avg_speed")),
    )

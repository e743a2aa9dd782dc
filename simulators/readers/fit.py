"""FIT reader (Garmin and others), built on ``fitdecode``.

Reads ``record`` messages (``timestamp``, ``heart_rate``, ``enhanced_speed``/``speed``, ``distance``,
``cadence`` + ``fractional_cadence``, ``temperature``, ``enhanced_altitude``/``altitude`` as the side series
``Recording.altitude``), the ``session`` and ``lap`` summaries, the device
name, timer ``event`` messages (pauses), and the athlete's ``user_profile``/``zones_target`` (HRmax, resting HR,
sex, weight, age, height). FIT running cadence is strides per minute: steps/min = 2 x (cadence +
fractional_cadence). For cycling sports the cadence is pedal revolutions, not steps, and is left out (NaN).

Time, as the FIT protocol defines it (FIT SDK, "FIT File Types / Activity" and the ``date_time`` base type):

- records with a **compressed-timestamp header** carry a 5-bit offset to the last full timestamp; fitdecode
  rebuilds their ``timestamp`` (tested with a generated file);
- a ``date_time`` below ``0x10000000`` is **device system time** (seconds since the device powered on), not
  UTC. Such records are anchored with a ``timestamp_correlation`` message (UTC ``timestamp`` beside
  ``system_timestamp``), or else with the ``activity`` message (its UTC ``timestamp`` is the end of the
  activity: the last system-time record is placed there). Without an anchor they are counted, not used;
- timer ``stop``/``start`` events delimit pauses (``Recording.pauses``), which the summary leaves out.

Whatever cannot be used (a record without a timestamp, system time with no anchor) is counted in
``Recording.skipped``, never dropped silently. CRC errors and malformed or truncated data raise
:class:`InputFileError` (strict: a damaged file is refused, not half read).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
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


#: ``date_time`` values below this are device system time (FIT SDK), not seconds since the FIT epoch.
SYSTEM_TIME_MAX = 0x10000000
#: FIT epoch (1989-12-31T00:00:00Z) in Unix seconds.
FIT_EPOCH = 631_065_600
#: Timer event types that stop the timer (FIT profile ``event_type``).
TIMER_STOPS = frozenset({"stop", "stop_all", "stop_disable", "stop_disable_all"})


@dataclass
class _Messages:
    records: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    laps: list[dict[str, Any]] = field(default_factory=list)
    timer: list[tuple[Any, str]] = field(default_factory=list)
    correlation: dict[str, Any] | None = None
    activity: dict[str, Any] | None = None
    user: dict[str, Any] = field(default_factory=dict)
    sport: str | None = None
    creator: str | None = None


def read_fit(data: bytes, source: str) -> Recording:
    """Parse FIT bytes. ``source`` is the name used in error messages and kept on the recording."""
    msgs = _read_messages(data, source)
    sport = msgs.sport
    if sport is None and msgs.sessions:
        sport = _opt_str(msgs.sessions[0].get("sport"))
    steps = (sport or "running") not in NON_STEP_SPORTS
    skipped: dict[str, int] = {}
    anchor = _system_time_anchor(msgs)

    def when(value: Any) -> float | None:
        return _unix(value, anchor)

    cols: dict[str, list[float]] = {k: [] for k in ("t", "hr", "speed", "cadence", "temp", "distance", "altitude")}
    for rec in msgs.records:
        ts = rec.get("timestamp")
        t = when(ts)
        if t is None:
            reason = "record without timestamp" if ts is None else "record in device system time, no anchor"
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        cols["t"].append(t)
        cols["hr"].append(_num(rec.get("heart_rate")))
        sp = _num(rec.get("enhanced_speed"))
        cols["speed"].append(sp if not math.isnan(sp) else _num(rec.get("speed")))
        cad = _num(rec.get("cadence"))
        if steps and not math.isnan(cad):
            frac = _num(rec.get("fractional_cadence"))
            cad = 2.0 * (cad + (0.0 if math.isnan(frac) else frac))
        else:
            cad = math.nan
        cols["cadence"].append(cad)
        cols["temp"].append(_num(rec.get("temperature")))
        cols["distance"].append(_num(rec.get("distance")))
        alt = _num(rec.get("enhanced_altitude"))
        cols["altitude"].append(alt if not math.isnan(alt) else _num(rec.get("altitude")))
    if not cols["t"]:
        why = "; ".join(f"{n} {r}" for r, n in skipped.items())
        raise InputFileError(f"{source}: FIT file has no usable timestamped records ({why or 'no samples'})")

    device = _summary(msgs.sessions[0], "session", steps, when) if msgs.sessions else None
    lap_summaries = [_summary(lap, f"lap {i + 1}", steps, when) for i, lap in enumerate(msgs.laps)]
    return Recording.from_columns(
        source,
        "fit",
        **cols,
        device=device,
        laps=lap_summaries,
        creator=msgs.creator,
        sport=sport,
        pauses=_pauses(msgs.timer, when),
        skipped=skipped,
        athlete=msgs.user,
    )


def _read_messages(data: bytes, source: str) -> _Messages:
    msgs = _Messages()
    try:
        with fitdecode.FitReader(
            io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE, error_handling=fitdecode.ErrorHandling.RAISE
        ) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage):
                    _collect(msgs, frame)
    except fitdecode.FitEOFError as exc:
        raise InputFileError(f"{source}: not a complete FIT file: truncated ({exc})") from exc
    except fitdecode.FitHeaderError as exc:
        raise InputFileError(f"{source}: not a FIT file (no FIT file header at the start)") from exc
    except fitdecode.FitCRCError as exc:
        raise InputFileError(f"{source}: damaged FIT file: {exc}") from exc
    except (fitdecode.FitError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputFileError(f"{source}: unreadable FIT file: {exc}") from exc
    return msgs


def _collect(msgs: _Messages, frame: Any) -> None:
    name = frame.name
    if name == "record":
        msgs.records.append(_values(frame))
    elif name == "session":
        msgs.sessions.append(_values(frame))
    elif name == "lap":
        msgs.laps.append(_values(frame))
    elif name == "event":
        v = _values(frame)
        if str(v.get("event")) == "timer" and v.get("event_type") is not None:
            msgs.timer.append((v.get("timestamp"), str(v.get("event_type"))))
    elif name == "timestamp_correlation" and msgs.correlation is None:
        msgs.correlation = _values(frame)
    elif name == "activity" and msgs.activity is None:
        msgs.activity = _values(frame)
    elif name in ("user_profile", "zones_target"):
        _athlete(msgs.user, _values(frame))
    elif name == "sport" and msgs.sport is None:
        msgs.sport = _str(frame, "sport")
    elif msgs.creator is None and (
        name == "file_id" or (name == "device_info" and _str(frame, "device_index") == "creator")
    ):
        msgs.creator = _str(frame, "garmin_product") or _str(frame, "product_name")


def _athlete(out: dict[str, Any], v: dict[str, Any]) -> None:
    """Contract profile fields from ``user_profile`` / ``zones_target`` (first value wins; implausible values,
    which devices write as defaults, are ignored)."""
    gender = v.get("gender")
    if gender in ("male", "female"):
        out.setdefault("sex", gender)
    for key, field_name, lo, hi in (
        ("age", "age", 5, 100),
        ("mass_kg", "weight", 25, 250),
        ("hr_rest", "resting_heart_rate", 25, 120),
        ("hr_max", "default_max_running_heart_rate", 100, 240),
        ("hr_max", "default_max_heart_rate", 100, 240),
        ("hr_max", "max_heart_rate", 100, 240),
    ):
        x = _opt(v.get(field_name))
        if x is not None and lo <= x <= hi:
            out.setdefault(key, x)
    height = _opt(v.get("height"))  # metres in FIT
    if height is not None and 1.0 <= height <= 2.5:
        out.setdefault("height_cm", round(height * 100.0, 1))


def _system_time_anchor(msgs: _Messages) -> float | None:
    """Unix seconds of device system time 0, from ``timestamp_correlation`` or else from ``activity``."""
    corr = msgs.correlation
    if corr is not None and isinstance(corr.get("timestamp"), datetime):
        system = _num(corr.get("system_timestamp"))
        if not math.isnan(system):
            return float(corr["timestamp"].timestamp()) - (FIT_EPOCH + system)
    act = msgs.activity
    if act is not None and isinstance(act.get("timestamp"), datetime):
        rel = [r["timestamp"] for r in msgs.records if _is_system_time(r.get("timestamp"))]
        if rel:
            return float(act["timestamp"].timestamp()) - (FIT_EPOCH + float(max(rel)))
    return None


def _is_system_time(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < SYSTEM_TIME_MAX


def _unix(value: Any, anchor: float | None) -> float | None:
    """Unix seconds of a FIT ``date_time`` as fitdecode gives it (UTC datetime, or the raw int for system
    time); ``None`` when unknown."""
    if isinstance(value, datetime):
        return value.timestamp()
    if _is_system_time(value) and anchor is not None:
        return FIT_EPOCH + float(value) + anchor
    return None


def _pauses(timer: list[tuple[Any, str]], when: Callable[[Any], float | None]) -> list[tuple[float, float]]:
    """Timer-stopped intervals from timer events in file order (a stop without a later start: open to the end,
    which holds no samples anyway, so it is left out)."""
    out: list[tuple[float, float]] = []
    stopped_at: float | None = None
    for ts, kind in timer:
        t = when(ts)
        if t is None:
            continue
        if kind in TIMER_STOPS:
            stopped_at = t if stopped_at is None else stopped_at
        elif kind == "start" and stopped_at is not None:
            if t > stopped_at:
                out.append((stopped_at, t))
            stopped_at = None
    return out


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


def _summary(msg: dict[str, Any], label: str, steps: bool, when: Callable[[Any], float | None]) -> DeviceSummary:
    start = when(msg.get("start_time"))
    cad = _opt(msg.get("avg_running_cadence"))
    if cad is None:
        cad = _opt(msg.get("avg_cadence"))
    if cad is not None:
        frac = _opt(msg.get("avg_fractional_cadence"))
        cad = 2.0 * (cad + (frac or 0.0)) if steps else None
    speed = _opt(msg.get("enhanced_avg_speed"))
    return DeviceSummary(
        label=label,
        start=start,
        duration_s=_opt(msg.get("total_timer_time")),
        distance_m=_opt(msg.get("total_distance")),
        avg_hr_bpm=_opt(msg.get("avg_heart_rate")),
        max_hr_bpm=_opt(msg.get("max_heart_rate")),
        avg_cadence_spm=cad,
        avg_speed_m_s=speed if speed is not None else _opt(msg.get("avg_speed")),
        ascent_m=_opt(msg.get("total_ascent")),
        descent_m=_opt(msg.get("total_descent")),
    )

"""The post-run report's numbers: one :class:`RunReport` from a recorded file (through the offline pipeline, the
same numbers as ``crampwatch analyze --json``), from a stored session, or from the live view's session.

Plain Python, no plotting (:mod:`monitor.coach.report_html` draws it)::

    >>> statuses = [{"t": 100.0 + 5 * i, "elapsed_s": 5.0 * i, "distance_m": 15.0 * i, "hr": 140.0 + i,
    ...              "pace": 333.0, "cadence": 170.0, "risk": 0.1, "level": "low", "trimp": 0.5 * i,
    ...              "hr_zone_s": [0, 5.0 * i, 0, 0, 0]} for i in range(61)]
    >>> rep = from_statuses(statuses, [], squad="club", athlete="ann", source="test")
    >>> n = rep.numbers()
    >>> n["duration_s"], n["distance_m"], n["max_hr_bpm"], n["trimp"], n["hr_zone_pct"][1]
    (300.0, 900.0, 200.0, 30.0, 100.0)
    >>> after = response(statuses, {"t": 200.0}, window_s=60)
    >>> after["pace_before"], after["pace_after"], after["cadence_after"]
    (333.0, 333.0, 170.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from monitor.coach.words import LEVELS, hr_max_of, level_seconds, num, target_pace

#: Seconds after an alert over which the report shows what the runner did (and the same span before it).
RESPONSE_S: Final = 300.0
#: Pace above this (s/km) is "not running" (contract).
STOPPED_PACE: Final = 1200.0
#: The contract's ``analyze --json`` summary keys.
SUMMARY_KEYS: Final = ("duration_s", "distance_m", "avg_hr_bpm", "max_hr_bpm", "avg_cadence_spm", "avg_pace_s_per_km")
#: Seconds of event time per status (the monitor's tick).
TICK_S: Final = 5.0


@dataclass(slots=True)
class RunReport:
    """Everything the report shows. ``summary`` has the contract's ``analyze --json`` summary keys,
    ``indicators`` the ``analyze --json`` indicators (``final``, ``peak_risk``, ``level_s``, ...)."""

    squad: str
    athlete: str
    source: str
    statuses: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    summary: dict[str, Any]
    indicators: dict[str, Any]
    name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: What ``avg_pace_s_per_km`` is: a file's recorded time over distance (as watches do), or a session's
    #: moving time over distance (its duration is wall clock, pauses and stops included).
    pace_label: str = "Average pace"
    #: What ``max_hr_bpm`` is: the highest recorded second (a file's, a session's samples), or — a live view's
    #: session without a session store — the highest of its 5-s statuses, which can miss a short peak.
    max_hr_label: str = "Max HR"

    @property
    def final(self) -> dict[str, Any]:
        final = self.indicators.get("final")
        return final if isinstance(final, dict) else {}

    @property
    def start(self) -> float | None:
        """The start of the first session (a file with more than 10 min without data is several: its charts and
        alert times run from the file's start, not the last session's, which hid the sessions before it)."""
        start = None
        if self.statuses:
            first = self.statuses[0]
            start = num(first.get("session_start"))
            if start is None and (t := num(first.get("t"))) is not None:
                start = t - (num(first.get("elapsed_s")) or 0.0)
        return start if start is not None else num(self.final.get("session_start"))

    @property
    def hr_max(self) -> float | None:
        return hr_max_of(self.final)

    @property
    def target_pace(self) -> float | None:
        return target_pace(self.final)

    def numbers(self) -> dict[str, Any]:
        """The summary numbers the report prints (also embedded in the HTML as JSON)."""
        final, s = self.final, self.summary
        coach = self.indicators.get("coach")
        coach = coach if isinstance(coach, dict) else {}
        # a file with more than 10 min of silence is several sessions: TRIMP and zones of the whole file
        zones = coach.get("hr_zone_s", final.get("hr_zone_s"))
        zone_total = sum(z for z in zones if num(z) is not None) if isinstance(zones, list) else 0.0
        ef = num(coach.get("efficiency_factor"))
        if ef is None:
            ef = efficiency_factor(s)
        return {
            **{k: s.get(k) for k in SUMMARY_KEYS},
            "trimp": coach.get("trimp", final.get("trimp")),
            "decoupling_pct": final.get("decoupling_pct"),
            "efficiency_factor": ef,
            "hr_zone_pct": (
                [round(100.0 * z / zone_total, 1) for z in zones] if isinstance(zones, list) and zone_total else None
            ),
            "peak_risk": self.indicators.get("peak_risk"),
            "peak_level": self.indicators.get("peak_level"),
            "alerts": len(self.alerts),
        }


def efficiency_factor(summary: Mapping[str, Any]) -> float | None:
    """Whole-run efficiency factor (Friel): average speed (m/min) per beat, from the average pace and HR
    (``analyze --json``'s ``indicators.coach.efficiency_factor`` uses the same formula).

    >>> efficiency_factor({"avg_pace_s_per_km": 333.3333, "avg_hr_bpm": 150.0})
    1.2
    """
    pace, hr = num(summary.get("avg_pace_s_per_km")), num(summary.get("avg_hr_bpm"))
    if pace is None or hr is None or pace <= 0 or hr <= 0:
        return None
    return round(60_000.0 / pace / hr, 3)


def from_analysis(doc: Mapping[str, Any], statuses: list[dict[str, Any]], *, source: str) -> RunReport:
    """From an ``analyze --json`` document (:func:`monitor.commands.analyze.document`) and the statuses of
    the same run: the report's numbers are the document's."""
    final = doc["indicators"].get("final") or {}
    return RunReport(
        squad=str(final.get("squad", "offline")),
        athlete=str(final.get("athlete", "athlete")),
        source=source,
        statuses=statuses,
        alerts=[dict(a) for a in doc["alerts"]],
        summary=dict(doc["summary"]),
        indicators=dict(doc["indicators"]),
        name=final.get("name"),
    )


def from_statuses(
    statuses: Sequence[Mapping[str, Any]], alerts: Sequence[Mapping[str, Any]], *, squad: str, athlete: str,
    source: str, samples: Sequence[tuple[str, float, float]] | None = None,
) -> RunReport:  # fmt: skip
    """From a session's statuses (stored or live, one per 5 s): the summary is computed from them; with the
    session's ``samples`` (``SessionStore.samples``: a stored session's, or a live one's so far) its max HR is
    theirs (:func:`max_hr`); without them it is the highest status HR, and its label says so."""
    rows = [dict(s) for s in statuses if num(s.get("t")) is not None]
    rows.sort(key=lambda s: s["t"])
    unique = [s for i, s in enumerate(rows) if i == 0 or s["t"] > rows[i - 1]["t"]]  # re-published idle statuses
    summary = summary_of(unique)
    top = max_hr(samples) if samples is not None else None
    if top is not None:
        summary["max_hr_bpm"] = max(top, summary["max_hr_bpm"] or top)
    return RunReport(
        squad=squad,
        athlete=athlete,
        source=source,
        statuses=unique,
        alerts=sorted((dict(a) for a in alerts), key=lambda a: num(a.get("t")) or 0.0),
        summary=summary,
        indicators=indicators_of(unique),
        name=next((s.get("name") for s in reversed(unique) if s.get("name")), None),
        pace_label="Moving pace",
        max_hr_label="Max HR" if top is not None or summary["max_hr_bpm"] is None else "Max HR (highest 5-s status)",
    )


def max_hr(samples: Sequence[tuple[str, float, float]]) -> float | None:
    """The highest heart rate of a session's samples ``(stream, t, value)`` within the contract's plausible range
    (``monitor.core.wire.RANGES``; outside it a value is no measurement), as a file's summary takes its highest recorded
    value. A status carries the HR of its instant, one in 5 s: a stored session's max HR read 176 where its
    file's was 178.

    >>> max_hr([("hr", 1.0, 150.0), ("hr", 2.0, 178.0), ("hr", 3.0, 255.0), ("cadence", 4.0, 180.0)])
    178.0
    >>> max_hr([("pace", 1.0, 300.0)]) is None
    True
    """
    from monitor.core.wire import RANGES

    lo, hi = RANGES["hr"]
    values = [float(v) for stream, _, v in samples if stream == "hr" and lo <= v <= hi]
    return max(values) if values else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def summary_of(statuses: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The contract summary keys from statuses: duration and distance of the last one; averages over the
    statuses (each stands for 5 s), cadence over those with a cadence (standing still has none: a polar-m400 session
    with 13 min stopped averaged 89 spm, its file 119); pace from distance over moving time (pace up to 20 min/km).

    >>> row = {"t": 0.0, "elapsed_s": 10.0, "distance_m": 30.0, "hr": 150.0}
    >>> s = summary_of([{**row, "cadence": 170.0, "pace": 333.3}, {**row, "cadence": 0.0, "pace": 3600.0}])
    >>> s["avg_cadence_spm"], s["avg_pace_s_per_km"]
    (170.0, 166.667)
    """
    if not statuses:
        return dict.fromkeys(SUMMARY_KEYS)
    last = statuses[-1]
    hr = [v for s in statuses if (v := num(s.get("hr"))) is not None]
    cadence = [v for s in statuses if (v := num(s.get("cadence"))) is not None and v > 0]
    running = [v for s in statuses if (v := num(s.get("pace"))) is not None and v <= STOPPED_PACE]
    distance = num(last.get("distance_m"))
    moving_s = TICK_S * len(running)
    return {
        "duration_s": num(last.get("elapsed_s")),
        "distance_m": None if distance is None else round(distance, 3),
        "avg_hr_bpm": _mean(hr),
        "max_hr_bpm": max(hr) if hr else None,
        "avg_cadence_spm": _mean(cadence),
        "avg_pace_s_per_km": round(1000.0 * moving_s / distance, 3) if distance and moving_s else None,
    }


def indicators_of(statuses: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``analyze --json``'s indicators from statuses (same definitions as ``analyze.indicators``)."""
    level_s = level_seconds(statuses, TICK_S)
    peak: Mapping[str, Any] | None = None
    for s in statuses:
        risk = num(s.get("risk"))
        if risk is not None and (peak is None or risk > peak["risk"]):
            peak = s
    levels = [str(s["level"]) for s in statuses if s.get("level") in LEVELS]
    return {
        "final": dict(statuses[-1]) if statuses else None,
        "ticks": len(statuses),
        "peak_risk": None if peak is None else round(float(peak["risk"]), 3),
        "peak_risk_t": None if peak is None else peak.get("t"),
        "peak_level": max(levels, key=LEVELS.index) if levels else None,
        "level_s": level_s,
    }


def response(
    statuses: Sequence[Mapping[str, Any]], alert: Mapping[str, Any], window_s: float = RESPONSE_S
) -> dict[str, Any]:
    """What the runner did after an alert: mean pace (running only) and cadence over ``window_s`` before and
    after it, and the seconds stopped or walking after it (:func:`not_running`)."""
    t = num(alert.get("t"))
    out: dict[str, Any] = dict.fromkeys(("pace_before", "pace_after", "cadence_before", "cadence_after"))
    out["stopped_s"] = out["after_s"] = 0.0
    if t is None:
        return out
    before = [s for s in statuses if t - window_s <= (num(s.get("t")) or -math.inf) < t]
    after = [s for s in statuses if t < (num(s.get("t")) or -math.inf) <= t + window_s]
    for name, group in (("before", before), ("after", after)):
        paces = [v for s in group if (v := num(s.get("pace"))) is not None and v <= STOPPED_PACE]
        cadences = [v for s in group if (v := num(s.get("cadence"))) is not None and v > 0]
        out[f"pace_{name}"] = _mean(paces)
        out[f"cadence_{name}"] = _mean(cadences)
    out["stopped_s"] = TICK_S * sum(1 for s in after if not_running(s))
    out["after_s"] = TICK_S * len(after)
    return out


def not_running(status: Mapping[str, Any]) -> bool:
    """Stopped or walking: the monitor's gait says so, or the pace is above 20 min/km, or (a live view's history
    point, which has no gait) there is no pace and the cadence is 0. The monitor's pace is null, never above 20
    min/km, for a runner standing still: a runner who stopped for 5 min after "stop and stretch" read "pace 5:00 →
    5:00 /km" and no time stopped.

    >>> not_running({"pace": None, "gait_state": "stopped"}), not_running({"pace": 700.0, "gait_state": "walking"})
    (True, True)
    >>> not_running({"pace": 1500.0}), not_running({"pace": None, "cadence": 0.0}), not_running({"pace": 300.0})
    (True, True, False)
    """
    gait = status.get("gait_state")
    if gait in ("stopped", "walking"):
        return True
    pace = num(status.get("pace"))
    if pace is not None:
        return pace > STOPPED_PACE
    return gait is None and num(status.get("cadence")) == 0.0

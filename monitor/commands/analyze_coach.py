"""The post-run indicators a coach expects, from the pipeline's statuses and the run summary (``analyze``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from monitor.commands.common import plural

if TYPE_CHECKING:
    from processors.grade_adjusted_pace import GradeAdjusted
    from simulators.readers import Recording

GAITS = ("running", "walking", "stopped", "unknown")


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(float(x)):
        return None
    return float(x)


def _pace(x: Any) -> str:
    v = _num(x)
    if v is None:
        return "-"
    m, sec = divmod(round(v), 60)
    return f"{m}:{sec:02d} /km"


def run_efficiency_factor(summary: Mapping[str, Any]) -> float | None:
    """Whole-run efficiency factor (Friel): average speed (m/min) / average HR, from the summary's average pace
    and HR (moving time).

    >>> run_efficiency_factor({"avg_pace_s_per_km": 333.3333, "avg_hr_bpm": 150.0})
    1.2
    """
    pace, hr = _num(summary.get("avg_pace_s_per_km")), _num(summary.get("avg_hr_bpm"))
    if pace is None or hr is None or pace <= 0 or hr <= 0:
        return None
    return round(60_000.0 / pace / hr, 3)


def recording_grade(rec: Recording) -> GradeAdjusted | None:
    """Grade-adjusted pace of a recording from the altitude its file keeps beside the frames (None without
    altitude), over the same recorded time as the run summary (its held intervals, device pauses left out)."""
    if not rec.has_altitude:
        return None
    from processors.grade_adjusted_pace import grade_adjusted_pace
    from simulators.readers.summary import held_intervals, paused_intervals

    held = held_intervals(rec.t, rec.speed) & ~paused_intervals(rec.t, rec.pauses)
    return grade_adjusted_pace(rec.t, rec.speed, rec.altitude, rec.distance, held)


def grade_keys(grade: GradeAdjusted | None) -> dict[str, float | None]:
    """``grade_adjusted_pace`` and ``moving_pace_s_per_km`` (s/km, the same moving seconds), ``climb_m`` and
    ``descent_m``; all None without altitude."""
    if grade is None:
        return dict.fromkeys(("grade_adjusted_pace", "moving_pace_s_per_km", "climb_m", "descent_m"))
    return {
        "grade_adjusted_pace": None if grade.gap_s_per_km is None else round(grade.gap_s_per_km, 1),
        "moving_pace_s_per_km": None if grade.moving_pace_s_per_km is None else round(grade.moving_pace_s_per_km, 1),
        "climb_m": round(grade.climb_m, 1),
        "descent_m": round(grade.descent_m, 1),
    }


def coach_summary(
    statuses: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    tick_s: float,
    grade: GradeAdjusted | None = None,
) -> dict[str, Any]:
    """``efficiency_factor`` (whole run), ``decoupling_friel_pct`` (first vs second half of the steady running),
    ``hr_recoveries_bpm`` (HR drop in the minute after each hard effort, in order), ``hr_max_bpm`` (in use at the
    end: measured or Tanaka, raised on observed HR), ``hr_zone_s`` (time in the %HRmax zones), ``gait_s`` (time
    running / walking / stopped), ``red_flags`` (the medical red flags seen, in order) and, from the file's
    altitude (:func:`recording_grade`; None without it: the contract's streams carry no altitude),
    ``grade_adjusted_pace``, ``moving_pace_s_per_km``, ``climb_m`` and ``descent_m`` (:func:`grade_keys`)."""
    final = statuses[-1] if statuses else {}
    ends = session_ends(statuses)
    recoveries: list[float] = []
    flags: list[str] = []
    gait_s = dict.fromkeys(GAITS, 0.0)
    last_rec: float | None = None
    last_flag: str | None = None
    for s in statuses:
        rec = _num(s.get("hr_recovery_bpm"))
        if rec is not None and rec != last_rec:
            recoveries.append(rec)
        last_rec = rec
        flag = s.get("red_flag")
        if isinstance(flag, str) and flag != last_flag:
            flags.append(flag)
        last_flag = flag if isinstance(flag, str) else None
        gait = s.get("gait_state")
        if s.get("signal", "ok") == "ok":
            gait_s[gait if gait in gait_s else "unknown"] += tick_s
    return {
        "efficiency_factor": run_efficiency_factor(summary),
        "decoupling_friel_pct": _num(final.get("decoupling_friel_pct")),
        "hr_recoveries_bpm": recoveries,
        "hr_max_bpm": _num(final.get("hr_max_bpm")),
        "hr_zone_s": _sum_zones(ends),
        "trimp": _sum_of(ends, "trimp"),
        "sessions": len(ends),
        "gait_s": gait_s,
        "red_flags": flags,
        **grade_keys(grade),
    }


def session_ends(statuses: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The last status of each session in ``statuses``: a file with more than ``session_timeout_s`` (10 min) of
    silence in it is two sessions to the pipeline, as it would be to the live monitor.

    >>> [s["t"] for s in session_ends([{"t": 1, "session_start": 0}, {"t": 2, "session_start": 0},
    ...                                {"t": 900, "session_start": 900}])]
    [2, 900]
    """
    ends: list[Mapping[str, Any]] = []
    for s in statuses:
        if ends and ends[-1].get("session_start") == s.get("session_start"):
            ends[-1] = s
        else:
            ends.append(s)
    return ends


def _sum_of(ends: Sequence[Mapping[str, Any]], key: str) -> float | None:
    """A session total (TRIMP) over the sessions: each session's last value, summed; None when none has one."""
    values = [v for s in ends if (v := _num(s.get(key))) is not None]
    return round(sum(values), 3) if values else None  # as analyze --json rounds


def _sum_zones(ends: Sequence[Mapping[str, Any]]) -> list[float] | None:
    """Seconds per HR zone over the sessions (each session's last ``hr_zone_s``, summed zone by zone)."""
    zones = [z for s in ends if isinstance(z := s.get("hr_zone_s"), list) and len(z) == 5]
    if not zones:
        return None
    return [round(sum(float(z[i]) for z in zones), 3) for i in range(5)]


def render_recoveries(falls: Sequence[float]) -> str:
    """The HR falls in the minute after each hard effort, as words: a negative fall — HR *rose* after the effort
    (a climb walked, a pace drop-out: the work went on) — is no recovery, and is not printed as one.

    >>> render_recoveries([31.0, -8.0, 24.0])
    '31, 24 bpm (HR fall within 60 s); no recovery after 1 effort (HR rose 8 bpm within 60 s)'
    >>> render_recoveries([])
    '-'
    """
    rounded = [round(r) for r in falls]
    fell, rose = [r for r in rounded if r >= 0], [-r for r in rounded if r < 0]
    parts = [", ".join(map(str, fell)) + " bpm (HR fall within 60 s)"] if fell else []
    if rose:
        efforts = plural(len(rose), "effort")
        parts.append(f"no recovery after {efforts} (HR rose {', '.join(map(str, rose))} bpm within 60 s)")
    return "; ".join(parts) or "-"


def render_coach(coach: Mapping[str, Any]) -> list[str]:
    """The table lines of :func:`coach_summary`."""

    def fmt(x: Any, unit: str = "", digits: int = 2) -> str:
        v = _num(x)
        return "-" if v is None else f"{v:.{digits}f}{unit}"

    zones = coach.get("hr_zone_s") or []
    multi = (coach.get("sessions") or 1) > 1
    dec = _num(coach["decoupling_friel_pct"])
    lines = [
        "coach indicators",
        f"  {'efficiency factor':<20}{fmt(coach['efficiency_factor'], ' m/min per bpm')}",
        f"  {'decoupling (Friel)':<20}" + ("- (too little steady running)" if dec is None else fmt(dec, " %", 1)),
        f"  {'HR recoveries':<20}{render_recoveries(coach['hr_recoveries_bpm'])}",
        f"  {'HRmax in use':<20}{fmt(coach['hr_max_bpm'], ' bpm', 0)}",
        f"  {'time in zones 1-5':<20}" + (" / ".join(f"{z / 60:.0f}" for z in zones) + " min" if zones else "-"),
        *([f"  {'TRIMP':<20}{fmt(coach.get('trimp'))} (all {coach['sessions']} sessions)"] if multi else []),
        f"  {'gait':<20}" + ", ".join(f"{k} {v / 60:.0f} min" for k, v in coach["gait_s"].items() if v),
    ]
    if coach.get("grade_adjusted_pace") is not None:
        lines.append(
            f"  {'grade-adjusted pace':<20}{_pace(coach['grade_adjusted_pace'])} (moving pace "
            f"{_pace(coach['moving_pace_s_per_km'])}; climb {fmt(coach['climb_m'], ' m', 0)}, "
            f"descent {fmt(coach['descent_m'], ' m', 0)})"
        )
    else:
        lines.append(f"  {'grade-adjusted pace':<20}- (no altitude in the file)")
    if coach["red_flags"]:
        lines.append(f"  {'RED FLAGS':<20}{', '.join(coach['red_flags'])}")
    return lines

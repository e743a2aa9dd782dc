"""``crampwatch analyze FILE [--profile FILE] [--json]``: a recorded run (FIT, TCX, GPX, CSV) through the same
pipeline as the live service, offline.

``--json`` prints ``{"summary": {...}, "indicators": {...}, "alerts": [...], "device": {...} | null}``:

- ``summary``: the contract keys ``duration_s, distance_m, avg_hr_bpm, max_hr_bpm, avg_cadence_spm,
  avg_pace_s_per_km`` (plus ``avg_cadence_nonzero_spm``), time-weighted as documented in
  :mod:`simulators.readers.summary` and docs/realdata.md;
- ``indicators``: ``final`` (the last status the pipeline emitted, contract status keys and extras), ``ticks``
  (statuses emitted, one per 5 s of event time), ``peak_risk``, ``peak_risk_t``, ``peak_level`` and
  ``level_s`` (the recorded time, ``summary.duration_s``, by level: each recorded second goes to the level of the
  status that judged it, the first at or after it, and the seconds after the last status to that one; pauses,
  when the watch recorded nothing, count for no level; they add up to ``duration_s``);
  ``coach`` (addition): the post-run indicators
  of :func:`monitor.commands.analyze_coach.coach_summary` — whole-run efficiency factor, Friel decoupling (first
  vs second half of the steady running), HR recoveries after hard efforts, HRmax in use, time in %HRmax zones,
  time running / walking / stopped, red flags, ``sessions`` (a file with more than 10 min without data is several,
  as to the live monitor; ``trimp`` and ``hr_zone_s`` here are summed over them, ``final`` is the last one's), and
  from the file's altitude (a side series beside the frames, not a contract stream) ``grade_adjusted_pace``
  (s/km, Minetti et al. 2002), ``moving_pace_s_per_km`` (the same moving seconds), ``climb_m`` and ``descent_m``
  — all null when the file has no altitude;
- ``alerts``: every alert, as published on the ``alert`` topic;
- ``device`` (addition): the watch's own session summary when the file has one, for comparison (with
  ``ascent_m``/``descent_m`` where the FIT session has them);
- ``profile`` (addition): the profile used and its ``source``: ``given`` (``--profile``), ``file`` (the FIT
  file's own ``user_profile``: HRmax, resting HR, sex, weight, age, height) or ``defaults``;
- ``reader`` (addition): what the reader could not use, counted by reason (``skipped``), and the pauses the
  device declared (timer stopped; ``pauses``, ``paused_s``), which count for nothing in the summary.

Without ``--json`` the same as a readable table.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.coach.words import level_seconds
from monitor.commands._plan import add_plan_arguments, plan_of
from monitor.commands.common import plural
from monitor.core.profiles import read_json_or_toml
from monitor.core.topics import to_id
from monitor.core.wire import ID_RE, profile_from_mapping, unknown_profile_field
from monitor.errors import InputFileError, RejectedMessage, UsageError
from processors.indicators import LEVELS
from processors.profile import Profile, SessionPlan

if TYPE_CHECKING:  # the pipeline (SciPy) and readers load only when a command runs: fast --help / usage errors
    from monitor.core.pipeline import OfflineResult
    from simulators.frame import Frame
    from simulators.readers import Recording

DEFAULT_SQUAD = "offline"
_ROUND = 3


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "analyze",
        help="run a recorded run (FIT, TCX, GPX, CSV) through the pipeline offline",
        description="Read a recorded run and run it through the same pipeline as the live monitor, without a "
        "broker. Prints the run summary, the indicators and the alerts the monitor would have sent.",
    )
    p.add_argument("file", metavar="FILE", help="recorded run: .fit, .tcx, .gpx or .csv (also .gz)")
    p.add_argument("--profile", metavar="FILE", help="athlete profile, TOML or JSON (contract profile fields)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--squad", default=DEFAULT_SQUAD, help=f"squad id used in statuses and alert ids ({DEFAULT_SQUAD})")
    p.add_argument("--athlete", help="athlete id (default: from the file name)")
    add_plan_arguments(p)


def run(args: argparse.Namespace) -> int:
    squad = check_id("--squad", args.squad)
    athlete = check_id("--athlete", args.athlete) if args.athlete else athlete_id(args.file)
    profile = load_profile(args.profile) if args.profile else None
    plan = plan_of(args)
    from simulators.readers import read_recording

    rec = read_recording(args.file)
    report = analyze(rec, squad=squad, athlete=athlete, profile=profile, plan=plan)
    if args.json:
        print(json.dumps(report, indent=2, allow_nan=False))
    else:
        print(render(report, rec))
    return 0


def analyze(
    rec: Recording, *, squad: str, athlete: str, profile: Profile | None, plan: SessionPlan | None = None
) -> dict[str, Any]:
    """The ``--json`` document for one recording. Without a ``profile``, the file's own description of the
    athlete (a FIT ``user_profile``: HRmax, resting HR, sex, weight, ...) is used, else the defaults. ``plan``:
    today's plan (optional), as a session start would carry it."""
    source = "given"
    if profile is None:
        profile, source = file_profile(rec)
    from monitor.core.pipeline import run_offline

    result = run_offline(usable_frames(rec), squad=squad, athlete=athlete, profile=profile, plan=plan)
    return document(rec, result, profile, source)


def usable_frames(rec: Recording) -> list[Frame]:
    """The recording's contract frames; none at all (a strap that never connected, exported as 0 bpm; every
    value out of range) is unreadable input, as ``replay`` finds nothing to publish — not an empty analysis."""
    frames = rec.frames()
    if not frames:
        raise InputFileError(
            f"{rec.source}: no usable samples (no heart rate, pace, cadence or temperature in the contract's ranges)"
        )
    return frames


def document(rec: Recording, result: OfflineResult, profile: Profile, source: str) -> dict[str, Any]:
    """The ``--json`` document from a recording and its offline pipeline run with ``profile`` (from
    ``source``); ``crampwatch report`` uses the same, so its numbers equal ``analyze --json``."""
    from monitor.commands.analyze_coach import coach_summary, recording_grade
    from monitor.core.pipeline import PipelineConfig
    from simulators.readers import summarize

    summary = {k: _round(v) for k, v in summarize(rec).to_dict().items()}
    found = indicators(result)
    found["level_s"] = recorded_level_seconds(result.statuses, rec)
    found["coach"] = coach_summary(result.statuses, summary, float(PipelineConfig().tick_s), recording_grade(rec))
    return {
        "profile": {"source": source, **{k: v for k, v in asdict(profile).items() if v is not None}},
        "reader": {
            "skipped": dict(rec.skipped),
            "pauses": len(rec.pauses),
            "paused_s": _paused_s(rec),
            "sport": rec.sport,
        },
        "summary": summary,
        "indicators": found,
        "alerts": [a.to_dict() for a in result.alerts],  # as the monitor sends them (not rounded again)
        "device": None if rec.device is None else {k: _round(v) for k, v in rec.device.to_dict().items()},
    }


def indicators(result: OfflineResult, tick_s: float | None = None) -> dict[str, Any]:
    """Key indicators over a run from the pipeline's statuses (same function for ``analyze`` and tests that
    compare a replay through a broker with the file)."""
    from monitor.core.pipeline import PipelineConfig

    tick = float(PipelineConfig().tick_s if tick_s is None else tick_s)
    statuses = result.statuses
    level_s = level_seconds(statuses, tick)
    peak: dict[str, Any] | None = None
    for status in statuses:
        risk = status.get("risk")
        if isinstance(risk, int | float) and (peak is None or risk > peak["risk"]):
            peak = status
    levels = [s.get("level") for s in statuses if s.get("level") in LEVELS]
    return {
        "final": _clean(statuses[-1]) if statuses else None,
        "ticks": len(statuses),
        "peak_risk": None if peak is None else _round(peak["risk"]),
        "peak_risk_t": None if peak is None else peak.get("t"),
        "peak_level": max(levels, key=LEVELS.index) if levels else None,
        "level_s": level_s,
        "late_samples": result.late,
    }


def recorded_level_seconds(statuses: Sequence[Mapping[str, Any]], rec: Recording) -> dict[str, float]:
    """Seconds at each level of a recording: its recorded time (``summary.duration_s``, pauses left out), each
    second to the level of the status that judged it — the first status at or after it, and after the last status
    (up to the end of the file) the last one. They add up to the duration: counting ticks of statuses with data
    flowing gave 3,510 s for the Polar's 3,505-s run and 4,900 s for the GPS watch's 4,928 s (audit7)."""
    import numpy as np

    from simulators.readers.summary import recorded_until

    out: dict[str, float] = dict.fromkeys(LEVELS, 0.0)
    if not statuses:
        return out
    until = recorded_until(rec, np.array([float(s["t"]) for s in statuses[:-1]]))
    bounds = [0.0, *until.tolist(), float(recorded_until(rec, np.array([math.inf]))[0])]
    for status, begin, end in zip(statuses, bounds, bounds[1:], strict=False):
        if status.get("level") in out:
            out[str(status["level"])] += end - begin
    return {level: _round(seconds) for level, seconds in out.items()}


def file_profile(rec: Recording) -> tuple[Profile, str]:
    """The athlete as the file describes them (``"file"``), or the documented defaults (``"defaults"``)."""
    if not rec.athlete:
        return Profile(), "defaults"
    profile, _invalid = profile_from_mapping(rec.athlete)  # the reader keeps plausible values only
    return profile, "file"


def sport_note(rec: Recording) -> str | None:
    """A line for a file whose sport is not running (a ride analysed as a run read cadence in rpm as steps and
    advised "shorten your stride", without a word; audit6), else None."""
    if rec.sport is None or "run" in rec.sport.lower() or rec.sport.lower() == "generic":  # FIT: unspecified
        return None
    return f"sport: {rec.sport} (crampwatch models running: its indicators and advice may not apply)"


def _paused_s(rec: Recording) -> float:
    return round(sum(b - a for a, b in rec.pauses), 3)


# ---- profile files ------------------------------------------------------------------------------------------


def load_profile(path: str) -> Profile:
    """One athlete's profile from a TOML or JSON file (contract profile fields at the top level, or in a
    ``profile`` table). Unknown or invalid fields are errors here (a typo should not pass silently)."""
    data = read_json_or_toml(path, "profile file")
    if isinstance(data, dict) and isinstance(data.get("profile"), dict) and len(data) == 1:
        data = data["profile"]
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: a profile file holds one object of profile fields")
    unknown = unknown_profile_field(data)
    if unknown:
        raise InputFileError(f"{path}: {unknown}")
    try:
        profile, bad = profile_from_mapping(data)
    except RejectedMessage as exc:
        raise InputFileError(f"{path}: {exc.reason}") from exc
    if bad:
        raise InputFileError(f"{path}: {bad[0]} (see docs/profiles.md for ranges)")
    return profile


# ---- ids ----------------------------------------------------------------------------------------------------


def check_id(flag: str, value: str) -> str:
    if not ID_RE.match(value):
        raise UsageError(f"{flag} {value[:70]!r}: 1-64 characters from [A-Za-z0-9_-]")
    return value


def athlete_id(path: str) -> str:
    """An athlete id from a file name: its stem as :func:`monitor.core.topics.to_id` makes an id of a name (the
    gateway bridge's rule: accents taken off, anything else outside ``[A-Za-z0-9_-]`` becomes ``_``); "athlete"
    when nothing of it is usable.

    >>> athlete_id("runs/Ann's run 2020.fit.gz"), athlete_id("....tcx"), athlete_id("Zoë Ünïcode run.fit")
    ('Ann_s_run_2020', 'athlete', 'Zoe_Unicode_run')
    """
    name = Path(path).name
    for suffix in (".gz", ".fit", ".tcx", ".gpx", ".csv", ".txt", ".tsv"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return to_id(name) or "athlete"


# ---- output -------------------------------------------------------------------------------------------------


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, _ROUND) if math.isfinite(value) else None
    return value


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf → None, floats rounded, containers recursed."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return _round(value)


def _fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _pace(value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    m, s = divmod(round(value), 60)
    return f"{m}:{s:02d} /km"


def _updown(up: Any, down: Any) -> str:
    if not isinstance(up, int | float) or not isinstance(down, int | float):
        return "-"
    return f"{up:.0f}/{down:.0f} m"


#: Indicators that need a spell of steady running (with HR, or cadence) before they have a value (science.md).
_NEEDS_STEADY = frozenset({"fatigue", "decoupling_pct", "cardiac_drift_bpm_h"})
_NEEDS_HR = frozenset({"decoupling_pct", "cardiac_drift_bpm_h"})


def render(report: dict[str, Any], rec: Recording) -> str:
    s = report["summary"]
    d = report["device"] or {}
    lines = [f"{rec.source}  ({rec.format.upper()}{', ' + rec.creator if rec.creator else ''}, {len(rec)} samples)"]
    prof = report["profile"]
    traits = ("sex", "age", "hr_rest", "hr_max", "mass_kg")
    shown = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in prof.items() if k in traits)
    paces = [f"{k} {_pace(prof[k])}" for k in ("training_pace", "race_pace") if isinstance(prof.get(k), int | float)]
    shown = ", ".join(x for x in (shown, *paces) if x)
    lines.append(f"profile: {prof['source']}{': ' + shown if shown else ''}")
    reader = report["reader"]
    note = sport_note(rec)
    if note:
        lines.append(note)
    if reader["pauses"]:
        lines.append(f"pauses (timer stopped): {reader['pauses']}, {reader['paused_s']:.0f} s, not counted")
    for reason, count in reader["skipped"].items():
        lines.append(f"not used: {count} {reason}")
    lines.append("")
    lines.append(f"{'summary':<22}{'ours':>14}{'device':>14}")
    rows = [
        ("duration", _fmt(s["duration_s"], " s", 0), _fmt(d.get("duration_s"), " s", 0)),
        ("distance", _fmt(s["distance_m"], " m"), _fmt(d.get("distance_m"), " m")),
        ("average heart rate", _fmt(s["avg_hr_bpm"], " bpm"), _fmt(d.get("avg_hr_bpm"), " bpm")),
        ("max heart rate", _fmt(s["max_hr_bpm"], " bpm", 0), _fmt(d.get("max_hr_bpm"), " bpm", 0)),
        ("average cadence", _fmt(s["avg_cadence_spm"], " spm"), _fmt(d.get("avg_cadence_spm"), " spm")),
        ("average pace", _pace(s["avg_pace_s_per_km"]), "-"),
    ]
    coach = report["indicators"].get("coach") or {}
    if coach.get("climb_m") is not None or d.get("ascent_m") is not None:
        rows.append(
            (
                "climb / descent",
                _updown(coach.get("climb_m"), coach.get("descent_m")),
                _updown(d.get("ascent_m"), d.get("descent_m")),
            )
        )
    lines += [f"{name:<22}{ours:>14}{dev:>14}" for name, ours, dev in rows]
    ind = report["indicators"]
    final = ind["final"] or {}
    lines.append("")
    lines.append(f"indicators at the end ({plural(ind['ticks'], 'status tick')})")
    sessions = (ind.get("coach") or {}).get("sessions") or 1
    if sessions > 1:
        lines.append(
            f"  {sessions} sessions: the file has more than 10 min without data (the live monitor ends a session"
            " there); these are the last session's, TRIMP and zones below are the whole file's"
        )
    for name, key, unit in (
        ("risk", "risk", ""),
        ("level", "level", ""),
        ("fatigue", "fatigue", ""),
        ("TRIMP", "trimp", ""),
        ("decoupling", "decoupling_pct", " %"),
        ("cardiac drift", "cardiac_drift_bpm_h", " bpm/h"),
        ("sweat loss", "sweat_loss_pct", " % body mass"),
        ("stride", "stride_m", " m"),
        ("signal", "signal", ""),
    ):
        shown = _fmt(final.get(key), unit, 2)
        if shown == "-" and key in _NEEDS_STEADY:
            no_hr = key in _NEEDS_HR and s["avg_hr_bpm"] is None
            shown = "- (no heart rate)" if no_hr else "- (too little steady running)"
        lines.append(f"  {name:<20}{shown}")
    level_s = ", ".join(f"{k} {v:.0f} s" for k, v in ind["level_s"].items() if v)
    lines.append(f"  {'peak risk':<20}{_fmt(ind['peak_risk'], '', 2)} ({ind['peak_level'] or '-'}); {level_s}")
    lines.append("")
    if "coach" in ind:
        from monitor.commands.analyze_coach import render_coach

        lines += [*render_coach(ind["coach"]), ""]
    alerts = report["alerts"]
    lines.append(f"alerts: {len(alerts)}")
    start = rec.start
    for a in alerts:  # h:mm:ss since the start, as everywhere ("41:05" read as 41 h, "337:35" as nothing)
        h, rest = divmod(int(a["t"] - start), 3600)
        lines.append(f"  {h}:{rest // 60:02d}:{rest % 60:02d}  {a['level']:<8} {a['kind']:<17} {a['message']}")
    return "\n".join(lines)

"""What a coach reads on a tile: one rule for the word, the shown risk and the order; reasons in plain words.

The **word** is the monitor's level (the same level the watch acted on), or ``cramp`` while a cramp the
runner had is not acknowledged. The **shown risk** is the risk kept inside the word's band (low 0–24 %,
elevated 25–49 %, high 50–74 %, critical 75–100 %): the monitor's level has hysteresis and only says
critical with evidence, so the raw risk can sit outside its level's band (89 % while high); shown as is, a
higher number would stand next to a lower word. Tiles are ordered by the same two numbers, live sessions
before finished ones::

    >>> display_level("high", cramp=False), display_risk("high", 0.89), display_risk("elevated", 0.21)
    ('high', 0.74, 0.25)
    >>> display_level("high", cramp=True), display_risk("cramp", 0.6)
    ('cramp', 0.6)

The top reason is the largest risk factor that describes the run, never a profile trait ("male", "age")::

    >>> top_reason({"sex": 0.5, "heat": 0.2}), reason_text("heat", {"temp": 30.2})
    ('heat', 'Heat (30 °C)')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from monitor.core.topics import ID_RE

#: Risk levels from least to most worrying (statuses); ``cramp`` is the word shown above them all.
LEVELS: Final = ("low", "elevated", "high", "critical")
WORDS: Final = (*LEVELS, "cramp")
ALERT_LEVELS: Final = ("advice", "warning", "critical")
SESSION_STATES: Final = ("live", "quiet", "finished")
#: Shown risk band of each word (inclusive), the level thresholds of ``processors.level`` (0.25/0.50/0.75).
BANDS: Final[Mapping[str, tuple[float, float]]] = {
    "low": (0.0, 0.24),
    "elevated": (0.25, 0.49),
    "high": (0.5, 0.74),
    "critical": (0.75, 1.0),
    "cramp": (0.0, 1.0),
}
#: Profile traits: they raise the risk but are no reason a coach can act on during a run.
TRAITS: Final = frozenset({"sex", "age", "cramp_history", "recent_injury"})
#: Alert kinds that mean a cramp was seen (the tile says "cramp" until the coach acknowledges).
CRAMP_KINDS: Final = frozenset({"stop_and_stretch"})
#: %HRmax zone bounds (contract: zone 1 below 60 %, then 60–70, 70–80, 80–90, ≥ 90).
HR_ZONE_BOUNDS: Final = (0.6, 0.7, 0.8, 0.9)

#: Plain words for the risk factors (the dashboard's common.js has the same table).
REASON_WORDS: Final[Mapping[str, str]] = {
    "pace_over_training": "Faster than training pace",
    "intensity": "Heart rate high for a long time",
    "duration": "Longer than usual run",
    "heat": "Heat",
    "sweat_loss": "Sweat loss (dehydration)",
    "fatigue": "Tiring stride (cadence falling)",
    "decoupling": "Heart rate drifting from pace",
    "cardiac_drift": "Heart rate creeping up",
    "cardiac": "Heart rate drifting up at the same pace",
    "monotony": "Same effort for a long time",
    "acute_cramp": "Cramp signs now",
    "cramp_history": "Has cramped before",
    "recent_injury": "Recent injury",
    "sex": "Sex (risk trait)",
    "age": "Age (risk trait)",
}


def num(value: Any) -> float | None:
    """A finite number, or None (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def level_rank(level: Any) -> int:
    """0 (low) … 3 (critical), 4 (cramp); -1 for anything else."""
    return WORDS.index(level) if level in WORDS else -1


def display_level(level: Any, *, cramp: bool) -> str:
    """The word on the tile: ``cramp`` while a cramp is unacknowledged, else the monitor's level."""
    if cramp:
        return "cramp"
    return str(level) if level in LEVELS else "low"


def display_risk(word: str, risk: Any) -> float | None:
    """The risk shown beside ``word``: the risk kept inside the word's band (None when unknown)."""
    r = num(risk)
    if r is None:
        return None
    lo, hi = BANDS.get(word, (0.0, 1.0))
    return round(min(hi, max(lo, r)), 4)


#: The smallest factor contribution (log-odds of the risk) a tile names as its main factor (×1.1 the odds).
MIN_REASON: Final = 0.1


def top_reason(factors: Any) -> str | None:
    """The factor with the largest contribution that is not a profile trait (ties: alphabetical), if it reaches
    :data:`MIN_REASON`: a contribution of 0.04 (the first minutes' "longer than usual run") is no reason to name.

    >>> top_reason({"heat": 0.1, "pace_over_training": 0.3}), top_reason({}), top_reason({"age": 0.9})
    ('pace_over_training', None, None)
    >>> top_reason({"duration": 0.04})
    """
    if not isinstance(factors, Mapping):
        return None
    best: tuple[float, str] | None = None
    for name, value in factors.items():
        v = num(value)
        if v is None or v < MIN_REASON or name in TRAITS:
            continue
        if best is None or v > best[0] or (v == best[0] and str(name) < best[1]):
            best = (v, str(name))
    return None if best is None else best[1]


def reason_text(name: str | None, status: Mapping[str, Any] | None = None) -> str:
    """A factor in plain words, with the athlete's number where it helps.

    >>> reason_text("pace_over_training", {"pace_over_training": 1.1})
    '10 % faster than training pace'
    >>> reason_text("new_factor"), reason_text(None)
    ('New factor', '')
    """
    if not name:
        return ""
    status = status or {}
    if name == "pace_over_training" and (ratio := num(status.get("pace_over_training"))) is not None:
        pct = round((ratio - 1.0) * 100)
        return f"{pct} % faster than training pace" if pct > 0 else "Pace near training pace"
    if name == "heat" and (temp := num(status.get("temp"))) is not None:
        return f"Heat ({round(temp)} °C)"
    words = REASON_WORDS.get(name)
    if words is not None:
        return words
    plain = name.replace("_", " ")
    return plain[:1].upper() + plain[1:]


def hr_max_of(status: Mapping[str, Any]) -> float | None:
    """The HRmax the monitor used (``hr_max_bpm``, ``hr_max`` or ``values.hr_max_bpm``), or None."""
    values = status.get("values")
    v = num(status.get("hr_max_bpm"))
    v = num(status.get("hr_max")) if v is None else v
    if v is None and isinstance(values, Mapping):
        v = num(values.get("hr_max_bpm"))
    return v


def hr_zone(status: Mapping[str, Any]) -> tuple[float | None, int | None]:
    """``(hr_pct_max, hr_zone)`` from the status, or computed from ``hr`` and the HRmax when absent.

    >>> hr_zone({"hr": 150, "values": {"hr_max_bpm": 200}})
    (75.0, 3)
    >>> hr_zone({"hr_pct_max": 91.0, "hr_zone": 5}), hr_zone({"hr": None})
    ((91.0, 5), (None, None))
    """
    pct, zone = num(status.get("hr_pct_max")), num(status.get("hr_zone"))
    if pct is None:
        hr, hr_max = num(status.get("hr")), hr_max_of(status)
        if hr is not None and hr_max:
            pct = round(100.0 * hr / hr_max, 1)
    if zone is None and pct is not None:
        zone = 1 + sum(1 for bound in HR_ZONE_BOUNDS if pct >= 100 * bound)
    return pct, None if zone is None else int(zone)


def session_state(status: Mapping[str, Any]) -> str:
    """``live``, ``quiet`` or ``finished``: the monitor's ``session_state`` when it sends one; otherwise
    ``quiet`` while the monitor re-publishes an idle runner's last status, else ``live``.

    >>> session_state({"session_state": "finished"}), session_state({"wall_idle_s": 16.0}), session_state({})
    ('finished', 'quiet', 'live')
    """
    state = status.get("session_state")
    if state in SESSION_STATES:
        return str(state)
    if num(status.get("wall_idle_s")) is not None or status.get("signal") == "lost":
        return "quiet"
    return "live"


def target_pace(status: Mapping[str, Any]) -> float | None:
    """The pace the runner should hold (s/km): today's target when the session has one, else the training
    pace; None when neither is known."""
    values = status.get("values")
    values = values if isinstance(values, Mapping) else {}
    for value in (status.get("target_pace"), values.get("target_pace_s_per_km"),
                  values.get("training_pace_s_per_km")):  # fmt: skip
        v = num(value)
        if v is not None:
            return v
    return None


def sort_key(tile: Mapping[str, Any]) -> tuple[int, int, float, str, str]:
    """Live and quiet sessions before finished ones; then by the word (cramp first), the shown risk, the risk,
    the name. The one rule: no tile shows a higher number beside a lower word above it."""
    word = tile.get("display_level") or tile.get("level")
    risk = num(tile.get("risk"))
    return (
        1 if tile.get("session_state") == "finished" else 0,
        -level_rank(word),
        -(risk if risk is not None else -1.0),
        str(tile.get("name") or tile.get("athlete") or "").lower(),
        str(tile.get("squad", "")),
    )


def level_seconds(statuses: Sequence[Mapping[str, Any]], tick_s: float) -> dict[str, float]:
    """Seconds at each level while data flowed (``signal`` ok): each status stands for the run time since the one
    before it (``elapsed_s``; a new session starts from 0), at most ``tick_s`` — the first status, at the session's
    start second, stands for none, and a session's closing status at its last second for the part of a tick it
    closes (counting ``tick_s`` for each gave 2,835 s of a 2,833-s run).

    >>> level_seconds([{"elapsed_s": 0.0, "level": "low"}, {"elapsed_s": 5.0, "level": "low"},
    ...                {"elapsed_s": 10.0, "level": "high"}, {"elapsed_s": 12.0, "level": "high"},
    ...                {"elapsed_s": 17.0, "level": "low", "signal": "lost"}], 5.0)
    {'low': 5.0, 'elevated': 0.0, 'high': 7.0, 'critical': 0.0}
    """
    out = dict.fromkeys(LEVELS, 0.0)
    prev: float | None = None
    for status in statuses:
        e = status.get("elapsed_s")
        if not isinstance(e, int | float) or isinstance(e, bool):
            span = tick_s
        else:
            span = min(tick_s, max(0.0, e if prev is None or e < prev else e - prev))
            prev = float(e)
        level = status.get("level")
        if level in out and status.get("signal", "ok") == "ok":  # a pause (stale/lost) is no time in a level
            out[str(level)] += span
    return out


def valid_id(value: object) -> bool:
    """True for a contract id: 1–64 characters from ``[A-Za-z0-9_-]``.

    >>> valid_id("club_1"), valid_id("a/b"), valid_id(""), valid_id("x" * 65)
    (True, False, False, False)
    """
    return isinstance(value, str) and ID_RE.match(value) is not None

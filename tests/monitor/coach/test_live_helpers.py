"""Status and alert builders for the live view, HTTP and watch tests (contract shapes; no tests here)."""

from __future__ import annotations

from typing import Any

from alerts.alert import Alert, alert_id

T0 = 1_732_400_000.0
STATUS_KEYS = (
    "t", "squad", "athlete", "elapsed_s", "distance_m", "hr", "pace", "cadence", "temp", "stride_m", "fatigue",
    "pace_over_training", "decoupling_pct", "trimp", "sweat_loss_pct", "monotony", "risk", "level", "factors",
    "signal",
)  # fmt: skip


def status(
    athlete: str,
    i: int = 0,
    *,
    squad: str = "club",
    risk: float = 0.1,
    level: str = "low",
    start: float = T0,
    **extra: Any,
) -> dict[str, Any]:
    """The ``i``-th status (every 5 s) of a session starting at ``start``."""
    t = start + 5 * (i + 1)
    out: dict[str, Any] = {
        "t": t,
        "squad": squad,
        "athlete": athlete,
        "elapsed_s": t - start,
        "distance_m": 16.7 * (t - start),
        "hr": 140.0 + i % 20,
        "pace": 300.0,
        "cadence": 172.0,
        "temp": 24.0,
        "stride_m": 2.33,
        "fatigue": 0.2,
        "pace_over_training": 1.1,
        "decoupling_pct": 2.0,
        "trimp": 10.0,
        "sweat_loss_pct": 0.5,
        "monotony": 0.3,
        "risk": risk,
        "level": level,
        "factors": {"pace_over_training": 1.2, "heat": 0.4},
        "signal": "ok",
        "session_start": start,
        "name": athlete.capitalize(),
        "values": {"cadence_baseline": 172.0},
    }
    out.update(extra)
    assert set(STATUS_KEYS) <= set(out)
    return out


def alert(
    athlete: str,
    t: float,
    *,
    squad: str = "club",
    level: str = "warning",
    kind: str = "ease_pace",
    start: float = T0,
    message: str = "Ease the pace to about 5:30/km (now 5:00/km)",
) -> Alert:
    return Alert(
        id=alert_id(squad, athlete, start, kind, level, t),
        t=t,
        squad=squad,
        athlete=athlete,
        level=level,  # type: ignore[arg-type]
        kind=kind,
        risk=0.6,
        message=message,
        detail="Pace 10 % faster than training pace for 10 min.",
        factors={"pace_over_training": 1.2},
    )

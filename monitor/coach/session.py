"""Per-athlete state of the live view: the current session's bounded history and alerts."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from monitor.coach.words import CRAMP_KINDS, LEVELS, level_rank, num

#: Columns of the per-session history (one value per status; ``None`` where unknown).
HISTORY_FIELDS: Final = ("hr", "pace", "cadence", "stride_m", "temp", "risk", "fatigue", "distance_m")


@dataclass(slots=True)
class SessionHistory:
    """One session of one athlete: bounded column arrays plus its alerts."""

    start: float | None
    points: int
    alert_limit: int
    t: deque[float] = field(init=False)
    columns: dict[str, deque[float | None]] = field(init=False)
    level: deque[int] = field(init=False)
    alerts: deque[dict[str, Any]] = field(init=False)
    alerts_total: int = 0

    def __post_init__(self) -> None:
        self.t = deque(maxlen=self.points)
        self.columns = {name: deque(maxlen=self.points) for name in HISTORY_FIELDS}
        self.level = deque(maxlen=self.points)
        self.alerts = deque(maxlen=self.alert_limit)

    def add(self, status: Mapping[str, Any]) -> bool:
        t = num(status.get("t"))
        if t is None or (self.t and t <= self.t[-1]):
            return False  # a re-published (stale/lost) snapshot of the same instant: not a new point
        self.t.append(t)
        for name, column in self.columns.items():
            column.append(num(status.get(name)))
        self.level.append(level_rank(status.get("level")))
        return True

    def open_alerts(self) -> list[dict[str, Any]]:
        return [a for a in self.alerts if not a["acked"]]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"session_start": self.start, "points": len(self.t), "t": list(self.t)}
        for name, column in self.columns.items():
            out[name] = list(column)
        out["level"] = [LEVELS[i] if 0 <= i < len(LEVELS) else None for i in self.level]
        return out


@dataclass(slots=True)
class AthleteLive:
    squad: str
    athlete: str
    status: dict[str, Any] | None = None
    session: SessionHistory | None = None
    last_alert: dict[str, Any] | None = None
    received: float = 0.0  # wall clock (monotonic) of the last status

    def cramp(self) -> bool:
        """Cramp signs now, or a cramp alert of this session not yet acknowledged."""
        if self.status is not None and self.status.get("acute_cramp") is True:
            return True
        return self.session is not None and any(
            a["kind"] in CRAMP_KINDS and not a["acked"] for a in self.session.alerts
        )

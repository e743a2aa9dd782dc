"""The alert as it leaves crampwatch (contract: ``{squad}/{athlete}/alert``)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

AlertLevel = Literal["advice", "warning", "critical"]
AlertKind = Literal["shorten_stride", "change_form", "ease_pace", "hydrate", "stop_and_stretch", "medical"]
ALERT_LEVELS: tuple[AlertLevel, ...] = ("advice", "warning", "critical")
MAX_MESSAGE = 80


def alert_id(squad: str, athlete: str, session_start: float, kind: str, level: str, t: float) -> str:
    """Deterministic id: the same input stream gives the same ids, so replays and redeliveries de-duplicate.

    >>> a = alert_id("a", "b", 0.0, "hydrate", "advice", 600.0)
    >>> a == alert_id("a", "b", 0.0, "hydrate", "advice", 600)
    True
    >>> len(alert_id("a", "b", 0.0, "hydrate", "advice", 600.0))
    20
    """
    key = f"{squad}/{athlete}/{session_start:.3f}/{kind}/{level}/{t:.3f}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    t: float
    squad: str
    athlete: str
    level: AlertLevel
    kind: str
    risk: float
    message: str
    detail: str
    factors: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.message) > MAX_MESSAGE:
            raise ValueError(f"alert message longer than {MAX_MESSAGE} characters: {self.message!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

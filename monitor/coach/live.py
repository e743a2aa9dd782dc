"""The coach's live view: an in-memory sink holding what the dashboard, the JSON API and ``crampwatch watch``
show.

Per athlete it keeps the latest status, a bounded history of the current session (one point per status: by
default the last 4 h at the 5 s status cadence) as compact column arrays, and the alerts of the current
session (bounded). Subscribers (the dashboard's server-sent events) get every status and alert through a
bounded queue; a subscriber that falls behind loses its *oldest* events, which are counted
(``Subscription.dropped``) so it can resynchronise from a fresh snapshot.

Everything here is synchronous and O(1) per event, so the monitor's event loop is never held up::

    >>> view = LiveView()
    >>> view.add_status({"t": 10.0, "squad": "club", "athlete": "ann", "session_start": 0.0, "hr": 150.0,
    ...                  "risk": 0.4, "level": "elevated", "factors": {"heat": 0.2, "fatigue": 0.1}})
    >>> view.athletes()[0]["level"], view.history("club", "ann")["hr"]
    ('elevated', [150.0])
    >>> top_reason({"heat": 0.2, "fatigue": 0.1})
    'heat'
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final

from alerts.alert import Alert
from alerts.sinks.base import Sink

ID_RE: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: Risk levels from least to most worrying (statuses); alert levels likewise.
LEVELS: Final = ("low", "elevated", "high", "critical")
ALERT_LEVELS: Final = ("advice", "warning", "critical")
SIGNALS: Final = ("ok", "stale", "lost")
#: Columns of the per-session history (one value per status; ``None`` where unknown).
HISTORY_FIELDS: Final = ("hr", "pace", "cadence", "stride_m", "temp", "risk", "fatigue", "distance_m")
#: Keys of a status that the live tiles need (the SSE stream and ``/api/athletes`` carry only these).
TILE_KEYS: Final = (
    "t", "squad", "athlete", "name", "session_start", "elapsed_s", "distance_m", "hr", "pace", "cadence",
    "temp", "stride_m", "fatigue", "pace_over_training", "risk", "level", "factors", "signal", "wall_idle_s",
)  # fmt: skip
#: Keys of an alert as the dashboard shows it.
ALERT_KEYS: Final = ("id", "t", "squad", "athlete", "level", "kind", "risk", "message", "detail", "factors")


def valid_id(value: object) -> bool:
    """True for a contract id: 1–64 characters from ``[A-Za-z0-9_-]``.

    >>> valid_id("club_1"), valid_id("a/b"), valid_id(""), valid_id("x" * 65)
    (True, False, False, False)
    """
    return isinstance(value, str) and ID_RE.match(value) is not None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def top_reason(factors: Any) -> str | None:
    """The factor with the largest positive contribution (ties: alphabetical), or None.

    >>> top_reason({"heat": 0.1, "pace_over_training": 0.3}), top_reason({}), top_reason({"x": 0.0})
    ('pace_over_training', None, None)
    """
    if not isinstance(factors, Mapping):
        return None
    best: tuple[float, str] | None = None
    for name, value in factors.items():
        v = _num(value)
        if v is None or v <= 0:
            continue
        if best is None or v > best[0] or (v == best[0] and str(name) < best[1]):
            best = (v, str(name))
    return None if best is None else best[1]


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
    "monotony": "Same effort for a long time",
    "acute_cramp": "Cramp signature now",
    "cramp_history": "Has cramped before",
    "recent_injury": "Recent injury",
    "sex": "Sex (risk trait)",
    "age": "Age (risk trait)",
}


def reason_text(name: str | None, status: Mapping[str, Any] | None = None) -> str:
    """A factor in plain words, with the athlete's number where it helps.

    >>> reason_text("pace_over_training", {"pace_over_training": 1.1})
    '10 % faster than training pace'
    >>> reason_text("heat", {"temp": 30.2}), reason_text("new_factor"), reason_text(None)
    ('Heat (30 °C)', 'New factor', '')
    """
    if not name:
        return ""
    status = status or {}
    if name == "pace_over_training" and (ratio := _num(status.get("pace_over_training"))) is not None:
        pct = round((ratio - 1.0) * 100)
        return f"{pct} % faster than training pace" if pct > 0 else "Pace near training pace"
    if name == "heat" and (temp := _num(status.get("temp"))) is not None:
        return f"Heat ({round(temp)} °C)"
    words = REASON_WORDS.get(name)
    if words is not None:
        return words
    plain = name.replace("_", " ")
    return plain[:1].upper() + plain[1:]


def level_rank(level: Any) -> int:
    """0 (low) … 3 (critical); -1 for anything else."""
    return LEVELS.index(level) if level in LEVELS else -1


def sort_key(tile: Mapping[str, Any]) -> tuple[float, float, str, str]:
    """Riskiest first: by level, then risk, then name."""
    risk = _num(tile.get("risk"))
    return (
        -level_rank(tile.get("level")),
        -(risk if risk is not None else -1.0),
        str(tile.get("name") or tile.get("athlete") or "").lower(),
        str(tile.get("squad", "")),
    )


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
        t = _num(status.get("t"))
        if t is None or (self.t and t <= self.t[-1]):
            return False  # a re-published (stale/lost) snapshot of the same instant: not a new point
        self.t.append(t)
        for name, column in self.columns.items():
            column.append(_num(status.get(name)))
        self.level.append(level_rank(status.get("level")))
        return True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"session_start": self.start, "points": len(self.t), "t": list(self.t)}
        for name, column in self.columns.items():
            out[name] = list(column)
        out["level"] = [LEVELS[i] if i >= 0 else None for i in self.level]
        return out


@dataclass(slots=True)
class AthleteLive:
    squad: str
    athlete: str
    status: dict[str, Any] | None = None
    session: SessionHistory | None = None
    last_alert: dict[str, Any] | None = None
    received: float = 0.0  # wall clock (monotonic) of the last status


class Subscription:
    """A bounded queue of ``(seq, kind, data)`` events; on overflow the oldest event is dropped and counted.

    Use as a context manager (``with view.subscribe() as sub:``) so it is removed when the client goes.
    """

    def __init__(self, view: LiveView, maxsize: int, squad: str | None) -> None:
        self.view = view
        self.maxsize = maxsize
        self.squad = squad
        self.events: deque[tuple[int, str, dict[str, Any]]] = deque()
        self.dropped = 0
        self.closed = False
        self._ready = asyncio.Event()

    def put(self, seq: int, kind: str, data: dict[str, Any]) -> None:
        if self.squad is not None and data.get("squad") != self.squad:
            return
        self.events.append((seq, kind, data))
        while len(self.events) > self.maxsize:
            self.events.popleft()
            self.dropped += 1
            self.view.counters["dropped"] += 1
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def get_batch(self, timeout: float | None = None) -> list[tuple[int, str, dict[str, Any]]]:
        """Everything queued (waiting up to ``timeout`` for the first event); empty on timeout or close."""
        if not self.events and not self.closed:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return []
        batch = list(self.events)
        self.events.clear()
        return batch

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.view.unsubscribe(self)


class LiveView(Sink):
    """Latest status, session history and alerts of every athlete, with live subscribers.

    ``history_points`` bounds each session's history (default 2,880 = 4 h at one status per 5 s),
    ``session_alerts`` the alerts kept per session, ``feed_size`` the squad-wide alert feed,
    ``subscriber_queue`` each subscriber's queue, ``max_athletes`` the athletes kept (the least recently
    updated one is forgotten beyond it).
    """

    name = "live"

    def __init__(
        self,
        *,
        history_points: int = 2880,
        session_alerts: int = 200,
        feed_size: int = 200,
        subscriber_queue: int = 5000,
        max_athletes: int = 5000,
    ) -> None:
        if min(history_points, session_alerts, feed_size, subscriber_queue, max_athletes) < 1:
            raise ValueError("LiveView bounds must be positive")
        self.history_points = history_points
        self.session_alerts = session_alerts
        self.subscriber_queue = subscriber_queue
        self.max_athletes = max_athletes
        self._athletes: dict[tuple[str, str], AthleteLive] = {}
        self._feed: deque[dict[str, Any]] = deque(maxlen=feed_size)
        self._subscribers: set[Subscription] = set()
        self._seq = 0
        self.counters: dict[str, int] = {"statuses": 0, "alerts": 0, "acks": 0, "dropped": 0, "ignored": 0}

    # ---- Sink ------------------------------------------------------------------------------------------
    async def on_status(self, status: dict[str, Any]) -> None:
        self.add_status(status)

    async def on_ack(self, squad: str, athlete: str, alert_id: str) -> None:
        self.mark_acked(squad, athlete, alert_id)

    async def on_alert(self, alert: Alert) -> None:
        self.add_alert(alert.to_dict())

    async def close(self) -> None:
        for sub in list(self._subscribers):
            sub.close()

    # ---- input -----------------------------------------------------------------------------------------
    def _athlete(self, squad: str, athlete: str) -> AthleteLive:
        key = (squad, athlete)
        state = self._athletes.get(key)
        if state is None:
            if len(self._athletes) >= self.max_athletes:
                oldest = min(self._athletes, key=lambda k: self._athletes[k].received)
                del self._athletes[oldest]
            state = self._athletes[key] = AthleteLive(squad, athlete)
        return state

    def add_status(self, status: Mapping[str, Any]) -> None:
        """Take one status snapshot (contract shape; unknown extras are kept in the full status)."""
        squad, athlete = status.get("squad"), status.get("athlete")
        if not valid_id(squad) or not valid_id(athlete) or _num(status.get("t")) is None:
            self.counters["ignored"] += 1
            return
        assert isinstance(squad, str) and isinstance(athlete, str)
        state = self._athlete(squad, athlete)
        start = _num(status.get("session_start"))
        if state.session is None or (start is not None and start != state.session.start):
            state.session = SessionHistory(start, self.history_points, self.session_alerts)
            state.last_alert = None
        state.session.add(status)
        state.status = dict(status)
        state.received = time.monotonic()
        self.counters["statuses"] += 1
        if self._subscribers:
            self._publish("status", self._tile(state))
        else:
            self._seq += 1

    def add_alert(self, alert: Mapping[str, Any]) -> None:
        """Take one alert (contract shape). It belongs to the athlete's current session."""
        squad, athlete = alert.get("squad"), alert.get("athlete")
        if not valid_id(squad) or not valid_id(athlete) or not valid_id(alert.get("id")):
            self.counters["ignored"] += 1
            return
        assert isinstance(squad, str) and isinstance(athlete, str)
        state = self._athlete(squad, athlete)
        item = {key: alert.get(key) for key in ALERT_KEYS}
        if state.status is not None:
            item["name"] = state.status.get("name")
        if state.session is None:
            state.session = SessionHistory(_num(alert.get("t")), self.history_points, self.session_alerts)
        if any(a["id"] == item["id"] for a in state.session.alerts):
            return  # a redelivery (ids are deterministic)
        item["acked"] = False
        state.session.alerts.append(item)
        state.session.alerts_total += 1
        state.last_alert = item
        self._feed.append(item)
        self.counters["alerts"] += 1
        self._publish("alert", dict(item))

    def mark_acked(self, squad: str, athlete: str, alert_id: str) -> bool:
        """Record that the alert was acknowledged (from the dashboard); False if the view does not know it."""
        item = self.find_alert(squad, athlete, alert_id)
        if item is None:
            return False
        item["acked"] = True
        self.counters["acks"] += 1
        self._publish("ack", {"squad": squad, "athlete": athlete, "alert_id": alert_id})
        return True

    # ---- queries ---------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._athletes)

    def known(self, squad: str, athlete: str) -> bool:
        return (squad, athlete) in self._athletes

    def _tile(self, state: AthleteLive) -> dict[str, Any]:
        status = state.status or {}
        tile: dict[str, Any] = {key: status.get(key) for key in TILE_KEYS}
        tile["squad"], tile["athlete"] = state.squad, state.athlete
        tile["top_reason"] = top_reason(status.get("factors"))
        last = state.last_alert
        tile["last_alert"] = (
            None
            if last is None
            else {k: last.get(k) for k in ("id", "t", "level", "kind", "message", "acked")}
        )
        tile["age_s"] = round(time.monotonic() - state.received, 1) if state.status is not None else None
        return tile

    def squads(self) -> list[dict[str, Any]]:
        """Every squad with its athlete count, its worst level and the number of unacknowledged alerts."""
        out: dict[str, dict[str, Any]] = {}
        for state in self._athletes.values():
            entry = out.setdefault(state.squad, {"squad": state.squad, "athletes": 0, "worst_level": None,
                                                 "open_alerts": 0})  # fmt: skip
            entry["athletes"] += 1
            level = (state.status or {}).get("level")
            if level_rank(level) > level_rank(entry["worst_level"]):
                entry["worst_level"] = level
            if state.session is not None:
                entry["open_alerts"] += sum(1 for a in state.session.alerts if not a["acked"])
        return [out[k] for k in sorted(out)]

    def athletes(self, squad: str | None = None) -> list[dict[str, Any]]:
        """One tile per athlete (latest status essentials, top reason, last alert), riskiest first."""
        tiles = [
            self._tile(s)
            for s in self._athletes.values()
            if s.status is not None and (squad is None or s.squad == squad)
        ]
        return sorted(tiles, key=sort_key)

    def status(self, squad: str, athlete: str) -> dict[str, Any] | None:
        """The latest full status (every key the monitor published), or None."""
        state = self._athletes.get((squad, athlete))
        return None if state is None or state.status is None else dict(state.status)

    def tile(self, squad: str, athlete: str) -> dict[str, Any] | None:
        state = self._athletes.get((squad, athlete))
        return None if state is None or state.status is None else self._tile(state)

    def history(self, squad: str, athlete: str) -> dict[str, Any] | None:
        """The current (or last) session: ``{session_start, points, t: [...], hr: [...], …, level: [...],
        alerts: [...]}``; None for an unknown athlete."""
        state = self._athletes.get((squad, athlete))
        if state is None or state.session is None:
            return None
        out = state.session.to_dict()
        out.update(squad=squad, athlete=athlete, name=(state.status or {}).get("name"))
        out["alerts"] = [dict(a) for a in state.session.alerts]
        return out

    def alerts(self, squad: str, athlete: str) -> list[dict[str, Any]] | None:
        """Alerts of the current (or last) session, oldest first; None for an unknown athlete."""
        state = self._athletes.get((squad, athlete))
        if state is None:
            return None
        return [] if state.session is None else [dict(a) for a in state.session.alerts]

    def feed(self, squad: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The latest alerts across athletes (optionally of one squad), newest first."""
        items = [a for a in reversed(self._feed) if squad is None or a["squad"] == squad]
        return [dict(a) for a in items[:limit]]

    def find_alert(self, squad: str, athlete: str, alert_id: str) -> dict[str, Any] | None:
        state = self._athletes.get((squad, athlete))
        if state is None or state.session is None:
            return None
        return next((a for a in state.session.alerts if a["id"] == alert_id), None)

    def snapshot(self, squad: str | None = None) -> dict[str, Any]:
        """What a new dashboard needs at once: squads, tiles and the alert feed."""
        return {"squads": self.squads(), "athletes": self.athletes(squad), "alerts": self.feed(squad)}

    # ---- subscribers -----------------------------------------------------------------------------------
    def subscribe(self, *, squad: str | None = None, maxsize: int | None = None) -> Subscription:
        sub = Subscription(self, maxsize or self.subscriber_queue, squad)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)
        sub.close()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def _publish(self, kind: str, data: dict[str, Any]) -> None:
        self._seq += 1
        for sub in self._subscribers:
            sub.put(self._seq, kind, data)

    @property
    def seq(self) -> int:
        """Number of the last event published to subscribers."""
        return self._seq

    def load(self, statuses: Iterable[Mapping[str, Any]]) -> None:
        """Take many statuses at once (tests, replays)."""
        for status in statuses:
            self.add_status(status)

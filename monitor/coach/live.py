"""The coach's live view: an in-memory sink holding what the dashboard, the JSON API and ``crampwatch watch``
show.

Per athlete it keeps the latest status, a bounded history of the current session (one point per status: by
default the last 4 h at the 5 s status cadence) as compact column arrays, and the alerts of the current
session (bounded). Each squad has its own bounded feed of recent alerts, and a runner's unacknowledged alerts
stay in the feed however busy other runners or squads are. Subscribers (the dashboard's server-sent events)
get every status and alert through a bounded queue; a subscriber that falls behind loses its *oldest* events,
which are counted (``Subscription.dropped``) so it can resynchronise from a fresh snapshot.

Everything here is synchronous and O(1) per event (O(alerts of one session) per ack), so the monitor's event
loop is never held up::

    >>> view = LiveView()
    >>> view.add_status({"t": 10.0, "squad": "club", "athlete": "ann", "session_start": 0.0, "hr": 150.0,
    ...                  "risk": 0.4, "level": "elevated", "factors": {"heat": 0.2, "sex": 0.3}})
    >>> tile = view.athletes()[0]
    >>> tile["display_level"], tile["top_reason"], tile["session_state"], view.history("club", "ann")["hr"]
    ('elevated', 'heat', 'live', [150.0])
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from alerts.alert import Alert
from alerts.sinks.base import Sink
from monitor.coach.session import AthleteLive, SessionHistory
from monitor.coach.subscription import Subscription
from monitor.coach.words import (
    ALERT_LEVELS,
    CRAMP_KINDS,
    LEVELS,
    WORDS,
    display_level,
    display_risk,
    hr_max_of,
    hr_zone,
    level_rank,
    num,
    reason_text,
    session_state,
    sort_key,
    target_pace,
    top_reason,
    valid_id,
)

__all__ = [
    "ALERT_LEVELS", "LEVELS", "WORDS", "LiveView", "Subscription", "level_rank", "reason_text", "sort_key",
    "top_reason", "valid_id",
]  # fmt: skip

SIGNALS: Final = ("ok", "stale", "lost")
#: Keys of a status that the live tiles need (the SSE stream and ``/api/athletes`` carry only these).
TILE_KEYS: Final = (
    "t", "squad", "athlete", "name", "session_start", "elapsed_s", "distance_m", "hr", "pace", "cadence",
    "temp", "stride_m", "fatigue", "pace_over_training", "trimp", "hr_zone_s", "risk", "level", "factors",
    "signal", "wall_idle_s", "acute_cramp", "plan", "gait_state",
)  # fmt: skip
#: Keys of an alert as the dashboard shows it.
ALERT_KEYS: Final = ("id", "t", "squad", "athlete", "level", "kind", "risk", "message", "detail", "factors")
#: Seconds (wall clock) without any status while sessions are live before the data counts as stale.
FRESH_S: Final = 20.0


class LiveView(Sink):
    """Latest status, session history and alerts of every athlete, with live subscribers.

    ``history_points`` bounds each session's history (default 2,880 = 4 h at one status per 5 s),
    ``session_alerts`` the alerts kept per session, ``feed_size`` each squad's feed of recent alerts (open
    alerts are kept beyond it, in their session), ``subscriber_queue`` each subscriber's queue,
    ``max_athletes`` the athletes kept (the least recently updated one is forgotten beyond it).
    ``connected`` (set by the server's owner, e.g. ``lambda: monitor.connected``) tells the page whether the
    monitor has its broker.
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
        self.feed_size = feed_size
        self.subscriber_queue = subscriber_queue
        self.max_athletes = max_athletes
        self.connected: Callable[[], bool] | None = None
        self._athletes: dict[tuple[str, str], AthleteLive] = {}
        self._feeds: dict[str, deque[dict[str, Any]]] = {}
        self._subscribers: set[Subscription] = set()
        self._seq = 0
        self._arrivals = 0
        self._last_status = 0.0  # wall clock (monotonic) of the last status of anyone
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
        if not valid_id(squad) or not valid_id(athlete) or num(status.get("t")) is None:
            self.counters["ignored"] += 1
            return
        assert isinstance(squad, str) and isinstance(athlete, str)
        state = self._athlete(squad, athlete)
        start = num(status.get("session_start"))
        if state.session is None or (start is not None and start != state.session.start):
            state.session = SessionHistory(start, self.history_points, self.session_alerts)
            state.last_alert = None
        state.session.add(status)
        state.status = dict(status)
        state.received = self._last_status = time.monotonic()
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
            state.session = SessionHistory(num(alert.get("t")), self.history_points, self.session_alerts)
        if any(a["id"] == item["id"] for a in state.session.alerts):
            return  # a redelivery (ids are deterministic)
        item["acked"] = False
        self._arrivals += 1
        item["seq"] = self._arrivals  # arrival order: the feed's "newest first"
        state.session.alerts.append(item)
        state.session.alerts_total += 1
        state.last_alert = item
        feed = self._feeds.get(squad)
        if feed is None:
            feed = self._feeds[squad] = deque(maxlen=self.feed_size)
        feed.append(item)
        self.counters["alerts"] += 1
        self._publish("alert", dict(item))
        if state.status is not None and item["kind"] in CRAMP_KINDS:
            self._publish("status", self._tile(state))  # the tile's word turns to "cramp" at once

    def mark_acked(self, squad: str, athlete: str, alert_id: str) -> list[str]:
        """Record that the alert was acknowledged; the runner's earlier open alerts of the same kind close
        with it. The ids closed (the alert first), or ``[]`` if the view does not know the alert."""
        state = self._athletes.get((squad, athlete))
        item = self.find_alert(squad, athlete, alert_id)
        if state is None or state.session is None or item is None:
            return []
        closed = [alert_id] if not item["acked"] else []
        item["acked"] = True
        t = num(item.get("t")) or 0.0
        for other in state.session.alerts:
            if not other["acked"] and other["kind"] == item["kind"] and (num(other.get("t")) or 0.0) <= t:
                other["acked"] = True
                closed.append(other["id"])
        self.counters["acks"] += 1
        for aid in closed:
            self._publish("ack", {"squad": squad, "athlete": athlete, "alert_id": aid})
        if closed and state.status is not None:
            self._publish("status", self._tile(state))
        return closed if closed else [alert_id]

    def latest_open(self, squad: str, athlete: str) -> list[dict[str, Any]]:
        """The newest open alert of each kind of the runner's current session (what "acknowledge all" sends:
        acknowledging these closes every open alert)."""
        state = self._athletes.get((squad, athlete))
        if state is None or state.session is None:
            return []
        latest: dict[str, dict[str, Any]] = {}
        for a in state.session.open_alerts():
            latest[a["kind"]] = a  # alerts are kept in arrival order: the last one of a kind wins
        return [dict(a) for a in latest.values()]

    # ---- queries ---------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._athletes)

    def known(self, squad: str, athlete: str) -> bool:
        return (squad, athlete) in self._athletes

    def _tile(self, state: AthleteLive) -> dict[str, Any]:
        status = state.status or {}
        tile: dict[str, Any] = {key: status.get(key) for key in TILE_KEYS}
        tile["squad"], tile["athlete"] = state.squad, state.athlete
        cramp = state.cramp()
        word = display_level(status.get("level"), cramp=cramp)
        tile["cramp"] = cramp
        tile["display_level"] = word
        tile["display_risk"] = display_risk(word, status.get("risk"))
        tile["top_reason"] = "acute_cramp" if cramp else top_reason(status.get("factors"))
        tile["top_reason_text"] = "Cramp signs" if cramp else reason_text(tile["top_reason"], status)
        tile["session_state"] = session_state(status)
        tile["hr_pct_max"], tile["hr_zone"] = hr_zone(status)
        tile["hr_max"] = hr_max_of(status)
        tile["target_pace"] = target_pace(status)
        last = state.last_alert
        tile["last_alert"] = (
            None if last is None else {k: last.get(k) for k in ("id", "t", "level", "kind", "message", "acked")}
        )
        tile["open_alerts"] = 0 if state.session is None else len(state.session.open_alerts())
        tile["age_s"] = round(time.monotonic() - state.received, 1) if state.status is not None else None
        return tile

    def squads(self) -> list[dict[str, Any]]:
        """Every squad: athlete count, worst word and counts per word among runners not finished, and the
        number of unacknowledged alerts."""
        out: dict[str, dict[str, Any]] = {}
        for state in self._athletes.values():
            entry = out.setdefault(state.squad, {"squad": state.squad, "athletes": 0, "worst_level": None,
                                                 "counts": {}, "finished": 0, "open_alerts": 0})  # fmt: skip
            entry["athletes"] += 1
            if state.session is not None:
                entry["open_alerts"] += len(state.session.open_alerts())
            if state.status is None:
                continue
            if session_state(state.status) == "finished":
                entry["finished"] += 1
                continue
            word = display_level(state.status.get("level"), cramp=state.cramp())
            entry["counts"][word] = entry["counts"].get(word, 0) + 1
            if level_rank(word) > level_rank(entry["worst_level"]):
                entry["worst_level"] = word
        return [out[k] for k in sorted(out)]

    def athletes(self, squad: str | None = None) -> list[dict[str, Any]]:
        """One tile per athlete (latest status essentials, word, top reason, last alert): live sessions
        first, riskiest first."""
        tiles = [
            self._tile(s)
            for s in self._athletes.values()
            if s.status is not None and (squad is None or s.squad == squad)
        ]
        return sorted(tiles, key=sort_key)

    def status(self, squad: str, athlete: str) -> dict[str, Any] | None:
        """The latest full status (every key the monitor published, plus ``session_state``), or None."""
        state = self._athletes.get((squad, athlete))
        if state is None or state.status is None:
            return None
        out = dict(state.status)
        out["session_state"] = session_state(state.status)
        return out

    def tile(self, squad: str, athlete: str) -> dict[str, Any] | None:
        state = self._athletes.get((squad, athlete))
        return None if state is None or state.status is None else self._tile(state)

    def history(self, squad: str, athlete: str) -> dict[str, Any] | None:
        """The current (or last) session: ``{session_start, points, t: [...], hr: [...], …, level: [...],
        alerts: [...]}``; None for an unknown athlete."""
        state = self._athletes.get((squad, athlete))
        if state is None or state.session is None:
            return None
        status = state.status or {}
        out = state.session.to_dict()
        out.update(squad=squad, athlete=athlete, name=status.get("name"), session_state=session_state(status),
                   hr_max=hr_max_of(status), target_pace=target_pace(status))  # fmt: skip
        out["alerts"] = [dict(a) for a in state.session.alerts]
        return out

    def alerts(self, squad: str, athlete: str) -> list[dict[str, Any]] | None:
        """Alerts of the current (or last) session, oldest first; None for an unknown athlete."""
        state = self._athletes.get((squad, athlete))
        if state is None:
            return None
        return [] if state.session is None else [dict(a) for a in state.session.alerts]

    def feed(self, squad: str | None = None, limit: int = 50, *, open_only: bool = False) -> list[dict[str, Any]]:
        """Alerts across athletes (optionally of one squad), newest first: every unacknowledged alert of the
        runners' sessions, however many others came since, plus the latest acknowledged ones up to ``limit``
        alerts in all."""
        feeds = [self._feeds.get(squad, ())] if squad is not None else list(self._feeds.values())
        recent = [] if open_only else [a for feed in feeds for a in feed]
        opened = [
            a
            for s in self._athletes.values()
            if s.session is not None and (squad is None or s.squad == squad)
            for a in s.session.open_alerts()
        ]
        seen: set[str] = set()
        items: list[dict[str, Any]] = []
        for a in sorted([*opened, *recent], key=lambda a: -int(a["seq"])):
            if a["id"] not in seen:
                seen.add(a["id"])
                items.append(a)
        room = max(0, limit - len(opened))
        picked: list[dict[str, Any]] = []
        for a in items:
            if not a["acked"]:
                picked.append(dict(a))
            elif room > 0:
                picked.append(dict(a))
                room -= 1
        return picked

    def find_alert(self, squad: str, athlete: str, alert_id: str) -> dict[str, Any] | None:
        state = self._athletes.get((squad, athlete))
        if state is None or state.session is None:
            return None
        return next((a for a in state.session.alerts if a["id"] == alert_id), None)

    def health(self) -> dict[str, Any]:
        """The monitor as the page's badge shows it: broker connection, and whether data is fresh while
        sessions are live. ``state`` is ``ok``, ``stale`` (live sessions but no status for ``FRESH_S``),
        ``down`` (the monitor lost its broker) or ``unknown`` (no monitor attached)."""
        broker = None if self.connected is None else bool(self.connected())
        live = sum(1 for s in self._athletes.values()
                   if s.status is not None and session_state(s.status) != "finished")  # fmt: skip
        age = round(time.monotonic() - self._last_status, 1) if self._last_status else None
        if broker is False:
            state = "down"
        elif live and age is not None and age > FRESH_S:
            state = "stale"
        else:
            state = "ok" if broker else "unknown"
        return {"state": state, "broker_connected": broker, "data_age_s": age, "live_sessions": live}

    def snapshot(self, squad: str | None = None) -> dict[str, Any]:
        """What a new dashboard needs at once: squads, tiles, the alert feed and the monitor's health."""
        return {
            "squads": self.squads(),
            "athletes": self.athletes(squad),
            "alerts": self.feed(squad, self.feed_size),
            "health": self.health(),
        }

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

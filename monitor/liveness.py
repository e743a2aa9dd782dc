"""Wall-clock liveness of athletes, the same rules for the MQTT service (:mod:`monitor.mqtt.service`) and for
shard workers (:mod:`monitor.amqp.silence`). Pure: the caller passes the wall time.

An athlete whose messages stop for ``quiet_s`` of wall clock is *released* (the seconds held back for streams that
had not reported are judged, :meth:`AthletePipeline.release`) and its last status is re-published with
``session_state: "quiet"`` (``signal`` stale/lost after ``idle_stale_s``/``idle_lost_s``, again every
``idle_publish_s``); its session ends after ``idle_end_s``. The MQTT service judges silence only while connected
and with nothing left unread, counting from the last (re)connection; a shard worker only when a *flush marker*
came back (:mod:`monitor.amqp.flush`), as of the time it was sent: everything queued before then has been
handled, so a backlog in the broker is never taken for silence. Same input → the same released statuses: a
release depends only on the pipeline's state, and it happens between the same two messages of the athlete.

>>> live = Liveness(Limits())
>>> live.arrived(("club", "ann"), 100.0)
>>> [a.kind for a in live.due(101.0, since=0.0, active=lambda k: True)]
[]
>>> [(a.kind, a.idle) for a in live.due(102.5, since=0.0, active=lambda k: True)]
[('release', 2.5)]
>>> [a.kind for a in live.due(103.0, since=0.0, active=lambda k: True)]
[]
>>> [a.kind for a in live.due(107.5, since=0.0, active=lambda k: True)]
['quiet']
>>> [a.kind for a in live.due(701.0, since=0.0, active=lambda k: True)]
['end']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

Key = tuple[str, str]  # (squad, athlete)


def end_at(last_t: float, session_start: float | None) -> float:
    """The event time a silent session ends at: its last status's, or its start when that is later — a start at a
    fraction of a second with less than a tick of data has only the status at the whole second before it, and a
    stop before the start is refused, so the session stayed open for good (audit6).

    >>> end_at(1800.0, 1000.0), end_at(1000.0, 1000.886)
    (1800.0, 1000.886)
    """
    return last_t if session_start is None else max(last_t, session_start)


@dataclass(frozen=True, slots=True)
class Limits:
    """The MQTT service's defaults (``Monitor(quiet_s=..., idle_stale_s=..., ...)``)."""

    quiet_s: float = 2.0
    idle_stale_s: float = 15.0
    idle_lost_s: float = 60.0
    idle_end_s: float = 600.0
    idle_publish_s: float = 5.0

    def signal(self, idle: float) -> str:
        return "lost" if idle >= self.idle_lost_s else "stale" if idle >= self.idle_stale_s else "ok"


@dataclass(frozen=True, slots=True)
class Action:
    """``release`` (gone quiet: release, then publish the quiet status), ``quiet`` (publish it again) or ``end``
    (end the session at its last status)."""

    kind: str
    key: Key
    idle: float


@dataclass(slots=True)
class Liveness:
    """Arrival times of one shard's athletes and what their silence calls for."""

    limits: Limits
    arrival: dict[Key, float] = field(default_factory=dict)
    quiet: set[Key] = field(default_factory=set)
    published: dict[Key, float] = field(default_factory=dict)

    def arrived(self, key: Key, now: float) -> None:
        """A message of ``key`` (not a profile or an ack) was applied at wall time ``now``."""
        self.arrival[key] = now
        self.published.pop(key, None)
        self.quiet.discard(key)

    def restored(self, keys: Iterable[Key], now: float) -> None:
        for key in keys:
            self.arrival[key] = now

    def forget(self, key: Key) -> None:
        self.arrival.pop(key, None)
        self.quiet.discard(key)
        self.published.pop(key, None)

    def due(self, now: float, *, since: float, active: Callable[[Key], bool]) -> list[Action]:
        """What to do at wall time ``now`` (everything queued before ``now`` handled: a flush marker sent then came
        back); silence counts from ``since`` at the earliest
        (when the worker became the shard's active consumer). ``active(key)``: the athlete's session runs."""
        limits, actions = self.limits, []
        for key, arrived in list(self.arrival.items()):
            if not active(key):
                self.forget(key)
                continue
            idle = now - max(arrived, since)
            if idle < min(limits.quiet_s, limits.idle_stale_s):
                continue
            if idle >= limits.idle_end_s:
                actions.append(Action("end", key, idle))
                self.forget(key)
                continue
            if key not in self.quiet:
                self.quiet.add(key)
                self.published[key] = now
                actions.append(Action("release", key, idle))
            elif now - self.published.get(key, -1e18) >= limits.idle_publish_s:
                self.published[key] = now
                actions.append(Action("quiet", key, idle))
        return actions

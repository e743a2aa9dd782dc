"""Keep the recent alerts in memory, bounded: per athlete and as one squad-wide feed.

Used by the tests and by the coach feed/dashboard. Alerts are de-duplicated by id (a replay or a redelivery of
the same alert is stored once).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from typing import Any

from alerts.alert import Alert
from alerts.sinks.base import Sink

Key = tuple[str, str]


class MemorySink(Sink):
    """Recent alerts: the last ``per_athlete`` for each of at most ``max_athletes`` athletes (the athlete
    alerted longest ago is forgotten first), and the last ``feed`` alerts of everyone. With
    ``statuses=True`` it also keeps each athlete's latest status.

    >>> import asyncio
    >>> from alerts.alert import Alert
    >>> sink = MemorySink(per_athlete=2)
    >>> for i in range(3):
    ...     asyncio.run(sink.on_alert(Alert(id=str(i), t=float(i), squad="s", athlete="a", level="advice",
    ...                                     kind="hydrate", risk=0.4, message="Drink", detail="")))
    >>> [a.id for a in sink.alerts_for("s", "a")]
    ['1', '2']
    """

    name = "memory"

    def __init__(
        self, *, per_athlete: int = 50, max_athletes: int = 10_000, feed: int = 500, statuses: bool = False
    ) -> None:
        if per_athlete < 1 or max_athletes < 1 or feed < 1:
            raise ValueError("MemorySink bounds must be >= 1")
        self.per_athlete = per_athlete
        self.max_athletes = max_athletes
        self.keep_statuses = statuses
        self._by_athlete: OrderedDict[Key, deque[Alert]] = OrderedDict()
        self._feed: deque[Alert] = deque(maxlen=feed)
        self._statuses: OrderedDict[Key, dict[str, Any]] = OrderedDict()
        self.received = 0  # alerts stored (duplicates not counted)
        self.duplicates = 0
        self._changed: asyncio.Event | None = None

    async def on_alert(self, alert: Alert) -> None:
        key = (alert.squad, alert.athlete)
        recent = self._by_athlete.get(key)
        if recent is None:
            recent = deque(maxlen=self.per_athlete)
            self._by_athlete[key] = recent
            while len(self._by_athlete) > self.max_athletes:
                self._by_athlete.popitem(last=False)
        else:
            self._by_athlete.move_to_end(key)
        if any(a.id == alert.id for a in recent):
            self.duplicates += 1
            return
        recent.append(alert)
        self._feed.append(alert)
        self.received += 1
        if self._changed is not None:
            self._changed.set()

    async def on_status(self, status: dict[str, Any]) -> None:
        if not self.keep_statuses:
            return
        key = (str(status.get("squad")), str(status.get("athlete")))
        self._statuses[key] = dict(status)
        self._statuses.move_to_end(key)
        while len(self._statuses) > self.max_athletes:
            self._statuses.popitem(last=False)

    # ------------------------------------------------------------------------------------------------ reading

    def alerts_for(self, squad: str, athlete: str) -> list[Alert]:
        """This athlete's recent alerts, oldest first."""
        return list(self._by_athlete.get((squad, athlete), ()))

    def recent(self, limit: int | None = None, *, squad: str | None = None) -> list[Alert]:
        """The feed (optionally one squad's), oldest first, the last ``limit`` of it."""
        items = [a for a in self._feed if squad is None or a.squad == squad]
        return items if limit is None else items[-limit:] if limit > 0 else []

    def athletes(self) -> list[Key]:
        return list(self._by_athlete)

    def status_for(self, squad: str, athlete: str) -> dict[str, Any] | None:
        return self._statuses.get((squad, athlete))

    def clear(self, squad: str | None = None, athlete: str | None = None) -> None:
        """Forget everything, one squad, or one athlete (e.g. when a new session starts)."""
        if squad is None:
            self._by_athlete.clear()
            self._feed.clear()
            return
        for key in [k for k in self._by_athlete if k[0] == squad and athlete in (None, k[1])]:
            del self._by_athlete[key]
        kept = [a for a in self._feed if not (a.squad == squad and athlete in (None, a.athlete))]
        self._feed.clear()
        self._feed.extend(kept)

    async def wait_for(self, count: int, timeout: float) -> list[Alert]:
        """Wait until at least ``count`` alerts have been stored in total; the feed then. Raises
        :class:`TimeoutError` after ``timeout`` seconds."""

        async def until() -> None:
            if self._changed is None:
                self._changed = asyncio.Event()
            while self.received < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)
        return self.recent()

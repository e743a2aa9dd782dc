"""QoS-1 messages (alerts, acks) handed to paho and not yet acknowledged by the broker: the pipelined alerts of
:class:`monitor.mqtt.outbox.PahoWriter`.

A message counts as published (``published``) once paho saw the broker's PUBACK (its ``MQTTMessageInfo`` is
published). Not acknowledged within ``timeout_s`` (a stalled broker): counted in ``publish_timeouts`` once and no
longer held against the bound (publishing goes on, as with the awaited path); it stays here until acknowledged.
What is here when the connection is lost goes back to the front of the outbox (:meth:`InFlight.take`), in the
order it was handed over, and is published again, first, on the next connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

log = logging.getLogger("crampwatch.monitor")

#: An outgoing message as the outbox keeps it: topic, payload, QoS, retain.
Item = tuple[str, bytes, int, bool]


class _Entry:
    __slots__ = ("info", "item", "late", "timer")

    def __init__(self, item: Item, info: Any, timer: asyncio.TimerHandle) -> None:
        self.item = item
        self.info = info  # paho's MQTTMessageInfo
        self.timer = timer
        self.late = False  # timed out: counted, no longer held against the bound


class InFlight:
    """QoS-1 messages awaiting their PUBACK on one connection, in the order they were handed over (by paho mid).

    ``limit``: how many (not timed out) may wait at once; :attr:`slot` is set while there is room.
    ``on_change``: called when one is acknowledged or times out (the writer checks whether the outbox drained).
    """

    def __init__(
        self, limit: int, timeout_s: float, counters: Counter[str], on_change: Callable[[], None] = lambda: None
    ) -> None:
        if limit < 1:
            raise ValueError("the in-flight bound must be at least 1")
        self.limit = limit
        self.timeout_s = timeout_s
        self.counters = counters
        self.on_change = on_change
        self.entries: dict[int, _Entry] = {}
        self.open = 0  # entries not timed out
        self.slot = asyncio.Event()
        self.slot.set()
        self.loop = asyncio.get_running_loop()

    @property
    def full(self) -> bool:
        return self.open >= self.limit

    def add(self, item: Item, info: Any) -> None:
        """``info``: paho's MQTTMessageInfo of the QoS-1 publish that handed ``item`` over."""
        mid = info.mid
        timer = self.loop.call_later(self.timeout_s, self._late, mid)
        self.entries[mid] = _Entry(item, info, timer)
        self.open += 1
        if self.full:
            self.slot.clear()

    def on_publish(self, mid: int) -> None:
        """paho's ``on_publish`` for ``mid``: a PUBACK — or a QoS-0 message written under the same (wrapped) mid,
        so it is checked once paho marked the message published (just after its callback returns)."""
        if mid in self.entries:
            self.loop.call_soon(self._check, mid)

    def _check(self, mid: int) -> None:
        entry = self.entries.get(mid)
        if entry is None or not entry.info.is_published():
            return
        del self.entries[mid]
        entry.timer.cancel()
        self.counters["published"] += 1
        if not entry.late:
            self._release()
        self.on_change()

    def _late(self, mid: int) -> None:
        entry = self.entries.get(mid)
        if entry is None or entry.late:
            return
        entry.late = True
        self.counters["publish_timeouts"] += 1
        if self.counters["publish_timeouts"] == 1 or self.counters["publish_timeouts"] % 1000 == 0:
            log.warning("broker slow to confirm a publish (no PUBACK in %g s); carrying on", self.timeout_s)
        self._release()
        self.on_change()

    def _release(self) -> None:
        self.open -= 1
        if not self.full:
            self.slot.set()

    def take(self) -> list[Item]:
        """Empty it (the connection is gone): the messages still unacknowledged, in the order they were handed
        over; those acknowledged but not yet checked are counted as published."""
        unacked: list[Item] = []
        for entry in self.entries.values():
            entry.timer.cancel()
            if entry.info.is_published():
                self.counters["published"] += 1
            else:
                unacked.append(entry.item)
        self.entries.clear()
        self.open = 0
        self.slot.set()
        return unacked

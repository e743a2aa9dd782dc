"""The outgoing side: a bounded buffer of messages waiting for the broker, and the task that publishes it."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque

import aiomqtt

log = logging.getLogger("crampwatch.monitor")


class Outbox:
    """Bounded buffer of (topic, payload, qos, retain) waiting for the broker. On overflow the oldest *status*
    (retained: a newer snapshot supersedes it) is dropped and counted; alerts are kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: deque[tuple[str, bytes, int, bool]] = deque()
        self.ready = asyncio.Event()
        self.drained = asyncio.Event()  # set whenever the buffer is empty
        self.drained.set()
        self.dropped = 0

    def put(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self.items.append((topic, payload, qos, retain))
        self.drained.clear()
        if len(self.items) > self.limit:
            for i, item in enumerate(self.items):
                if item[3]:  # retained = a status snapshot
                    del self.items[i]
                    self.dropped += 1
                    break
        self.ready.set()


async def publish_loop(client: aiomqtt.Client, box: Outbox, counters: Counter[str], timeout_s: float) -> None:
    """Publish the outbox in order over ``client``. A publish the broker does not confirm within ``timeout_s``
    (a stalled broker) stays with paho, which delivers it when the broker resumes: counted, never fatal. A lost
    connection raises; the message stays first in the box for the next connection."""
    while True:
        if not box.items:
            box.ready.clear()
            await box.ready.wait()
            continue
        topic, payload, qos, retain = box.items[0]
        try:
            await client.publish(topic, payload, qos=qos, retain=retain, timeout=timeout_s)
        except aiomqtt.MqttCodeError:
            raise
        except aiomqtt.MqttError as exc:  # "Operation timed out": queued in paho, the broker is slow
            counters["publish_timeouts"] += 1
            if counters["publish_timeouts"] == 1 or counters["publish_timeouts"] % 1000 == 0:
                log.warning("broker slow to confirm a publish (%s); carrying on", exc)
        box.items.popleft()
        if not box.items:
            box.drained.set()
        counters["published"] += 1

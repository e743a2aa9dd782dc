"""What a shard worker sends back through ``amq.topic``: statuses (with ``worker``), alerts (publisher confirms,
each id once per shard: see :mod:`monitor.amqp.state`) and rejection reports. MQTT subscribers receive them on
``crampwatch/v1/...`` unchanged (RabbitMQ's MQTT plugin maps ``/`` to ``.``). With a session history
(:mod:`monitor.amqp.history`), what was emitted is also queued for the coach's review."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from typing import Any

import aio_pika
from aio_pika.abc import AbstractExchange

from alerts.alert import Alert
from monitor.amqp.shard import Shard
from monitor.amqp.state import ShardStore
from monitor.amqp.topology import routing_key
from monitor.core.pipeline import Output
from monitor.core.wire import Topics
from monitor.store.base import SessionStore, Step

log = logging.getLogger("crampwatch.amqp")


class Outputs:
    """The worker's two publishing exchanges (set on each connection) and what goes through them."""

    def __init__(
        self,
        topics: Topics,
        worker_id: str,
        store: ShardStore | None,
        counters: Counter[str],
        history: SessionStore | None = None,
    ) -> None:
        self.topics = topics
        self.history = history
        self.worker_id = worker_id
        self.store = store
        self.counters = counters
        self.plain: AbstractExchange | None = None  # amq.topic, no confirms: statuses, rejections, acks
        self.confirmed: AbstractExchange | None = None  # amq.topic with publisher confirms: alerts

    async def publish(self, topic: str, payload: bytes) -> None:
        assert self.plain is not None
        await self.plain.publish(aio_pika.Message(payload), routing_key=routing_key(topic), mandatory=False)

    async def status(self, status: dict[str, Any]) -> None:
        status["worker"] = self.worker_id
        topic = self.topics.of(status["squad"], status["athlete"], "status")
        await self.publish(topic, json.dumps(status, allow_nan=False).encode())
        self.counters["statuses"] += 1

    async def emit(self, shard: Shard, out: Output) -> None:
        for status in out.statuses:
            await self.status(status)
        for alert in out.alerts:
            await self.alert(shard, alert)
        if self.history is not None:
            self.record(shard, out)

    def record(self, shard: Shard, out: Output) -> None:
        """Queue what the shard's pipelines produced for the session history (per athlete; never blocks)."""
        assert self.history is not None
        groups: dict[tuple[str, str], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
        for status in out.statuses:
            groups.setdefault((status["squad"], status["athlete"]), ([], []))[0].append(status)
        for alert in out.alerts:  # also those already sent (a recomputed tick): the store drops repeats
            groups.setdefault((alert.squad, alert.athlete), ([], []))[1].append(alert.to_dict())
        wall = time.time()
        for (squad, athlete), (statuses, alerts) in groups.items():
            pipe = shard.router.pipelines.get((squad, athlete))
            start = pipe.session_start if pipe is not None else None
            self.history.record_step(Step(squad, athlete, None, None, start, tuple(statuses), tuple(alerts), wall))

    async def open(self) -> None:
        if self.history is not None:
            await self.history.open()

    async def close(self) -> None:
        """Write what the history has queued (bounded wait), then release it."""
        if self.history is not None:
            await self.history.close()

    async def alert(self, shard: Shard, alert: Alert) -> None:
        """Sent once: confirmed by the broker, then its id recorded (store) before the next message is handled."""
        if alert.id in shard.sent:
            self.counters["alerts_deduplicated"] += 1
            return
        payload = json.dumps(alert.to_dict(), allow_nan=False).encode()
        assert self.confirmed is not None
        for topic in (self.topics.of(alert.squad, alert.athlete, "alert"), self.topics.coach_feed(alert.squad)):
            message = aio_pika.Message(payload, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await self.confirmed.publish(message, routing_key=routing_key(topic), mandatory=False)
        shard.sent.add(alert.id)
        self.counters["alerts"] += 1
        if self.store is not None:
            try:
                await self.store.mark_sent(shard.index, (alert.squad, alert.athlete), alert.id, alert.t)
            except Exception as exc:  # the database is away: never skip the rest of the batch for it
                self.counters["alert_ids_unsaved"] += 1
                log.warning("shard %d: alert %s sent, its id not saved (%s): a worker taking the shard over "
                            "before it is saved may send it again", shard.index, alert.id, exc)  # fmt: skip

"""What a shard worker sends back through ``amq.topic``: statuses (with ``worker``), alerts (publisher confirms,
each id once per shard: see :mod:`monitor.amqp.state`) and rejection reports. MQTT subscribers receive them on
``crampwatch/v1/...`` unchanged (RabbitMQ's MQTT plugin maps ``/`` to ``.``)."""

from __future__ import annotations

import json
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


class Outputs:
    """The worker's two publishing exchanges (set on each connection) and what goes through them."""

    def __init__(self, topics: Topics, worker_id: str, store: ShardStore | None, counters: Counter[str]) -> None:
        self.topics = topics
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
        if self.store is not None:
            await self.store.mark_sent(shard.index, (alert.squad, alert.athlete), alert.id, alert.t)
        self.counters["alerts"] += 1

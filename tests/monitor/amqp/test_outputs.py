"""What a shard worker publishes when its store fails (no broker: a stand-in exchange)."""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

from aio_pika.abc import AbstractExchange

from alerts.alert import Alert
from monitor.amqp.outputs import Outputs
from monitor.amqp.shard import Shard
from monitor.amqp.state import Key, MemoryShardStore
from monitor.core.router import Router
from monitor.core.wire import Topics


class Exchange:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def publish(self, message: Any, routing_key: str, **_: Any) -> None:
        self.sent.append(routing_key)


class DownStore(MemoryShardStore):
    async def mark_sent(self, shard: int, key: Key, alert_id: str, t: float) -> None:
        raise ConnectionError("database away")


async def test_an_alert_whose_id_cannot_be_saved_is_sent_once_and_counted() -> None:
    counters: Counter[str] = Counter()
    outputs = Outputs(Topics(), "w", DownStore(), counters)
    exchange = Exchange()
    outputs.confirmed = cast(AbstractExchange, exchange)
    shard = Shard(0, Router(), cast(Any, None), cast(Any, None))
    alert = Alert("a1", 1.0, "sq", "ann", "advice", "hydrate", 0.4, "Drink a few sips", "detail")
    await outputs.alert(shard, alert)  # raised before: the rest of the batch was skipped
    await outputs.alert(shard, alert)  # a recomputed tick: not sent again
    assert exchange.sent == ["crampwatch.v1.sq.ann.alert", "crampwatch.v1._coach.sq.alerts"]
    assert counters["alerts"] == 1 and counters["alert_ids_unsaved"] == 1 and counters["alerts_deduplicated"] == 1

"""The RabbitMQ topology of a sharded deployment, declared by the monitor itself (idempotently).

::

    gateways ──MQTT──> rabbitmq_mqtt ──> amq.topic ──(input leaves only)──> queue crampwatch.ingress
                                             ▲                             (quorum, single active consumer)
                                             │                                      │ relay: stamps the header
                                             │                                      ▼ x-crampwatch-athlete
                statuses, alerts,   ─────────┘            exchange crampwatch.shards (x-consistent-hash,
                rejections (routing key with dots;                                  hash-header)
                MQTT clients see crampwatch/v1/...)         │ weight 1 each
                                                            ▼
                                       queues crampwatch.shard.0 … N-1 (quorum, single active consumer)

Why a relay: the consistent-hash exchange hashes the routing key, which is per *stream*
(``crampwatch.v1.club.ann.hr``), so a runner's hr, pace, session and ack messages would land on different shards.
RabbitMQ 3.10's MQTT plugin (MQTT 3.1.1, no user properties) sets only the headers ``x-mqtt-publish-qos`` and
``x-mqtt-dup`` (checked against the broker), nothing naming the athlete. So one hop reads the athlete from the
routing key and stamps it into a header that the exchange hashes (``hash-header``). The relay keeps the order in
which the broker received a gateway's messages (one ingress queue, one active relay, publishes in delivery
order), which matters: a ``session`` stop must not overtake the samples before it. The relay is stateless, so
RabbitMQ's single-active-consumer failover moves it like any shard.

Every name derives from the topic prefix (``crampwatch/v1`` → ``crampwatch.v1`` in routing keys) and a base name
(default ``crampwatch``). The shard count must stay the same for a deployment: queues of a larger earlier count
stay bound and would still receive their share.
"""

from __future__ import annotations

from dataclasses import dataclass

from aio_pika.abc import AbstractChannel, AbstractExchange
from pamqp.common import FieldTable

from monitor.core.wire import DEFAULT_PREFIX, IN_LEAVES

#: The header the relay stamps and the shard exchange hashes: ``squad.athlete``.
HASH_HEADER = "x-crampwatch-athlete"
MAX_SHARDS = 256


def routing_key(topic: str) -> str:
    """MQTT topic → AMQP routing key (the MQTT plugin's own mapping: ``/`` ↔ ``.``).

    >>> routing_key("crampwatch/v1/club/ann/status")
    'crampwatch.v1.club.ann.status'
    """
    return topic.replace("/", ".")


def topic_of(key: str) -> str:
    """AMQP routing key → MQTT topic (ids never contain dots, so the mapping is exact).

    >>> topic_of("crampwatch.v1.club.ann.hr")
    'crampwatch/v1/club/ann/hr'
    """
    return key.replace(".", "/")


def athlete_of(key: str) -> str:
    """The hash key of a message: ``squad.athlete`` from its routing key (the two words before the leaf).

    >>> athlete_of("crampwatch.v1.club.ann.hr")
    'club.ann'
    """
    words = key.split(".")
    return ".".join(words[-3:-1]) if len(words) >= 3 else key


@dataclass(frozen=True, slots=True)
class Topology:
    """Names of the exchanges and queues for ``shards`` shards under a topic prefix."""

    shards: int
    prefix: str = DEFAULT_PREFIX
    base: str = "crampwatch"

    def __post_init__(self) -> None:
        if not 1 <= self.shards <= MAX_SHARDS:
            raise ValueError(f"shards must be 1-{MAX_SHARDS}")

    @property
    def ingress(self) -> str:
        return f"{self.base}.ingress"

    @property
    def exchange(self) -> str:
        return f"{self.base}.shards"

    @property
    def presence(self) -> str:
        """A queue that nothing is published to and every worker consumes: its consumer count is the number of
        workers (a single-active-consumer queue reports only its active consumer)."""
        return f"{self.base}.workers"

    def queue(self, shard: int) -> str:
        return f"{self.base}.shard.{shard}"

    def input_keys(self) -> list[str]:
        """Binding keys on ``amq.topic`` for the contract's input leaves (never status, alert or ``_monitor``).

        >>> Topology(2).input_keys()[:2]
        ['crampwatch.v1.*.*.hr', 'crampwatch.v1.*.*.pace']
        """
        return [f"{routing_key(self.prefix)}.*.*.{leaf}" for leaf in IN_LEAVES]


QUEUE_ARGS: FieldTable = {"x-queue-type": "quorum", "x-single-active-consumer": True}


async def declare(channel: AbstractChannel, topo: Topology) -> AbstractExchange:
    """Declare (or confirm) exchanges, queues and bindings; returns the shard exchange. Safe to repeat."""
    source = await channel.get_exchange("amq.topic", ensure=False)
    ingress = await channel.declare_queue(topo.ingress, durable=True, arguments=QUEUE_ARGS)
    for key in topo.input_keys():
        await ingress.bind(source, key)
    shards = await channel.declare_exchange(
        topo.exchange, "x-consistent-hash", durable=True, arguments={"hash-header": HASH_HEADER}
    )
    await channel.declare_queue(topo.presence, durable=False, auto_delete=True)
    for k in range(topo.shards):
        queue = await channel.declare_queue(topo.queue(k), durable=True, arguments=QUEUE_ARGS)
        await queue.bind(shards, "1")  # consistent-hash weight: equal shares
    return shards


__all__ = ["HASH_HEADER", "MAX_SHARDS", "Topology", "athlete_of", "declare", "routing_key", "topic_of"]

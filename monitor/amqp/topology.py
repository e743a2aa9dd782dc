"""The RabbitMQ topology of a sharded deployment, declared by the monitor itself (idempotently).

::

    gateways ──MQTT──> rabbitmq_mqtt ──> amq.topic ──(input leaves only)──> queue crampwatch.ingress
                                             ▲                             (quorum, single active consumer)
                                             │                                      │ relay: per round, one batch
                                             │                                      ▼ per shard (shard = CRC-32 of
                statuses, alerts,   ─────────┘                                        squad.athlete mod N)
                rejections (routing key with dots;           default exchange (routing key = queue name)
                MQTT clients see crampwatch/v1/...)                   │
                                                                      ▼
                                       queues crampwatch.shard.0 … N-1 (quorum, single active consumer)

Why a relay: a shard must get *all* of a runner's messages, but the routing key is per *stream*
(``crampwatch.v1.club.ann.hr``), and RabbitMQ 3.10's MQTT plugin (MQTT 3.1.1, no user properties) sets only the
headers ``x-mqtt-publish-qos`` and ``x-mqtt-dup`` (checked against the broker), nothing naming the athlete that an
exchange could hash. So one hop reads the athlete from the routing key. It keeps the order in which the broker
received a gateway's messages (one ingress queue, one active relay, batches published in delivery order), which
matters: a ``session`` stop must not overtake the samples before it. The relay is stateless, so RabbitMQ's
single-active-consumer failover moves it like any shard.

Why batches and not the consistent-hash exchange (the first version stamped each message with a header and let
an ``x-consistent-hash`` exchange place it): one AMQP message per input through a second quorum queue doubled
the broker's per-message work and the workers' AMQP handling; one batch per shard per relay round pays it once
per round (measured in ``docs/scale-out.md``). Placement is a fixed hash of the athlete
(:func:`monitor.amqp.batch.shard_of`): the shard count is fixed for a deployment anyway.

Every name derives from the topic prefix (``crampwatch/v1`` → ``crampwatch.v1`` in routing keys) and a base name
(default ``crampwatch``). The shard count must stay the same for a deployment: a different count places athletes
on other shards (stop every worker, drain the shard queues, then change it).
"""

from __future__ import annotations

from dataclasses import dataclass

from aio_pika.abc import AbstractChannel
from pamqp.common import FieldTable

from monitor.core.wire import DEFAULT_PREFIX, IN_LEAVES

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


async def declare(channel: AbstractChannel, topo: Topology) -> None:
    """Declare (or confirm) the queues and bindings. Safe to repeat."""
    source = await channel.get_exchange("amq.topic", ensure=False)
    ingress = await channel.declare_queue(topo.ingress, durable=True, arguments=QUEUE_ARGS)
    for key in topo.input_keys():
        await ingress.bind(source, key)
    await channel.declare_queue(topo.presence, durable=False, auto_delete=True)
    for k in range(topo.shards):
        await channel.declare_queue(topo.queue(k), durable=True, arguments=QUEUE_ARGS)


__all__ = ["MAX_SHARDS", "Topology", "athlete_of", "declare", "routing_key", "topic_of"]

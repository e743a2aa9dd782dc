"""The relay: ingress queue → shard queues, what arrived for each shard sent as one batch (see :mod:`.batch`).

Every worker consumes the ingress queue; RabbitMQ keeps one of them active. The active relay also *ticks*: at
least every :data:`TICK_S` each shard gets a message (an empty batch when nothing arrived for it). So the active
consumer of a shard learns that it is active without waiting for data (RabbitMQ 3.10 does not tell a consumer),
and the workers balance the shards before a field starts. A relay learns that it is the active one the same way:
every worker *probes* the ingress queue once a second (a message only the active relay receives, never
relayed). Flush markers (:mod:`.flush`) a shard worker puts into the ingress queue are forwarded in order, in the
header of their shard's next batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage, FieldValue

from monitor.amqp import batch as batches
from monitor.amqp.flush import FLUSH, MARKER, SHARD
from monitor.amqp.shard import AMQP_ERRORS
from monitor.amqp.topology import Topology, athlete_of

log = logging.getLogger("crampwatch.amqp")

#: Most ingress messages relayed in one round (the ingress prefetch is twice this).
MAX_BATCH = 2000
#: Every shard gets a message at least this often while a relay is active; every worker probes this often.
TICK_S = 1.0
#: Content type of a probe (published straight to the ingress queue; acknowledged, never relayed).
PROBE = "application/x-crampwatch-probe"


def group(messages: list[AbstractIncomingMessage], topology: Topology) -> dict[int, list[tuple[str, bytes]]]:
    """Per shard, ``(routing key, body)`` of its messages in delivery order."""
    out: dict[int, list[tuple[str, bytes]]] = {}
    for m in messages:
        key = m.routing_key or ""
        out.setdefault(batches.shard_of(athlete_of(key), topology.shards), []).append((key, m.body))
    return out


def markers(messages: list[AbstractIncomingMessage], shards: int) -> dict[int, list[str]]:
    """Per shard, the ids of the flush markers among ``messages`` (one with a bad shard or id is dropped)."""
    out: dict[int, list[str]] = {}
    for m in messages:
        headers = m.headers or {}
        shard, marker = headers.get(SHARD), headers.get(FLUSH)
        if isinstance(shard, int) and 0 <= shard < shards and isinstance(marker, str | bytes):
            out.setdefault(shard, []).append(marker.decode() if isinstance(marker, bytes) else marker)
    return out


class Relay:
    """One worker's relay: :meth:`deliver` is the ingress consumer callback, :meth:`run` the loop."""

    def __init__(self, exchange: AbstractExchange, topology: Topology, counters: Counter[str]) -> None:
        self.exchange = exchange
        self.topology = topology
        self.counters = counters
        self.inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self.delivered_at = -1e18  # monotonic time of the last ingress delivery (data or probe)

    @property
    def active(self) -> bool:
        """Whether RabbitMQ made this worker the active relay (an ingress delivery within three probe periods)."""
        return time.monotonic() - self.delivered_at < 3 * TICK_S

    async def deliver(self, message: AbstractIncomingMessage) -> None:
        self.delivered_at = time.monotonic()
        self.inbox.put_nowait(message)  # synchronous: keeps the delivery order

    async def probe(self) -> None:
        await self.exchange.publish(aio_pika.Message(b"", content_type=PROBE), self.topology.ingress)

    async def mark(self, shard: int, marker: str) -> None:
        """Put a flush marker for ``shard`` into the ingress queue (see :mod:`.flush`)."""
        message = aio_pika.Message(b"", content_type=MARKER, headers={SHARD: shard, FLUSH: marker})
        await self.exchange.publish(message, self.topology.ingress)

    async def run(self) -> None:
        """Each round takes what has arrived (up to :data:`MAX_BATCH`), publishes one persistent batch per shard to
        the shard's queue (``exchange``: the default exchange; publishes take a FIFO lock, so starting them in
        order keeps the order) and acknowledges the round with one multiple-ack once the broker confirmed every
        batch: a crash re-relays, never loses. Returns when the connection goes (the broker requeues the round)."""
        ticked = 0.0
        while True:
            messages: list[AbstractIncomingMessage] = []
            with contextlib.suppress(TimeoutError):
                messages.append(await asyncio.wait_for(self.inbox.get(), TICK_S))
            while not self.inbox.empty() and len(messages) < MAX_BATCH:
                messages.append(self.inbox.get_nowait())
            data = [m for m in messages if m.content_type not in (PROBE, MARKER)]
            groups = group(data, self.topology)
            marks = markers([m for m in messages if m.content_type == MARKER], self.topology.shards)
            for shard in marks:
                groups.setdefault(shard, [])
            now = time.monotonic()
            if now - ticked >= TICK_S and self.active:
                ticked = now
                for shard in range(self.topology.shards):
                    groups.setdefault(shard, [])
            try:
                await asyncio.gather(*(self._publish(k, items, marks.get(k)) for k, items in groups.items()))
                if messages:
                    await messages[-1].ack(multiple=True)
            except AMQP_ERRORS as exc:
                log.warning("relay stopped: %s", exc)
                return
            self.counters["relayed"] += len(data)
            self.counters["relay_batches"] += len(groups)
            self.counters["relay_markers"] += sum(len(v) for v in marks.values())

    async def _publish(self, shard: int, items: list[tuple[str, bytes]], marks: list[str] | None) -> None:
        message = aio_pika.Message(
            batches.encode(items),
            content_type=batches.CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={FLUSH: list[FieldValue](marks)} if marks else None,
        )
        await self.exchange.publish(message, routing_key=self.topology.queue(shard), mandatory=False)

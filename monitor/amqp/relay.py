"""The relay: ingress queue → shard exchange, each message stamped with its athlete (see :mod:`.topology`)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage

from monitor.amqp.shard import AMQP_ERRORS
from monitor.amqp.topology import HASH_HEADER, athlete_of

log = logging.getLogger("crampwatch.amqp")


def stamped(message: AbstractIncomingMessage) -> aio_pika.Message:
    return aio_pika.Message(
        message.body,
        headers={HASH_HEADER: athlete_of(message.routing_key or "")},
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


async def relay_loop(
    exchange: AbstractExchange, inbox: asyncio.Queue[AbstractIncomingMessage], counters: Counter[str]
) -> None:
    """Batches of what has arrived are published in delivery order (publishes take a FIFO lock, so starting them in
    order keeps the order) and acknowledged together once the broker confirmed them all: a crash re-relays, never
    loses. Returns when the connection goes (the broker then requeues the unacknowledged batch)."""
    while True:
        batch = [await inbox.get()]
        while not inbox.empty() and len(batch) < 1000:
            batch.append(inbox.get_nowait())
        publishes = [
            asyncio.ensure_future(exchange.publish(stamped(m), routing_key=m.routing_key or "", mandatory=False))
            for m in batch
        ]
        try:
            await asyncio.gather(*publishes)
            await batch[-1].ack(multiple=True)
        except AMQP_ERRORS as exc:
            log.warning("relay stopped: %s", exc)
            return
        counters["relayed"] += len(batch)

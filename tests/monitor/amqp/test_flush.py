"""Flush markers: a worker that takes a shard over with the runners' data still queued behind a backlog does not
take them for silent (real RabbitMQ node)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aio_pika
import pytest

from monitor.amqp import batch
from monitor.amqp.state import Key, MemoryShardStore, State
from monitor.amqp.topology import Topology, declare, routing_key, topic_of
from monitor.amqp.worker import ShardWorker
from monitor.core.router import Router
from monitor.core.wire import Topics, encode_frames, encode_profile, encode_session
from tests.monitor.amqp.field import computed
from tests.rabbitmq import RabbitNode
from tests.runs import HOT_PROFILE, Collector, hot_fast_run

pytestmark = [pytest.mark.broker, pytest.mark.timeout(300)]

SAVE_S = 0.1  # the slow database of the worker that takes over: every checkpoint costs this much
BACKLOG = 40  # batches queued in the shard while no worker runs; runner A's data only in the last five


Batches = list[list[tuple[str, bytes]]]


class SlowStore(MemoryShardStore):
    """A shard store whose saves take :data:`SAVE_S` (a loaded database): a backlog takes seconds to handle."""

    async def save(self, shard: int, states: dict[Key, State]) -> None:
        await asyncio.sleep(SAVE_S)  # the store's latency, not a synchronisation of the test
        await super().save(shard, states)


def plan(topics: Topics) -> tuple[Batches, Batches]:
    """Two runners on one shard: part one (both start, 60 s each), then :data:`BACKLOG` batches with one second of
    runner B each and runner A's next 40 s only in the last five."""
    frames = {name: hot_fast_run(2, seed=i) for i, name in enumerate(("ra", "rb"))}

    def item(name: str, leaf: str, body: bytes) -> tuple[str, bytes]:
        return routing_key(topics.of("sq", name, leaf)), body

    first: list[tuple[str, bytes]] = []
    for name, run in frames.items():
        first += [item(name, "profile", encode_profile(HOT_PROFILE))]
        first += [item(name, "session", encode_session(run[0].t, "start"))]
        first += [item(name, "frame", encode_frames(run[i : i + 10])) for i in range(0, 60, 10)]
    backlog = [[item("rb", "frame", encode_frames([frames["rb"][60 + i]]))] for i in range(BACKLOG)]
    for k in range(5):
        backlog[BACKLOG - 5 + k].append(item("ra", "frame", encode_frames(frames["ra"][60 + 8 * k : 68 + 8 * k])))
    return [first], backlog


async def put(url: str, topo: Topology, batches: Batches) -> None:
    """Batches straight into shard 0 as the relay sends them, each with the relay's old "caught up" header (a
    batch redelivered after a take-over carried it: the signal that let a worker judge a backlog as silence)."""
    async with await aio_pika.connect(url) as conn:
        channel = await conn.channel()
        for items in batches:
            message = aio_pika.Message(batch.encode(items), content_type=batch.CONTENT_TYPE,
                                       delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                       headers={"x-crampwatch-idle": True})  # fmt: skip
            await channel.default_exchange.publish(message, routing_key=topo.queue(0))


def worker(node: RabbitNode, prefix: str, name: str, store: MemoryShardStore, **options: Any) -> ShardWorker:
    return ShardWorker(node.amqp_url, shards=1, store=store, prefix=prefix, base=prefix.split("/")[0],
                       worker_id=name, rebalance_s=0, **options)  # fmt: skip


def data_ticks(topics: Topics, first: Batches, backlog: Batches) -> list[float]:
    """The event times of runner A's statuses that its backlog data yields by itself (no release): offline."""
    router = Router(topics)
    for items in first:
        for key, body in items:
            router.handle(topic_of(key), body)
    out = []
    for items in backlog:
        for key, body in items:
            out += [s["t"] for s in router.handle(topic_of(key), body).out.statuses if s["athlete"] == "ra"]
    return out


def quiet(statuses: list[dict[str, Any]]) -> set[str]:
    return {s["athlete"] for s in statuses if s.get("session_state") == "quiet"}


async def test_taking_over_a_backlog_releases_nobody_early(rabbit: RabbitNode, prefix: str) -> None:
    topics, topo = Topics(prefix), Topology(1, prefix, prefix.split("/")[0])
    first, backlog = plan(topics)
    expected = data_ticks(topics, first, backlog)
    async with await aio_pika.connect(rabbit.amqp_url) as conn:
        await declare(await conn.channel(), topo)
    store = SlowStore()
    async with Collector(rabbit.mqtt_url, topics) as seen:
        # part one through a first worker (no liveness: its state must be the data's alone), then a clean stop
        async with worker(rabbit, prefix, "one", store, checkpoint_s=0.5, limits=None) as one:
            await one.wait_connected()
            await put(rabbit.amqp_url, topo, first)
            await seen.wait_for(lambda c: {s["athlete"] for s in c.statuses} == {"ra", "rb"}, timeout=60)
        before = len(seen.statuses)
        await put(rabbit.amqp_url, topo, backlog)  # queued while no worker consumes the shard
        # liveness on (the default); prefetch 1: the broker sends one batch at a time, so the worker's inbox is
        # empty between two (the old caught-up signal then judged the backlog as silence: A quiet at once)
        async with worker(rabbit, prefix, "two", store, prefetch=1) as two:
            started = time.monotonic()
            await two.wait_connected()

            def a_statuses(c: Collector) -> list[dict[str, Any]]:
                return [s for s in c.statuses[before:] if s["athlete"] == "ra"]

            await seen.wait_for(lambda c: {s["t"] for s in computed(a_statuses(c))} >= set(expected), timeout=120)
            took = time.monotonic() - started
            # then both fall silent for real: the worker does release them (its markers come back)
            await seen.wait_for(lambda c: quiet(c.statuses[before:]) == {"ra", "rb"}, timeout=60)
        errors = two.counters["errors"]

    assert expected and took > 2.0, took  # the backlog kept worker two busy longer than quiet_s: the case in point
    assert errors == 0 and {s["worker"] for s in seen.statuses[before:]} == {"two"}
    # nobody was released while A's data was still queued behind the backlog: every tick A's data yields by
    # itself came before A's first quiet status (an early release would have sent one after part one)
    a = a_statuses(seen)
    first_quiet = next(i for i, s in enumerate(a) if s.get("session_state") == "quiet")
    assert {s["t"] for s in computed(a[:first_quiet])} >= set(expected)

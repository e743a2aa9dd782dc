"""Wall-clock liveness on shard workers: runners that fall silent are released, re-published as ``quiet`` and their
sessions ended, exactly as the single-process monitor does (real RabbitMQ node; the MQTT service is the
reference, on the same node's MQTT listener)."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pytest

from monitor.amqp.liveness import Limits
from monitor.amqp.state import MemoryShardStore
from monitor.amqp.worker import ShardWorker
from monitor.core.wire import Topics
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from simulators.publish import Message, plan_messages
from tests.monitor.amqp.field import balanced, field_runs, wait_until
from tests.rabbitmq import RabbitNode
from tests.runs import T0, Collector

pytestmark = [pytest.mark.broker, pytest.mark.timeout(600)]

END_S = 6.0  # sessions silent this long (wall clock) end; quiet after 2 s as in production


def phases(prefix: str) -> tuple[list[Message], list[Message], set[tuple[str, str]]]:
    """The field's messages (per stream, lists of 10) in two parts split at 90 s of event time, no session stop:
    the runners fall silent after each part."""
    runs = field_runs(6, minutes=3)
    messages = [
        m for m in plan_messages(runs, mode="samples", batch=10, prefix=prefix) if b'"stop"' not in m.payload
    ]
    first = [m for m in messages if m.at is None or m.at < T0 + 90]
    return first, messages[len(first) :], {(r.squad, r.athlete) for r in runs}


async def send(broker: BrokerURL, messages: Sequence[Message]) -> None:
    async with broker.client() as client:
        for m in messages:
            await client.publish(m.topic, m.payload, qos=m.qos, retain=m.retain)


def states(seen: Collector, state: str) -> set[tuple[str, str]]:
    return {(s["squad"], s["athlete"]) for s in seen.statuses if s.get("session_state") == state}


async def scenario(broker: BrokerURL, prefix: str, seen: Collector) -> list[dict[str, Any]]:
    """Part one, wait until every runner was re-published as quiet, part two, wait until every session ended."""
    first, second, field = phases(prefix)
    await send(broker, first)
    await seen.wait_for(lambda c: states(c, "quiet") == field, timeout=120)
    quiet_at = len(seen.statuses)
    await send(broker, second)
    await seen.wait_for(lambda c: states(c, "finished") == field, timeout=120)
    assert {(s["squad"], s["athlete"]) for s in seen.statuses[quiet_at:] if s.get("session_state") == "quiet"} == field
    return seen.statuses


def comparable(statuses: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Per runner in arrival order, without ``worker`` and the measured ``wall_idle_s``."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for s in statuses:
        out[(s["squad"], s["athlete"])].append({k: v for k, v in s.items() if k not in ("worker", "wall_idle_s")})
    return out


async def test_silent_runners_are_released_and_ended_as_by_the_single_process(rabbit: RabbitNode, prefix: str) -> None:
    one = prefix + "m"
    async with Monitor(rabbit.mqtt_url, prefix=one, idle_end_s=END_S) as monitor:
        await monitor.wait_connected()
        async with Collector(rabbit.mqtt_url, Topics(one)) as seen:
            reference = await scenario(rabbit.mqtt_url, one, seen)

    sharded = prefix + "w"
    store = MemoryShardStore()
    async with contextlib.AsyncExitStack() as stack:
        limits, base = Limits(idle_end_s=END_S), sharded.split("/")[0]
        workers = [
            ShardWorker(rabbit.amqp_url, shards=4, store=store, prefix=sharded, base=base, worker_id=f"w{i}",
                        limits=limits, rebalance_s=1.0)
            for i in range(2)
        ]
        pool = [await stack.enter_async_context(w) for w in workers]
        for worker in pool:
            await worker.wait_connected()
        await wait_until(lambda: balanced(pool, 4), timeout=120)
        seen = await stack.enter_async_context(Collector(rabbit.mqtt_url, Topics(sharded)))
        got = await scenario(rabbit.mqtt_url, sharded, seen)

    assert {s["worker"] for s in got} == {"w0", "w1"}
    assert comparable(got) == comparable(reference)
    # each silence released the held-back seconds once and re-published the last status as quiet
    quiet = [s for s in got if s["session_state"] == "quiet"]
    assert len(quiet) == 2 * 6 and all(s["signal"] == "ok" and s["wall_idle_s"] >= 2.0 for s in quiet)

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
from tests.monitor.amqp.field import balanced, computed, field_runs, wait_until
from tests.rabbitmq import RabbitNode
from tests.runs import T0, Collector

pytestmark = [pytest.mark.broker, pytest.mark.timeout(600)]

QUIET_FIELDS = ("worker", "session_state", "signal", "wall_idle_s")
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
    """Per runner in arrival order, the statuses of ticks (released ones included) without ``worker``."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for s in computed(statuses):
        out[(s["squad"], s["athlete"])].append({k: v for k, v in s.items() if k != "worker"})
    return out


def quiet_after_each_part(statuses: list[dict[str, Any]]) -> bool:
    """Every runner's last status of part one and its last status of all were re-published as ``quiet``, as
    copies (a publisher stalled for 2 s on a loaded machine may add more quiet statuses; those are not asked)."""
    ticks, quiet = comparable(statuses), defaultdict(list)
    for s in statuses:
        if s["session_state"] == "quiet":
            quiet[(s["squad"], s["athlete"])].append({k: v for k, v in s.items() if k not in QUIET_FIELDS})
    for key, seq in ticks.items():
        first = [x for x in seq if x["t"] < T0 + 90][-1]
        last = [x for x in seq if x["session_state"] != "finished"][-1]
        copies = [{k: v for k, v in x.items() if k not in QUIET_FIELDS} for x in (first, last)]
        if not all(c in quiet[key] for c in copies):
            return False
    return len(ticks) == 6


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
    # each silence released the held-back seconds and re-published the last status as quiet
    assert quiet_after_each_part(got) and quiet_after_each_part(reference)
    quiet = [s for s in got if s["session_state"] == "quiet"]
    assert all(s["signal"] == "ok" and s["wall_idle_s"] >= 2.0 for s in quiet)

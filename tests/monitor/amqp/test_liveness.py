"""Wall-clock liveness on shard workers: runners that fall silent are released, re-published as ``quiet`` and their
sessions ended, exactly as the single-process monitor does (real RabbitMQ node; the MQTT service is the
reference, on the same node's MQTT listener)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from monitor.amqp.state import MemoryShardStore
from monitor.amqp.topology import Topology, declare
from monitor.amqp.worker import ShardWorker
from monitor.core.output import PipelineConfig
from monitor.core.wire import Topics
from monitor.liveness import Limits
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from simulators.publish import Message, plan_messages
from tests.monitor.amqp.field import balanced, computed, field_runs, wait_until
from tests.rabbitmq import RabbitNode
from tests.runs import HOT_PROFILE, T0, Collector, hot_fast_run, publish_frames

pytestmark = [pytest.mark.broker, pytest.mark.timeout(600)]

QUIET_FIELDS = ("worker", "session_state", "signal", "wall_idle_s")
END_S = 6.0  # sessions silent this long (wall clock) end; quiet after 2 s as in production
SPLIT = T0 + 90  # part one is the field's first 90 s of event time
LAST_TICK_ONE = SPLIT - PipelineConfig().tick_s  # every runner's last tick of part one (sessions start at T0)


def phases(prefix: str) -> tuple[list[Message], list[Message], set[tuple[str, str]]]:
    """The field's messages (per stream, lists of 10) in two parts split at 90 s of event time, no session stop:
    the runners fall silent after each part."""
    runs = field_runs(6, minutes=3)
    messages = [m for m in plan_messages(runs, mode="samples", batch=10, prefix=prefix) if b'"stop"' not in m.payload]
    first = [m for m in messages if m.at is None or m.at < SPLIT]
    return first, messages[len(first) :], {(r.squad, r.athlete) for r in runs}


async def send(broker: BrokerURL, messages: Sequence[Message]) -> None:
    async with broker.client() as client:
        for m in messages:
            await client.publish(m.topic, m.payload, qos=m.qos, retain=m.retain)


def states(seen: Collector, state: str, *, t: float = 0.0) -> set[tuple[str, str]]:
    """The runners with a status in ``state`` of a tick at ``t`` or later."""
    return {(s["squad"], s["athlete"]) for s in seen.statuses if s.get("session_state") == state and s["t"] >= t}


async def scenario(broker: BrokerURL, prefix: str, seen: Collector) -> list[dict[str, Any]]:
    """Part one, wait until every runner was re-published as quiet at its end, part two, wait until every session
    ended. The quiet copy of the last tick of part one, not any quiet status: a publisher stalled for 2 s on a loaded
    machine makes runners quiet in the middle of part one, and part two must not follow before part one's silence."""
    first, second, field = phases(prefix)
    await send(broker, first)
    await seen.wait_for(lambda c: states(c, "quiet", t=LAST_TICK_ONE) == field, timeout=120)
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
        first = [x for x in seq if x["t"] < SPLIT][-1]
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
            ShardWorker(
                rabbit.amqp_url,
                shards=4,
                store=store,
                prefix=sharded,
                base=base,
                worker_id=f"w{i}",
                limits=limits,
                rebalance_s=1.0,
            )
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


async def test_a_silent_runner_goes_quiet_stale_lost_and_its_session_ends(rabbit: RabbitNode, prefix: str) -> None:
    """A runner whose gateway stops without a ``stop``: ``quiet`` (signal ok, stale, lost) and then its session ends,
    with the single-process monitor's rules on a shortened clock."""
    limits = Limits(quiet_s=2.0, idle_stale_s=4.0, idle_lost_s=6.0, idle_end_s=9.0, idle_publish_s=1.0)
    frames = hot_fast_run(1, seed=3)
    worker = ShardWorker(rabbit.amqp_url, shards=2, store=MemoryShardStore(), prefix=prefix,
                         base=prefix.split("/")[0], worker_id="w", limits=limits)  # fmt: skip
    async with worker, Collector(rabbit.mqtt_url, Topics(prefix)) as seen:
        await worker.wait_connected()
        await publish_frames(rabbit.mqtt_url, "sq", "ann", frames, profile=HOT_PROFILE, chunk=10, stop=False,
                             topics=Topics(prefix))  # fmt: skip
        await seen.wait_for(lambda c: any(s["session_state"] == "finished" for s in c.statuses), timeout=60)
        pipelines = [p for k in worker.active_shards for p in worker.shards[k].router.pipelines.values()]

    quiet = [s for s in seen.statuses if s["session_state"] == "quiet"]
    signals = [s["signal"] for s in quiet]
    assert "stale" in signals and signals[-1] == "lost"  # ok first, unless the machine held the first judging back
    assert signals == sorted(signals, key=["ok", "stale", "lost"].index)  # never back
    idle = [s["wall_idle_s"] for s in quiet]
    assert idle == sorted(idle) and idle[0] >= limits.quiet_s and idle[-1] <= limits.idle_end_s  # rounded to 0.1 s
    ticks = computed(seen.statuses)
    assert ticks[-1]["session_state"] == "finished" and seen.statuses[-1] is ticks[-1]  # the end comes last
    assert ticks[-1]["t"] >= quiet[-1]["t"] >= ticks[-2]["t"]  # ended at its data's end, after the quiet copies
    assert pipelines and not any(p.active for p in pipelines)


async def test_monitor_amqp_judges_silence_by_default(rabbit: RabbitNode, prefix: str, tmp_path: Path) -> None:
    """The real ``crampwatch monitor --amqp`` (no liveness flag): a runner that falls silent is re-published as
    ``quiet`` within seconds."""
    command = [sys.executable, "-m", "monitor.cli", "monitor", "--amqp", rabbit.amqp_url, "--shards", "2",
               "--prefix", prefix, "--worker-id", "cli", "--store", "none"]  # fmt: skip
    async with await aio_pika.connect(rabbit.amqp_url) as conn:  # amq.topic drops what no binding routes yet
        await declare(await conn.channel(), Topology(2, prefix))
    with (tmp_path / "worker.log").open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        async with Collector(rabbit.mqtt_url, Topics(prefix)) as seen:
            await publish_frames(rabbit.mqtt_url, "sq", "bob", hot_fast_run(1, seed=4), profile=HOT_PROFILE,
                                 chunk=10, stop=False, topics=Topics(prefix))  # fmt: skip
            await seen.wait_for(lambda c: any(s["session_state"] == "quiet" for s in c.statuses), timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    quiet = next(s for s in seen.statuses if s["session_state"] == "quiet")
    assert quiet["worker"] == "cli" and quiet["signal"] == "ok" and quiet["wall_idle_s"] >= 2.0

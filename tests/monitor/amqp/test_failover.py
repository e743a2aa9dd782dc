"""A worker SIGKILLed mid-run: its shards move to the others, nothing lost, no alert repeated (PostgreSQL state)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import aio_pika
import pytest

from monitor.amqp.history import SharedHistory
from monitor.amqp.state import MemoryShardStore
from monitor.amqp.topology import Topology, declare
from monitor.core.wire import Topics
from simulators.publish import publish
from tests.monitor.amqp.field import by_athlete, field_runs, finished, run_field, stored_history, workers_in_order
from tests.rabbitmq import RabbitNode
from tests.runs import Collector

pytestmark = [pytest.mark.broker, pytest.mark.timeout(900)]


def worker_process(node: RabbitNode, pg_url: str, prefix: str, name: str, log: Path) -> subprocess.Popen[bytes]:
    """``crampwatch monitor --amqp ... --shards 9 --store postgresql://...`` as a real process."""
    command = [
        sys.executable, "-m", "monitor.cli", "monitor", "--amqp", node.amqp_url, "--shards", "9",
        "--store", pg_url, "--prefix", prefix, "--worker-id", name, "--log-level", "info",
    ]  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


async def test_sigkilled_worker_loses_nothing_and_repeats_no_alert(
    rabbit: RabbitNode, pg_url: str, pg_url2: str, prefix: str, tmp_path: Path
) -> None:
    runs = field_runs(18, minutes=20)
    reference, _ = await run_field(rabbit, prefix + "r", runs, workers=1, shards=6, stores=[MemoryShardStore()],
                                   histories=[SharedHistory(pg_url2)])  # fmt: skip

    async def scenario() -> tuple[Collector, str, float]:
        topics = Topics(prefix)
        # the topology must exist before gateways publish (amq.topic drops what no binding routes): declare it
        # as the workers will, idempotently; durable queues then hold the data until a worker is up
        async with await aio_pika.connect(rabbit.amqp_url) as conn:
            await declare(await conn.channel(), Topology(9, prefix))
        procs = {f"p{i}": worker_process(rabbit, pg_url, prefix, f"p{i}", tmp_path / f"p{i}.log") for i in range(3)}
        try:
            async with Collector(rabbit.mqtt_url, topics) as seen:
                # wait until at least two workers compute (a worker learns that it is a shard's active consumer
                # only when a message arrives there: with empty shards the third may idle until the kill)
                publisher = asyncio.create_task(
                    publish(rabbit.mqtt_url, runs, mode="samples", batch=5, prefix=prefix, speed=60.0)
                )
                await seen.wait_for(lambda c: len({s["worker"] for s in c.statuses}) >= 2, timeout=240)
                # kill the busiest worker mid-run, without a chance to checkpoint or say goodbye
                busiest = Counter(s["worker"] for s in seen.statuses).most_common(1)[0][0]
                victims = {(s["squad"], s["athlete"]) for s in seen.statuses if s["worker"] == busiest}
                procs[busiest].send_signal(signal.SIGKILL)
                procs[busiest].wait()
                killed_at, before = time.monotonic(), len(seen.statuses)

                def taken_over(c: Collector) -> set[tuple[str, str]]:
                    later = c.statuses[before:]
                    return {(s["squad"], s["athlete"]) for s in later if s["worker"] != busiest} & victims

                await seen.wait_for(lambda c: bool(taken_over(c)), timeout=120)
                moved_after = time.monotonic() - killed_at  # the first of its runners goes on elsewhere
                await seen.wait_for(lambda c: taken_over(c) == victims, timeout=300)
                await publisher
                await seen.wait_for(finished(runs), timeout=400)
                return seen, busiest, moved_after
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs.values():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=20)

    seen, killed, moved_after = await scenario()
    # the killed worker's shards were taken over within seconds, and all its runners went on elsewhere
    assert moved_after < 30, moved_after
    owners = workers_in_order(seen.statuses)
    assert any(killed in seq and seq[-1] != killed for seq in owners.values())
    assert all(seq.count(killed) <= 1 for seq in owners.values())  # never back to the dead worker
    # no sample lost: every tick of every runner equals the uninterrupted single-process run's
    assert by_athlete(seen.statuses) == by_athlete(reference.statuses)
    # no alert repeated, none missing
    ids = [a["id"] for a in seen.alerts]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(a["id"] for a in reference.alerts)
    assert ids
    # the coach's session history the three workers wrote (the killed one's part, the redelivered batches computed
    # again by the next) equals the uninterrupted run's: one session per runner, no status or alert twice
    history, expected = await stored_history(pg_url), await stored_history(pg_url2)
    assert sorted((h["summary"]["squad"], h["summary"]["athlete"]) for h in history.values()) == sorted(
        (r.squad, r.athlete) for r in runs
    )
    assert history == expected

"""The real ``crampwatch monitor --amqp ... --store postgresql://... --broker ... --http ...`` process, as
docs/scale-out.md starts it: its dashboard's history pages read the workers' session history."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import pytest

from monitor.amqp.topology import Topology, declare
from monitor.core.wire import Topics
from monitor.mqtt.embedded import free_port
from tests.brokers import wait_port
from tests.rabbitmq import RabbitNode
from tests.runs import HOT_PROFILE, Collector, hot_fast_run, publish_frames

pytestmark = [pytest.mark.broker, pytest.mark.timeout(300)]


async def stored_sessions(url: str, timeout: float) -> list[dict[str, Any]]:
    """``GET /api/sessions`` until it lists a closed session (the history's writer thread writes after the
    statuses went out: the first rows may be there before the finished one)."""
    async with aiohttp.ClientSession() as http:

        async def poll() -> list[dict[str, Any]]:
            while True:
                async with http.get(url) as resp:
                    assert resp.status == 200, await resp.text()  # 503 when the dashboard has no store
                    rows: list[dict[str, Any]] = await resp.json()
                if rows and not any(r["open"] for r in rows):
                    return rows
                await asyncio.sleep(0.2)

        return await asyncio.wait_for(poll(), timeout)


async def test_worker_dashboard_lists_the_workers_sessions(
    rabbit: RabbitNode, pg_url: str, prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    mqtt = rabbit.mqtt_url
    command = [sys.executable, "-m", "monitor.cli", "monitor", "--amqp", rabbit.amqp_url, "--shards", "2",
               "--prefix", prefix, "--worker-id", "cli", "--store", pg_url,
               "--broker", f"mqtt://{mqtt.username}:{mqtt.password}@{mqtt.host}:{mqtt.port}",
               "--http", f"127.0.0.1:{port}"]  # fmt: skip
    async with await aio_pika.connect(rabbit.amqp_url) as conn:  # amq.topic drops what no binding routes yet
        await declare(await conn.channel(), Topology(2, prefix))
    with (tmp_path / "worker.log").open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        # the worker consumes (and may finish the session) before its dashboard listens: wait for the dashboard, as
        # a coach opening it would, before the runner starts (its port refused the history query on a loaded machine)
        await asyncio.to_thread(wait_port, port, timeout=60)
        async with Collector(mqtt, Topics(prefix)) as seen:
            await publish_frames(mqtt, "sq", "bob", hot_fast_run(2, seed=4), profile=HOT_PROFILE, chunk=10,
                                 topics=Topics(prefix))  # fmt: skip
            await seen.wait_for(lambda c: any(s["session_state"] == "finished" for s in c.statuses), timeout=90)
        rows = await stored_sessions(f"http://127.0.0.1:{port}/api/sessions", timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    log = (tmp_path / "worker.log").read_text()
    assert [(r["squad"], r["athlete"]) for r in rows] == [("sq", "bob")], log
    assert rows[0]["duration_s"] > 60 and proc.returncode == 0, log

"""Sharded throughput on RabbitMQ: one worker process against three, side by side, on the same input.

A private RabbitMQ node (free ports) and a PostgreSQL database (local server) are started/created here. The whole
field (``--runners`` runners x ``--minutes`` of 1 Hz data, two of three hot and fast) is first published over MQTT
into the durable ingress queue (the topology declared beforehand), then ``--workers`` worker processes
(``crampwatch monitor --amqp ... --store postgresql://...``) start and the time until every runner's final status
has arrived is measured. Throughput = messages / that time. Each configuration uses a fresh topology and database.

    python -m benchmarks.bench_scale_out [--runners 600] [--minutes 5] [--workers 1 3] [--mode frame|samples]

The machine has 2 cores shared with the broker, PostgreSQL and the publisher: three workers cannot be three
times one; the numbers say how much of the extra CPU the design turns into throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika
import psycopg

from monitor.amqp.topology import Topology, declare
from monitor.core.wire import Topics
from simulators.publish import publish
from tests.monitor.amqp.field import field_runs, finished
from tests.rabbitmq import RabbitNode
from tests.runs import Collector

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


async def one_config(node: RabbitNode, runs: list, workers: int, shards: int, mode: str, tmp: Path) -> dict:  # type: ignore[type-arg]
    prefix = f"bench{uuid.uuid4().hex[:6]}/v1"
    db = f"crampwatch_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    try:
        async with await aio_pika.connect(node.amqp_url) as conn:
            await declare(await conn.channel(), Topology(shards, prefix))
        published = time.monotonic()
        stats = await publish(node.mqtt_url, runs, mode=mode, batch=1, prefix=prefix)  # type: ignore[arg-type]
        published = time.monotonic() - published
        async with Collector(node.mqtt_url, Topics(prefix)) as seen:
            began = time.monotonic()
            store = f"postgresql://postgres@127.0.0.1:5432/{db}"
            procs = []
            for i in range(workers):
                command = [
                    sys.executable, "-m", "monitor.cli", "monitor", "--amqp", node.amqp_url, "--shards", str(shards),
                    "--store", store, "--prefix", prefix, "--worker-id", f"w{i}", "--log-level", "info",
                ]  # fmt: skip
                log = (tmp / f"w{workers}-{i}.log").open("wb")
                procs.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
            try:
                await seen.wait_for(finished(runs), timeout=3600)
                wall = time.monotonic() - began
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(timeout=30)
        per_worker = {}
        for i in range(workers):
            text = (tmp / f"w{workers}-{i}.log").read_text()
            match = re.search(r"'messages': (\d+)", text.splitlines()[-1] if text else "")
            per_worker[f"w{i}"] = int(match.group(1)) if match else None
        return {
            "workers": workers,
            "messages": stats.messages,
            "publish_s": published,
            "wall_s": wall,
            "msg_per_s": stats.messages / wall,
            "runner_s_per_s": sum(len(r.frames) for r in runs) / wall,
            "statuses": len(seen.statuses),
            "alerts": len(seen.alerts),
            "alert_ids": sorted(a["id"] for a in seen.alerts),
            "per_worker_messages": per_worker,
        }
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runners", type=int, default=600)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--shards", type=int, default=12)
    parser.add_argument("--mode", choices=["frame", "samples"], default="frame")
    args = parser.parse_args()
    runs = field_runs(args.runners, args.minutes)
    tmp = Path(tempfile.mkdtemp(prefix="crampwatch-bench-"))
    node = RabbitNode(tmp / "rabbit")
    node.start()
    try:
        results = [
            asyncio.run(one_config(node, runs, w, args.shards, args.mode, tmp)) for w in args.workers
        ]
    finally:
        node.stop()
    print(f"{args.runners} runners x {args.minutes:g} min at 1 Hz, mode {args.mode}, {args.shards} shards")
    for r in results:
        print(
            f"workers {r['workers']}: {r['messages']} messages drained in {r['wall_s']:.1f} s = "
            f"{r['msg_per_s']:,.0f} msg/s ({r['runner_s_per_s']:,.0f} runner-seconds/s); "
            f"published beforehand in {r['publish_s']:.1f} s; statuses {r['statuses']}, alerts {r['alerts']}; "
            f"messages per worker {r['per_worker_messages']}"
        )
    same = all(r["alert_ids"] == results[0]["alert_ids"] for r in results)
    print(f"same alert ids in every configuration: {same}")


if __name__ == "__main__":
    main()

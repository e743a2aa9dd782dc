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
import contextlib
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import psycopg

from monitor.amqp.topology import Topology, declare
from monitor.core.wire import Topics
from simulators.publish import Mode, Run, publish
from tests.monitor.amqp.field import field_runs, finished
from tests.rabbitmq import RabbitNode
from tests.runs import Collector

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found + [g for c in found for g in children(c)]


def broker_pids(node: RabbitNode) -> list[int]:
    """The node's Erlang VM (and its helpers): the start script's descendants."""
    assert node.proc is not None
    return [node.proc.pid, *children(node.proc.pid)]


def postgres_pids() -> list[int]:
    """Every process of the local PostgreSQL server (others' sessions included: noted in the output)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError):
                if (d / "comm").read_text().strip() in ("postgres",):
                    pids.append(int(d.name))
    return pids


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def one_config(
    node: RabbitNode, runs: list[Run], workers: int, shards: int, mode: Mode, checkpoint: float, tmp: Path
) -> dict[str, Any]:
    prefix = f"bench{uuid.uuid4().hex[:6]}/v1"
    db = f"crampwatch_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    try:
        async with await aio_pika.connect(node.amqp_url) as conn:
            await declare(await conn.channel(), Topology(shards, prefix))
        published = time.monotonic()
        stats = await publish(node.mqtt_url, runs, mode=mode, batch=1, prefix=prefix)
        published = time.monotonic() - published
        async with Collector(node.mqtt_url, Topics(prefix)) as seen:
            broker, pg = broker_pids(node), postgres_pids()
            cpu0, load0 = {"broker": sum(map(cpu_s, broker)), "postgres": sum(map(cpu_s, pg))}, load()
            self0 = resource.getrusage(resource.RUSAGE_SELF)
            began = time.monotonic()
            store = f"postgresql://postgres@127.0.0.1:5432/{db}"
            procs = []
            for i in range(workers):
                command = [
                    sys.executable, "-m", "monitor.cli", "monitor", "--amqp", node.amqp_url, "--shards", str(shards),
                    "--store", store, "--prefix", prefix, "--worker-id", f"w{i}", "--log-level", "info",
                    "--checkpoint", str(checkpoint),
                ]  # fmt: skip
                log = (tmp / f"w{workers}-{i}.log").open("wb")
                procs.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
            try:
                await seen.wait_for(finished(runs), timeout=3600)
                wall = time.monotonic() - began
                worker_cpu = [cpu_s(p.pid) for p in procs]
                self1 = resource.getrusage(resource.RUSAGE_SELF)
                cpu1, load1 = {"broker": sum(map(cpu_s, broker)), "postgres": sum(map(cpu_s, postgres_pids()))}, load()
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(timeout=30)
        per_worker = []
        for i in range(workers):
            text = (tmp / f"w{workers}-{i}.log").read_text()
            stopped = text.splitlines()[-1] if text else ""
            started = re.search(r"connected .*\(cpu ([\d.]+) s\)", text)
            startup = float(started.group(1)) if started else 0.0
            per_worker.append(
                {
                    "id": f"w{i}",
                    "messages": int(m.group(1)) if (m := re.search(r"'messages': (\d+)", stopped)) else 0,
                    "relayed": int(m.group(1)) if (m := re.search(r"'relayed': (\d+)", stopped)) else 0,
                    "cpu_s": worker_cpu[i] - startup,
                    "startup_cpu_s": startup,
                }
            )
        n = stats.messages
        return {
            "workers": workers,
            "messages": n,
            "publish_s": published,
            "wall_s": wall,
            "msg_per_s": n / wall,
            "runner_s_per_s": sum(len(r.frames) for r in runs) / wall,
            "statuses": len(seen.statuses),
            "alerts": len(seen.alerts),
            "alert_ids": sorted(a["id"] for a in seen.alerts),
            "per_worker": per_worker,
            "broker_cpu_s": cpu1["broker"] - cpu0["broker"],
            "postgres_cpu_s": cpu1["postgres"] - cpu0["postgres"],
            "collector_cpu_s": (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime),
            "load": (load0, load1),
        }
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def report(r: dict[str, Any]) -> str:
    n = r["messages"]
    lines = [
        f"workers {r['workers']}: {n} messages drained in {r['wall_s']:.1f} s = {r['msg_per_s']:,.0f} msg/s "
        f"({r['runner_s_per_s']:,.0f} runner-seconds/s); load {r['load'][0]} -> {r['load'][1]}; "
        f"statuses {r['statuses']}, alerts {r['alerts']} (published beforehand in {r['publish_s']:.1f} s)"
    ]
    total = sum(w["cpu_s"] for w in r["per_worker"])
    used = total + r["broker_cpu_s"] + r["postgres_cpu_s"] + r["collector_cpu_s"]
    for w in r["per_worker"]:
        lines.append(
            f"  {w['id']}: {w['messages']} handled, {w['relayed']} relayed, CPU {w['cpu_s']:.1f} s "
            f"(+{w['startup_cpu_s']:.1f} s start-up) = {w['cpu_s'] / r['wall_s']:.0%} of a core"
        )
    lines.append(
        f"  CPU per input message: workers {1e6 * total / n:,.0f} us, broker {1e6 * r['broker_cpu_s'] / n:,.0f} us, "
        f"PostgreSQL {1e6 * r['postgres_cpu_s'] / n:,.0f} us (whole server), status collector "
        f"{1e6 * r['collector_cpu_s'] / n:,.0f} us; CPU used {used / r['wall_s']:.2f} cores"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runners", type=int, default=600)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--shards", type=int, default=12)
    parser.add_argument("--mode", choices=["frame", "samples"], default="frame")
    parser.add_argument("--checkpoint", type=float, default=5.0, help="the workers' --checkpoint (s)")
    args = parser.parse_args()
    runs = field_runs(args.runners, args.minutes)
    tmp = Path(tempfile.mkdtemp(prefix="crampwatch-bench-"))
    node = RabbitNode(tmp / "rabbit")
    node.start()
    try:
        results = [
            asyncio.run(one_config(node, runs, w, args.shards, args.mode, args.checkpoint, tmp)) for w in args.workers
        ]
    finally:
        node.stop()
    print(f"{args.runners} runners x {args.minutes:g} min at 1 Hz, mode {args.mode}, {args.shards} shards, "
          f"checkpoint {args.checkpoint:g} s")  # fmt: skip
    for r in results:
        print(report(r))
    same = all(r["alert_ids"] == results[0]["alert_ids"] for r in results)
    print(f"same alert ids in every configuration: {same}")


if __name__ == "__main__":
    main()

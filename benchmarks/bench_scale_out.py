"""Sharded throughput on RabbitMQ: one worker process against two and three, side by side, on the same input.

A private RabbitMQ node (free ports) and a PostgreSQL database (local server) are started/created here; each
configuration gets a fresh topology and database. By default the ``--workers`` worker processes (``crampwatch
monitor --amqp ... --store postgresql://...``) start first and balance the shards (their logs tell), then the
field (``--runners`` runners x ``--minutes`` of 1 Hz frames, two of three hot and fast) is published over MQTT as
fast as the broker takes it; ``--backlog`` publishes the whole field into the ingress queue before the workers
start (the first worker up then takes every shard until the others line up). Measured: the time from the start
of the run until every runner's final status has arrived, and the CPU seconds of every worker, of the broker (the
Erlang VM) and of the PostgreSQL server (all of its processes) over that time.

    python -m benchmarks.bench_scale_out [--runners 600] [--minutes 1] [--workers 1 2 3] [--backlog]

The machine has 2 cores shared with the broker, PostgreSQL, the publisher and whatever else runs: the load
average is printed beside every figure, and CPU per message is the figure that survives a busy machine.
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

from monitor.amqp.shard import share
from monitor.amqp.topology import Topology, declare
from monitor.core.wire import Topics
from simulators.publish import Mode, PublishStats, Run, publish
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


async def timed_publish(
    node: RabbitNode, runs: list[Run], mode: Mode, prefix: str, batch: int = 1
) -> tuple[PublishStats, float]:
    began = time.monotonic()
    stats = await publish(node.mqtt_url, runs, mode=mode, batch=batch, prefix=prefix)
    return stats, time.monotonic() - began


def start_workers(
    node: RabbitNode, workers: int, shards: int, store: str, prefix: str, checkpoint: float, tmp: Path
) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(workers):
        command = [
            sys.executable, "-m", "monitor.cli", "monitor", "--amqp", node.amqp_url, "--shards", str(shards),
            "--store", store, "--prefix", prefix, "--worker-id", f"w{i}", "--log-level", "info",
            "--checkpoint", str(checkpoint),
        ]  # fmt: skip
        log = (tmp / f"w{workers}-{i}.log").open("wb")
        procs.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
    return procs


def held(log: Path) -> int:
    """Shards a worker is the active consumer of, from its log (activations minus hand-overs)."""
    text = log.read_text() if log.exists() else ""
    return text.count(" active on shard ") - text.count(" hands shard ")


async def wait_balanced(tmp: Path, workers: int, shards: int, timeout: float = 300.0) -> None:
    """Until every worker holds shards (the relay may hold none when its share is none) and all are held, twice in
    a row a second apart (logs)."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < 2:
        counts = [held(tmp / f"w{workers}-{i}.log") for i in range(workers)]
        idle = share(shards, workers, relay=True) == 0  # the relay's share may be none (e.g. 2 workers, 2 shards)
        spread = min(counts) > 0 or (idle and counts.count(0) == 1)
        streak = streak + 1 if sum(counts) == shards and spread else 0
        if time.monotonic() > deadline:
            raise TimeoutError(f"workers not balanced after {timeout:g} s: {counts}")
        await asyncio.sleep(1.0)


async def one_config(
    node: RabbitNode, runs: list[Run], workers: int, shards: int, mode: Mode, checkpoint: float, flowing: bool,
    tmp: Path, batch: int = 1,
) -> dict[str, Any]:  # fmt: skip
    prefix = f"bench{uuid.uuid4().hex[:6]}/v1"
    db = f"crampwatch_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    try:
        async with await aio_pika.connect(node.amqp_url) as conn:
            await declare(await conn.channel(), Topology(shards, prefix))
        store = f"postgresql://postgres@127.0.0.1:5432/{db}"
        procs: list[subprocess.Popen[bytes]] = []
        if not flowing:  # the whole field waits in the ingress queue before the first worker starts
            stats, published = await timed_publish(node, runs, mode, prefix, batch)
        async with Collector(node.mqtt_url, Topics(prefix)) as seen:
            try:
                if flowing:  # workers first, balanced (the relay's ticks) before the field is published
                    procs = start_workers(node, workers, shards, store, prefix, checkpoint, tmp)
                    await wait_balanced(tmp, workers, shards)
                broker, pg = broker_pids(node), postgres_pids()
                cpu0, load0 = {"broker": sum(map(cpu_s, broker)), "postgres": sum(map(cpu_s, pg))}, load()
                base = [cpu_s(p.pid) for p in procs]
                self0 = resource.getrusage(resource.RUSAGE_SELF)
                began = time.monotonic()
                if flowing:
                    stats, published = await timed_publish(node, runs, mode, prefix, batch)
                else:
                    procs = start_workers(node, workers, shards, store, prefix, checkpoint, tmp)
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
            startup = base[i] if flowing else float(started.group(1)) if started else 0.0
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
    parser.add_argument("--minutes", type=float, default=1)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--shards", type=int, default=12)
    parser.add_argument("--mode", choices=["frame", "samples"], default="frame")
    parser.add_argument("--batch", type=int, default=1, help="frames (or samples) per message: 1-600 (a JSON list)")
    parser.add_argument("--checkpoint", type=float, default=5.0, help="the workers' --checkpoint (s)")
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="publish the whole field before the workers start (default: workers first, balanced, then publish "
        "as fast as the broker takes it)",
    )
    args = parser.parse_args()
    runs = field_runs(args.runners, args.minutes)
    tmp = Path(tempfile.mkdtemp(prefix="crampwatch-bench-"))
    node = RabbitNode(tmp / "rabbit")
    node.start()
    try:
        results = []
        for w in args.workers:
            flowing = not args.backlog
            config = one_config(node, runs, w, args.shards, args.mode, args.checkpoint, flowing, tmp, args.batch)
            results.append(asyncio.run(config))
    finally:
        node.stop()
    order = "the field published first" if args.backlog else "workers first (balanced), then the field published"
    print(f"{args.runners} runners x {args.minutes:g} min at 1 Hz, mode {args.mode}, {args.batch} per message, "
          f"{args.shards} shards, checkpoint {args.checkpoint:g} s, {order}")  # fmt: skip
    for r in results:
        print(report(r))
    same = all(r["alert_ids"] == results[0]["alert_ids"] for r in results)
    print(f"same alert ids in every configuration: {same}")


if __name__ == "__main__":
    main()

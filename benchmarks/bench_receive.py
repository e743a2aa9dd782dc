"""Receive rate: the monitor against a bare aiomqtt consumer, same Mosquitto, same load, same run.

A load generator in its own process publishes pre-built per-stream samples (QoS 0: ``athletes`` × 4 topics, one
sample per topic per event second) as fast as it can; each consumer is timed from its first to its last message.
The monitor does everything it does in service (parse, grid, ticks, statuses published); the bare consumer only
counts. A quick comparison for the receive path; ``docs/performance.md`` has the full suite.

    python -m benchmarks.bench_receive [--athletes 400] [--seconds 75]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiomqtt

from monitor.mqtt.broker import BrokerURL

T0 = 1_732_400_000.0
VALUES = {"hr": 150.0, "pace": 300.0, "cadence": 172.0, "temp": 20.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_mosquitto(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 1000000\nmax_inflight_messages 0\nuser root\n"
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def build_load(athletes: int, seconds: int) -> list[tuple[str, bytes]]:
    out = []
    for s in range(seconds):
        for a in range(athletes):
            for stream, v in VALUES.items():
                out.append((f"crampwatch/v1/bench/a{a}/{stream}", b'{"t":%.1f,"v":%.1f}' % (T0 + s, v)))
    return out


def generate(port: int, athletes: int, seconds: int, go: mp.synchronize.Event) -> None:
    """The load generator (own process): paho, QoS 0, as fast as possible."""
    import paho.mqtt.client as paho

    load = build_load(athletes, seconds)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    go.wait()
    for topic, payload in load:
        client.publish(topic, payload, qos=0)
    while client.want_write():
        time.sleep(0.01)
    time.sleep(0.5)
    client.loop_stop()
    client.disconnect()


async def bare_aiomqtt(port: int, total: int, ready: asyncio.Event) -> float:
    n = 0
    first = 0.0
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.subscribe("crampwatch/v1/+/+/+", qos=1)
        ready.set()
        async for _ in client.messages:
            n += 1
            if n == 1:
                first = time.perf_counter()
            if n >= total:
                return n / (time.perf_counter() - first)
    return 0.0


async def monitor_rate(port: int, total: int, ready: asyncio.Event) -> float:
    from monitor.mqtt.service import Monitor

    monitor = Monitor(BrokerURL("127.0.0.1", port))
    first = 0.0
    done = asyncio.Event()

    def observe(*_: object) -> None:
        nonlocal first
        n = monitor.router.counters["messages"]
        if n == 1:
            first = time.perf_counter()
        if n >= total:
            done.set()

    monitor.observers.append(observe)
    async with monitor:
        await monitor.wait_connected()
        ready.set()
        await done.wait()
        return total / (time.perf_counter() - first)


async def run_one(kind: str, port: int, athletes: int, seconds: int) -> float:
    total = athletes * seconds * 4
    ready = asyncio.Event()
    consumer = asyncio.create_task(
        (bare_aiomqtt if kind == "aiomqtt" else monitor_rate)(port, total, ready)  # type: ignore[operator]
    )
    await asyncio.wait_for(ready.wait(), 20)
    go = mp.get_context("spawn").Event()
    proc = mp.get_context("spawn").Process(target=generate, args=(port, athletes, seconds, go))
    proc.start()
    go.set()
    try:
        return await asyncio.wait_for(consumer, 600)
    finally:
        proc.join(30)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--athletes", type=int, default=400)
    p.add_argument("--seconds", type=int, default=75)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_mosquitto(Path(tmp))
        try:
            rates = {
                kind: asyncio.run(run_one(kind, port, args.athletes, args.seconds)) for kind in ("aiomqtt", "monitor")
            }
        finally:
            proc.terminate()
            proc.wait()
    total = args.athletes * args.seconds * 4
    print(
        f"{total} QoS 0 messages ({args.athletes} athletes x 4 per-stream topics x {args.seconds} s), "
        f"Python {sys.version.split()[0]}"
    )
    for kind, rate in rates.items():
        print(f"  {kind:<8} {rate:>10,.0f} msg/s")
    print(f"  monitor / bare aiomqtt: {rates['monitor'] / rates['aiomqtt']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

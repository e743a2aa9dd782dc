"""Consumers for the benchmark suite, each run in its own process against the same broker and load:

- ``monitor``: the crampwatch service (``monitor.mqtt.service.Monitor``, no session store) — counts the messages
  its router handled;
- ``aiomqtt``: a bare aiomqtt consumer (``async for message in client.messages``), nothing done per message;
- ``paho``: a bare paho consumer (``on_message`` counting, network loop in a thread);
- ``collect``: records every status and alert the monitor publishes (receive wall time, kind, event time).

Protocol (stdout, JSON lines): ``{"ready": true}`` once subscribed; with ``--progress`` ``{"handled": n, "wall",
"cpu", "busy"}`` every 0.5 s (``cpu``: the process's CPU seconds; ``busy``: the monitor's seconds in
``Router.handle`` — parse, grid, ticks, status build); at the end ``{"kind", "received", "first", "last", "rate",
"rss_kb"}``. A consumer ends when it has ``--expect`` messages, after ``--idle`` seconds without one (once some
arrived), or when stdin closes.

    python -m benchmarks.consumers aiomqtt --port 1883 --expect 120000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from monitor.core.wire import DEFAULT_PREFIX

TOPICS = [f"{DEFAULT_PREFIX}/+/+/{leaf}" for leaf in ("hr", "pace", "cadence", "temp", "frame")]


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _say(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


class Count:
    """Messages seen, with the wall time and the process's CPU time at the first and the last."""

    def __init__(self) -> None:
        self.n = 0
        self.n_first = 0  # messages counted at the first hit (the monitor handles them in batches)
        self.first = 0.0
        self.last = 0.0
        self.cpu_first = 0.0
        self.cpu_last = 0.0
        self.done = threading.Event()

    def hit(self, k: int = 1) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self.n == 0:
            self.first, self.cpu_first = now, cpu
            self.n_first = k
        self.n += k
        self.last, self.cpu_last = now, cpu

    def result(self, kind: str) -> dict[str, Any]:
        span = self.last - self.first
        counted = self.n - self.n_first
        rate = counted / span if span > 0 else 0.0
        cpu_us = (self.cpu_last - self.cpu_first) / counted * 1e6 if counted > 0 else 0.0
        return {
            "kind": kind, "received": self.n, "span_s": span, "rate": rate, "cpu_us_per_msg": cpu_us,
            "rss_kb": _rss_kb(),
        }  # fmt: skip


async def _watch(count: Count, args: argparse.Namespace, progress: bool, busy: list[float] | None = None) -> None:
    """Ends the run: expected count reached, idle, or stdin closed."""
    stdin_closed = threading.Event()  # a daemon thread: an executor thread would block asyncio.run's shutdown

    def wait_stdin() -> None:
        sys.stdin.read()
        stdin_closed.set()

    threading.Thread(target=wait_stdin, daemon=True).start()
    last_n, last_change = -1, time.perf_counter()
    while not count.done.is_set():
        await asyncio.sleep(0.5 if progress else 0.05)
        now = time.perf_counter()
        if count.n != last_n:
            last_n, last_change = count.n, now
        if progress:
            _say({"handled": count.n, "wall": time.time(), "cpu": time.process_time(), "busy": sum(busy or [])})
        if (args.expect and count.n >= args.expect) or (count.n and now - last_change > args.idle):
            break
        if stdin_closed.is_set():
            break


async def run_aiomqtt(args: argparse.Namespace) -> dict[str, Any]:
    import aiomqtt

    count = Count()
    async with aiomqtt.Client("127.0.0.1", args.port, max_queued_incoming_messages=0) as client:
        for topic in TOPICS:
            await client.subscribe(topic, qos=0)
        _say({"ready": True})

        async def consume() -> None:
            async for _message in client.messages:
                count.hit()

        task = asyncio.create_task(consume())
        await _watch(count, args, args.progress)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return count.result("aiomqtt")


async def run_paho(args: argparse.Namespace) -> dict[str, Any]:
    import paho.mqtt.client as mqtt

    count = Count()
    subscribed = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_message = lambda _c, _u, _m: count.hit()
    client.on_subscribe = lambda *_a: subscribed.set()
    client.connect("127.0.0.1", args.port)
    client.loop_start()
    client.subscribe([(t, 0) for t in TOPICS])
    subscribed.wait(10)
    _say({"ready": True})
    await _watch(count, args, args.progress)
    client.disconnect()
    client.loop_stop()
    return count.result("paho")


async def run_monitor(args: argparse.Namespace) -> dict[str, Any]:
    from monitor.core.router import Routed
    from monitor.gcguard import GUARD, GcGuard
    from monitor.mqtt.broker import BrokerURL
    from monitor.mqtt.service import Monitor

    count = Count()
    guard = GUARD if args.gc_guard == "on" else None
    timer = guard or GcGuard(every_s=None)  # off: CPython's collector as it is, its pauses timed all the same
    timer.time_collections()
    monitor = Monitor(
        BrokerURL(host="127.0.0.1", port=args.port), queue_size=1_000_000, batch_size=args.batch, gc_guard=guard
    )
    async with monitor:
        await monitor.wait_connected()
        _say({"ready": True})
        counters = monitor.router.counters
        busy = [0.0]
        made: list[tuple[str, float, float]] = []  # (athlete, t, wall time) of every status the router made

        def observe(routed: Routed, seconds: float) -> None:
            busy[0] += seconds
            if args.made and routed.out.statuses:
                now = time.time()
                made.extend((s["athlete"], s["t"], now) for s in routed.out.statuses)

        monitor.observers.append(observe)

        async def follow() -> None:
            seen = 0
            while True:
                n = counters["messages"]
                if n > seen:
                    count.hit(n - seen)
                    seen = n
                await asyncio.sleep(0.005)

        task = asyncio.create_task(follow())
        await _watch(count, args, args.progress, busy)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        result = count.result("monitor")
        result["counters"] = dict(counters)
        result["gc"] = {
            "guard": args.gc_guard, "frozen": timer.frozen(), "freezes": timer.freezes,
            **{f"gen{g}": {"n": p.count, "total_ms": 1e3 * p.total_s, "max_ms": 1e3 * p.max_s}
               for g, p in sorted(timer.pauses.items())},
        }  # fmt: skip
        monitor.stop()
    if args.made:
        Path(args.made).write_text(json.dumps(made))
    return result


async def run_collect(args: argparse.Namespace) -> dict[str, Any]:
    """Statuses and alerts as (receive wall time, kind, event time t, idle re-publish?, athlete) into ``--out``."""
    import aiomqtt

    rows: list[tuple[float, str, float, bool, str]] = []
    count = Count()
    async with aiomqtt.Client("127.0.0.1", args.port, max_queued_incoming_messages=0) as client:
        await client.subscribe(f"{DEFAULT_PREFIX}/+/+/status", qos=0)
        await client.subscribe(f"{DEFAULT_PREFIX}/+/+/alert", qos=1)
        _say({"ready": True})

        async def consume() -> None:
            async for message in client.messages:
                now = time.time()
                kind = str(message.topic).rsplit("/", 1)[-1]
                with contextlib.suppress(ValueError, TypeError, KeyError):
                    doc = json.loads(message.payload)  # type: ignore[arg-type]
                    rows.append((now, kind, float(doc["t"]), "wall_idle_s" in doc, str(doc["athlete"])))
                count.hit()

        task = asyncio.create_task(consume())
        args.expect = 0
        await _watch(count, args, False)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    Path(args.out).write_text(json.dumps(rows))
    return count.result("collect")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="benchmark consumers")
    ap.add_argument("kind", choices=("monitor", "aiomqtt", "paho", "collect"))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--expect", type=int, default=0, help="stop after this many messages")
    ap.add_argument("--idle", type=float, default=5.0, help="stop after this long without a message")
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--batch", type=int, default=500, help="monitor: messages per processing batch")
    ap.add_argument("--out", default="collected.json", help="collect: where to write the records")
    ap.add_argument("--gc-guard", choices=("on", "off"), default="on",
                    help="monitor: freeze long-lived objects (monitor.gcguard; the default) or not")  # fmt: skip
    ap.add_argument("--made", help="monitor: write (athlete, t, wall time) of every status made to this file")
    args = ap.parse_args(argv)
    runner = {"monitor": run_monitor, "aiomqtt": run_aiomqtt, "paho": run_paho, "collect": run_collect}[args.kind]
    _say(asyncio.run(runner(args)))


if __name__ == "__main__":
    main()

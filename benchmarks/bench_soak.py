"""Soak: a real ``crampwatch monitor`` process (with its SQLite session store) on a real Mosquitto, N athletes
publishing a minute of 1 Hz frames each per step for M minutes of event time; the monitor's RSS after every
minute, and the throughput.

    python -m benchmarks.bench_soak [--athletes 300] [--minutes 120] [--warmup 15] [--publish direct|awaited]
                                    [--memdiag OUT.jsonl [--trace]]

Prints one line per 10 minutes and a summary (RSS after warm-up: first, last, min, max; frames/s). The CI-sized
form runs in ``tests/monitor/fuzz/test_soak.py``. ``--memdiag``: the monitor runs under :mod:`benchmarks.memdiag`,
signalled after every minute (allocator arenas, tracemalloc with ``--trace``, the outbox's high water), one line
per minute printed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.core.wire import Topics, encode_frames, encode_profile
from monitor.mqtt.broker import BrokerURL
from tests.runs import HOT_PROFILE, hot_fast_run

T = Topics()


@dataclass
class Soak:
    athletes: int
    minutes: int
    rss_mb: list[float] = field(default_factory=list)  # after each minute of event time was processed
    probes: list[dict[str, Any]] = field(default_factory=list)  # with memdiag: the quiet probe line of each minute
    wall_s: float = 0.0
    frames: int = 0
    exit_code: int | None = None
    log: str = ""

    def after(self, warmup: int) -> list[float]:
        return self.rss_mb[warmup:]


def rss_mb(pid: int) -> float:
    """Resident set size of a process (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def _wait_log(path: Path, needle: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while needle not in path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"monitor did not log {needle!r}: {path.read_text(errors='replace')[-2000:]}")
        await asyncio.sleep(0.05)  # polling a log file for start-up, not synchronising the measurement


async def _stored(db: Path, statuses: int, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Wait until the monitor's SQLite store holds at least ``statuses`` statuses (read-only queries)."""
    deadline, uri = time.monotonic() + timeout, f"file:{db}?mode=ro"
    while True:
        with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(uri, uri=True)) as c:
            if c.execute("SELECT count(*) FROM statuses").fetchone()[0] >= statuses:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the store did not reach {statuses} statuses")
        await asyncio.sleep(0.05)  # polling the store's file, not synchronising the measurement


async def _probe(proc: subprocess.Popen[bytes], out: Path, lines: int) -> dict[str, Any]:
    """Signal the monitor's memory probe and wait until it has written its ``lines``-th line; returns that line."""
    proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 30
    while not out.exists() or len(written := out.read_text().splitlines()) < lines:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the monitor's memory probe did not answer")
        await asyncio.sleep(0.02)  # polling a file the probe appends to (a benchmark, not a test)
    line: dict[str, Any] = json.loads(written[lines - 1])
    return line


async def _probe_quiet(proc: subprocess.Popen[bytes], out: Path, lines: int, timeout: float = 60.0) -> dict[str, Any]:
    """Probe until the monitor holds nothing in flight — its store has written every record queued and its outbox
    is empty — and return that line (the last one after ``timeout``): the memory it *keeps*, not the minute's
    transients (a store backlog of ~45-KB state snapshots, ~550 statuses behind an alert burst)."""
    deadline = time.monotonic() + timeout
    while True:
        line = await _probe(proc, out, lines)
        if (line.get("store_pending") in (0, None) and not line.get("outbox")) or time.monotonic() > deadline:
            line["quiet"] = line.get("store_pending") in (0, None) and not line.get("outbox")
            return line
        lines += 1
        await asyncio.sleep(0.1)  # the store's writer thread drains on its own; probe again (a benchmark's poll)


def print_memdiag(path: Path) -> None:
    """One line per minute: RSS, the main heap (arena 0) held and free, the other arenas, tracemalloc, outbox."""
    for m, line in enumerate(path.read_text().splitlines(), 1):
        r = json.loads(line)
        heap = r["arenas"][0] if r["arenas"] else {"system": 0, "free": 0}
        others = sum(a["system"] for a in r["arenas"][1:]) / 2**20
        traced = f", traced {r['traced'] / 2**20:.1f} (peak {r['traced_peak'] / 2**20:.1f}) MB" if "traced" in r else ""
        print(f"minute {m:4d}: RSS {r['rss_kb'] / 1024:6.1f} MB, main heap {heap['system'] / 2**20:5.1f} MB "
              f"({heap['free'] / 2**20:4.1f} free), other arenas {others:4.1f} MB{traced}; outbox high water "
              f"{r.get('outbox_high_water')}, alerts {r.get('alerts')}, "
              f"store pending {r.get('store_pending')}")  # fmt: skip


async def soak(
    broker: BrokerURL, athletes: int, minutes: int, workdir: Path, publish: str | None = None,
    memdiag: Path | None = None, trace: bool = False,
) -> Soak:  # fmt: skip
    """Run the soak; the monitor is a subprocess (its RSS is the service's alone). ``publish``: the monitor's
    ``--publish`` (None: its default); ``memdiag``: probe it after every minute (module docstring)."""
    result = Soak(athletes, minutes)
    frames = hot_fast_run(minutes=minutes)
    t0 = frames[0].t
    per_minute = [encode_frames(frames[m * 60 : (m + 1) * 60]) for m in range(minutes)]
    log_path = workdir / "soak-monitor.log"
    probe = ["benchmarks.memdiag", str(memdiag), *(["--trace"] if trace else [])] if memdiag else ["monitor.cli"]
    cmd = [sys.executable, "-m", *probe, "monitor", "--broker", str(broker), "--store",
           str(workdir / "soak.db"), "--log-level", "info"]  # fmt: skip
    if publish is not None:
        cmd += ["--publish", publish]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        await _wait_log(log_path, "connected to", proc, 60)
        last = f"a{athletes - 1}"
        seen_t = [0.0]
        progressed = asyncio.Event()
        async with broker.client() as watcher, broker.client() as client:
            await watcher.subscribe(T.of("soak", last, "status"), qos=0)

            async def watch() -> None:
                async for msg in watcher.messages:
                    if isinstance(msg.payload, bytes | str):
                        seen_t[0] = max(seen_t[0], json.loads(msg.payload)["t"])
                        progressed.set()

            watching = asyncio.create_task(watch())
            for i in range(athletes):
                await client.publish(T.of("soak", f"a{i}", "profile"), encode_profile(HOT_PROFILE), qos=1, retain=True)
            began, probed = time.perf_counter(), 0
            for m in range(minutes):
                for i in range(athletes):
                    await client.publish(T.of("soak", f"a{i}", "frame"), per_minute[m], qos=1)
                # the last tick this minute releases (lateness 10 s, ticks of 5 s); in the first two minutes the
                # grid waits for streams that may still appear (the batch span sets the lag), so nothing to wait for
                target = t0 + 60 * (m + 1) - 15 if m >= 2 else -1.0
                while seen_t[0] < target:
                    progressed.clear()
                    await asyncio.wait_for(progressed.wait(), 120)
                if m >= 2:  # and the store has written them: its writer thread lags a replay this fast, and what
                    # it holds queued is not the per-athlete state this measures (docs/performance.md, "Soak")
                    await _stored(workdir / "soak.db", athletes * (m - 1) * 12, proc)
                result.rss_mb.append(rss_mb(proc.pid))
                if memdiag is not None:
                    result.probes.append(await _probe_quiet(proc, memdiag, probed + 1))
                    probed = len(memdiag.read_text().splitlines())
            result.wall_s = time.perf_counter() - began
            result.frames = athletes * minutes * 60
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
            for i in range(athletes):  # clear the retained profiles
                await client.publish(T.of("soak", f"a{i}", "profile"), b"", qos=1, retain=True)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            result.exit_code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            result.exit_code = proc.wait()
        result.log = log_path.read_text(errors="replace")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--athletes", type=int, default=300)
    parser.add_argument("--minutes", type=int, default=120)
    parser.add_argument("--warmup", type=int, default=15, help="minutes before RSS is expected to be flat")
    parser.add_argument("--publish", choices=("direct", "awaited"), help="the monitor's --publish (default: its own)")
    parser.add_argument("--memdiag", type=Path, metavar="OUT", help="probe the monitor's memory every minute into OUT")
    parser.add_argument("--trace", action="store_true", help="with --memdiag: tracemalloc in the monitor (slower)")
    args = parser.parse_args()
    from tests.brokers import Mosquitto

    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp))
        broker.start()
        try:
            if args.memdiag is not None:
                args.memdiag = args.memdiag.resolve()
                args.memdiag.unlink(missing_ok=True)
            run = soak(broker.url, args.athletes, args.minutes, Path(tmp), args.publish, args.memdiag, args.trace)
            result = asyncio.run(run)
        finally:
            broker.stop()
    for m in range(9, len(result.rss_mb), 10):
        print(f"minute {m + 1:4d}: monitor RSS {result.rss_mb[m]:7.1f} MB")
    flat = result.after(args.warmup)
    print(f"athletes {args.athletes}, {args.minutes} min of event time each, {result.frames:,} frames "
          f"in {result.wall_s:.1f} s: {result.frames / result.wall_s:,.0f} frames/s "
          f"({result.frames / result.wall_s / args.athletes:.1f}x real time)")  # fmt: skip
    print(
        f"RSS after {args.warmup} min warm-up: first {flat[0]:.1f} MB, last {flat[-1]:.1f} MB, "
        f"min {min(flat):.1f}, max {max(flat):.1f} (growth {flat[-1] - flat[0]:+.1f} MB); exit {result.exit_code}"
    )
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    if args.memdiag is not None:
        print_memdiag(args.memdiag)


if __name__ == "__main__":
    main()

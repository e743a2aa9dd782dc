"""``crampwatch simulate --speed 0`` into a real ``crampwatch monitor`` through a stock Mosquitto (1000 queued, 20 in
flight per client): how many messages reach the monitor, and how fast, paced by the monitor (the default) and
``--unpaced``. Each run gets a fresh broker and monitor (own data dir)::

    python -m benchmarks.bench_paced                         # the 20-runner hot marathon, both ways
    python -m benchmarks.bench_paced --how paced --window 250 --athletes 4

Prints one JSON line per run: ``published`` (messages), ``reached`` (the monitor's
``crampwatch_messages_in_total``), ``wall_s`` (simulate's start until the monitor's count last rose) and ``per_s``
(reached / wall_s).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks._procs import ROOT, log
from monitor.mqtt.embedded import free_port

STOCK = "max_queued_messages 1000\nmax_inflight_messages 20\n"  # Mosquitto's defaults (the tests' broker raises them)


def _metric(http: int, name: str) -> float | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=5) as reply:
            text = reply.read().decode()
    except OSError:
        return None
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(found.group(1)) if found else None


def _wait(what: str, ok: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not (callable(ok) and ok()):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)  # polling a child process's metrics, not synchronising logic


def once(how: str, args: argparse.Namespace, work: Path) -> dict[str, object]:
    from tests.brokers import Mosquitto

    broker, http = Mosquitto(work, extra=STOCK), free_port()
    broker.start()  # returns once it accepts connections
    env = {**os.environ, "XDG_DATA_HOME": str(work / f"data-{broker.port}"), "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-m", "monitor.cli"]
    url = f"mqtt://127.0.0.1:{broker.port}"
    monitor = None
    try:
        monitor = subprocess.Popen(
            [*cli, "monitor", "--broker", url, "--http", f"127.0.0.1:{http}", "--log-level", "warning"], env=env
        )
        _wait("monitor connected", lambda: _metric(http, "crampwatch_broker_connected") == 1.0)
        sim = [*cli, "simulate", "--broker", url, "--scenario", args.scenario, "--athletes", str(args.athletes),
               "--seed", str(args.seed), "--speed", "0", "--pace-window", str(args.window)]  # fmt: skip
        if how == "unpaced":
            sim.append("--unpaced")
        began = time.monotonic()
        done = subprocess.run(sim, env=env, capture_output=True, text=True, timeout=3600, check=False)
        sim_s = time.monotonic() - began
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        published = int(re.search(r"published (\d+) messages", done.stdout).group(1))  # type: ignore[union-attr]
        last, changed = -1.0, time.monotonic()
        while time.monotonic() - changed < 3.0:  # the monitor's count has stopped rising for 3 s
            now = _metric(http, "crampwatch_messages_in_total") or 0.0
            if now != last:
                last, changed = now, time.monotonic()
            time.sleep(0.1)
        wall = changed - began
        return {"how": how, "window": args.window, "athletes": args.athletes, "published": published,
                "reached": int(last), "simulate_s": round(sim_s, 1), "wall_s": round(wall, 1),
                "per_s": round(last / wall)}  # fmt: skip
    finally:
        if monitor is not None:
            monitor.terminate()
            monitor.wait(timeout=30)
        broker.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--how", choices=["paced", "unpaced", "both"], default="both")
    p.add_argument("--scenario", default="hot-marathon")
    p.add_argument("--athletes", type=int, default=20)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--window", type=int, default=500)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="crampwatch-paced-") as tmp:
        for how in ("paced", "unpaced") if args.how == "both" else (args.how,):
            log(f"{how}: simulate {args.scenario} x{args.athletes} --speed 0")
            print(json.dumps(once(how, args, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()

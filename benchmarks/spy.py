"""Where the monitor's time goes under load: py-spy samples the monitor process during the suite's throughput load.

    pip install py-spy                      # not a project dependency: a sampling profiler, run beside the monitor
    python -m benchmarks.spy --athletes 400 --seconds 40 [--mode samples|frame] [--raw spy.txt]

Starts its own Mosquitto, the monitor consumer (``benchmarks/consumers.py monitor``) and the load generator as the
suite's throughput row does, records the monitor with ``py-spy record --format raw`` (200 Hz, non-blocking) and
prints the share of samples inside each part of the path: paho's packet reading, the router (parse, grid, intake),
the ticks, the engine's processors, the status publish. Shares are inclusive (a tick is inside the router).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.suite import consumer, loadgen

#: (label, function name as py-spy prints it) of the parts reported, in path order
PARTS = (
    ("our reader: PUBLISH packets split off the receive buffer", "Receiver._split"),
    ("paho: read and decode packets", "Client.loop_read"),
    ("  paho: topic matching for callbacks", "MQTTMatcher.iter_match"),
    ("  paho: its message dispatch (skipped: monitor.mqtt.intake)", "Client._handle_on_message"),
    ("  our receive callback (to the inbox)", "Receiver._on_message"),
    ("handle a message (Router.handle)", "Router.handle"),
    ("  intake: grid writes, completeness, ticks", "SampleIntake.add_many"),
    ("  ticks (AthletePipeline._tick)", "AthletePipeline._tick"),
    ("    processors (Engine.tick)", "Engine.tick"),
    ("    clean", "Clean.update"),
    ("    status build", "AthletePipeline._status"),
    ("  new sessions (Engine.__init__)", "Engine.__init__"),
    ("publish statuses (Monitor._emit)", "Monitor._emit"),
    ("  paho: write to the socket (gathered: monitor.mqtt.sendbuf)", "Client.loop_write"),
    ("  the socket's send() calls", "SendBuffer.send_pending"),
)
_FRAME = re.compile(r"^(.*?) \((.*?):\d+\)$")


def shares(raw: str) -> tuple[int, dict[str, float]]:
    """(samples, inclusive share of each function name) of a py-spy raw (collapsed stacks) file."""
    total, inside = 0, Counter[str]()
    for line in raw.splitlines():
        stack, _, n = line.rstrip().rpartition(" ")
        if not stack or not n.isdigit():
            continue
        total += int(n)
        names = set()
        for frame in stack.split(";"):
            m = _FRAME.match(frame)
            names.add(m.group(1) if m else frame)
        for name in names:
            inside[name] += int(n)
    return total, {name: k / total for name, k in inside.items()} if total else {}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="py-spy the monitor under the throughput load")
    ap.add_argument("--athletes", type=int, default=400)
    ap.add_argument("--seconds", type=int, default=40)
    ap.add_argument("--mode", choices=("samples", "frame"), default="samples")
    ap.add_argument("--raw", metavar="FILE", help="keep py-spy's raw stacks here")
    args = ap.parse_args(argv)
    spy = shutil.which("py-spy")
    if spy is None:
        print("benchmarks.spy: py-spy not found (pip install py-spy)", file=sys.stderr)
        raise SystemExit(2)
    from tests.brokers import Mosquitto

    with tempfile.TemporaryDirectory(prefix="crampwatch-spy-") as tmp:
        raw = Path(args.raw or Path(tmp) / "spy.txt")
        broker = Mosquitto(Path(tmp))
        broker.start()
        try:
            expect = args.athletes * args.seconds * (4 if args.mode == "samples" else 1)
            mon = consumer("monitor", broker.port, "--expect", str(expect), "--idle", "5")
            rec = subprocess.Popen(
                [spy, "record", "-p", str(mon.p.pid), "-o", str(raw), "-f", "raw", "-r", "200", "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(1.0)  # py-spy attaches (a benchmark, not test synchronisation)
            sent = loadgen(broker.port, "--athletes", str(args.athletes), "--seconds", str(args.seconds),
                           "--mode", args.mode)  # fmt: skip
            got = mon.next("kind")
            mon.end()
            rec.wait(timeout=120)
        finally:
            broker.stop()
        total, share = shares(raw.read_text())
    print(json.dumps({"messages": expect, "published_per_s": round(sent["rate"]), "monitor_per_s": round(got["rate"])}))
    print(f"{total:,} samples of the monitor process (200 Hz); inclusive shares:")
    for label, name in PARTS:
        print(f"  {100 * share.get(name, 0.0):5.1f} %  {label}")


if __name__ == "__main__":
    main()

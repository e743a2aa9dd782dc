"""Receive rate only: row 1 of the suite (``benchmarks/suite.py``) — the same pre-built per-stream load consumed in
turn by a bare aiomqtt consumer, a bare paho consumer and the monitor, on one Mosquitto — without the slower rows.

    python -m benchmarks.bench_receive [--athletes 400] [--seconds 75]

Run it against another checkout of the monitor (e.g. before a change) with ``PYTHONPATH=that/checkout`` to compare
receive paths on the same machine.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.suite import throughput


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="receive rate: monitor vs bare aiomqtt and paho consumers")
    ap.add_argument("--athletes", type=int, default=400)
    ap.add_argument("--seconds", type=int, default=75)
    args = ap.parse_args(argv)
    from tests.brokers import Mosquitto

    with tempfile.TemporaryDirectory(prefix="crampwatch-bench-") as tmp:
        broker = Mosquitto(Path(tmp))
        broker.start()
        try:
            result = throughput(broker.port, args.athletes, args.seconds)
        finally:
            broker.stop()
    print(f"{result['messages']:,} messages ({args.athletes} athletes x 4 per-stream topics x {args.seconds} s)")
    rates = {kind: float(result[kind]["rate"]) for kind in ("aiomqtt", "paho", "monitor")}
    for kind, rate in rates.items():
        print(f"  {kind:<8} {rate:>10,.0f} msg/s   (received {result[kind].get('received', '?')})")
    aio, paho = rates["monitor"] / rates["aiomqtt"], rates["monitor"] / rates["paho"]
    print(f"  monitor / aiomqtt {aio:.2f}x, monitor / paho {paho:.2f}x")


if __name__ == "__main__":
    main()

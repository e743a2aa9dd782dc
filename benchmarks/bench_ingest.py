"""Ingest throughput of the pipeline without a broker: messages/s and µs per sample through the Router
(parse + validate + grid + ticks + processors + alert policy), for N athletes sending 1 Hz frames.

    python -m benchmarks.bench_ingest [--athletes 50] [--minutes 20]
"""

from __future__ import annotations

import argparse
import json
import time

from monitor.core.profiles import ProfileBook
from monitor.core.router import Router
from processors.profile import Profile
from tests.runs import hot_fast_run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--athletes", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=20)
    args = parser.parse_args()
    frames = hot_fast_run(minutes=args.minutes)
    payloads = [json.dumps({"t": f.t, **f.streams()}).encode() for f in frames]
    router = Router(profiles=ProfileBook({f"a{i}": Profile(training_pace=330) for i in range(args.athletes)}))
    topics = [f"crampwatch/v1/club/a{i}/frame" for i in range(args.athletes)]
    began = time.perf_counter()
    for payload in payloads:  # athletes interleaved, as on a squad broker
        for topic in topics:
            router.handle(topic, payload)
    wall = time.perf_counter() - began
    messages = len(payloads) * len(topics)
    samples = router.counters["samples"]
    print(f"athletes {args.athletes}, event time {args.minutes:g} min each, {messages} frame messages")
    print(
        f"{messages / wall:,.0f} messages/s, {wall / messages * 1e6:.1f} µs/message, "
        f"{wall / samples * 1e6:.2f} µs/sample, ticks {router.counters['statuses']}"
    )
    print(f"real-time capacity at 1 frame/s/athlete on one core: ~{messages / wall:,.0f} athletes")


if __name__ == "__main__":
    main()

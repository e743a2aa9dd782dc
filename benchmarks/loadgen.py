"""Load generator for the benchmark suite, meant to run in its own process.

Payloads are built before the clock starts (valid contract messages from :mod:`monitor.core.wire`), then
published with paho (QoS 0) as fast as possible or paced in event time (one event second per wall second, spread
over the second). Modes: ``samples`` (one message per stream and second: hr, pace, cadence, temp — 4 msg/s per
athlete), ``frame`` (one frame per athlete and second), ``batch`` (one message of ``--batch`` frames per athlete).

``--warmup S`` first publishes S event seconds per athlete as 10-frame batches as fast as possible (so paced runs
start with warm athletes whose alerts can fire), then the main part; ``--offset S`` starts the main part at event
second S without a warm-up (the warm-up sent by an earlier run). Athlete ``i`` reads the constructed run from
``i % 30`` seconds in, so their alerts spread over the half-minute. With a warm-up, athlete ``i`` also *starts its
watch* ``i % 30`` s after the first (its session begins then, and each athlete ticks every 5 s from its own start,
so the ticks spread over the 5 s as a real squad's do); ``--sync-start`` starts every watch in the same second (all
ticks fall due together: the worst case). ``--at-risk N`` (with a warm-up) first publishes every athlete's profile
(retained, :data:`RUNNER`), every N-th athlete's with a cramp history: those reach an alert (``ease_pace``) as
soon as the alert policy's 10-min warm-up is over, i.e. at event second ``600 + i % 30`` (N coprime with 30 spreads
them over the half-minute); the others stay below alert levels through the first 11 min.

    python -m benchmarks.loadgen --port 1883 --athletes 400 --seconds 75 --mode samples     # as fast as possible
    python -m benchmarks.loadgen --port 1883 --athletes 1000 --seconds 60 --mode frame --paced --warmup 590
    python -m benchmarks.loadgen --port 1883 --athletes 1000 --seconds 0 --warmup 590 --at-risk 7   # with profiles

Prints one JSON line: ``{"published", "wall_s", "rate", "paced_start_wall", "paced_start_event"}`` (the last two
map event time to the wall clock of the paced part: latency = receive time − (t − event + wall)); paced, also
``part_walls`` (for every second, the wall time each of its ``parts`` was handed to paho) and ``part_size``
(messages per part; in ``frame`` mode message ``i`` of a second is athlete ``i``'s).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt

from monitor.core.wire import DEFAULT_PREFIX, encode_frames, encode_profile, encode_samples
from processors.profile import Profile
from simulators.frame import Frame

T0 = 1_732_400_000.0
STAGGER_S = 30
STREAMS = ("hr", "pace", "cadence", "temp")
#: Frames per warm-up message: small enough that the monitor's processing batches (2,000 messages) stay short.
WARMUP_BATCH = 10
#: Paced: each second's messages are sent in this many parts, spread over the second.
PARTS = 20
#: The runners' profile (``--at-risk``): the constructed run is ~10 % faster than this training pace at 30 °C.
RUNNER = Profile(sex="male", age=45, hr_max=185, hr_rest=50, training_pace=330, longest_run_min=90)


def run_arrays(seconds: int, seed: int = 1) -> dict[str, np.ndarray]:
    """A hot run ~10 % faster than a 330 s/km training pace, HR drifting up, cadence falling (raises alerts
    after ~10 min); values rounded as a watch sends them."""
    rng = np.random.default_rng(seed)
    i = np.arange(seconds, dtype=np.float64)
    f = i / max(seconds, 3600)
    return {
        "hr": np.round(140 + 12 * np.minimum(1.0, i / 300) + 22 * f + rng.normal(0, 1.5, seconds), 1),
        "pace": np.round(300 + rng.normal(0, 3, seconds), 1),
        "cadence": np.round(176 - 12 * f + rng.normal(0, 1.0, seconds), 1),
        "temp": np.full(seconds, 30.0),
    }


def _frames(run: dict[str, np.ndarray], start: int, count: int, t0: float) -> list[Frame]:
    return [
        Frame(
            t=t0 + k,
            hr=float(run["hr"][start + k]),
            pace=float(run["pace"][start + k]),
            cadence=float(run["cadence"][start + k]),
            temp=float(run["temp"][start + k]),
        )
        for k in range(count)
    ]


def build(
    *, athletes: int, seconds: int, mode: str, batch: int = 60, warmup: int = 0, offset: int | None = None,
    squad: str = "bench", prefix: str = DEFAULT_PREFIX, sync_start: bool = False,
) -> tuple[list[tuple[str, bytes]], list[list[tuple[str, bytes]]]]:  # fmt: skip
    """(warm-up messages: event seconds ``[0, warmup)``, athlete ``i``'s from ``i % STAGGER_S`` unless
    ``sync_start``; main messages grouped by event second: ``[offset, offset + seconds)``; offset defaults to
    warmup). Event time of second k is ``T0 + k``."""
    offset = warmup if offset is None else offset
    run = run_arrays(max(warmup, offset + seconds) + STAGGER_S)
    names = [f"a{i:05d}" for i in range(athletes)]
    warm: list[tuple[str, bytes]] = []
    for a0 in range(0, warmup, WARMUP_BATCH):  # athletes interleaved, batches of WARMUP_BATCH frames
        n = min(WARMUP_BATCH, warmup - a0)
        for i, name in enumerate(names):
            first = max(a0, 0 if sync_start else i % STAGGER_S)  # the athlete's watch starts at second i % 30
            if first >= a0 + n:
                continue
            frames = _frames(run, i % STAGGER_S + first, a0 + n - first, T0 + first)
            warm.append((f"{prefix}/{squad}/{name}/frame", encode_frames(frames)))
    per_second: list[list[tuple[str, bytes]]] = [[] for _ in range(seconds)]
    for i, name in enumerate(names):
        base = f"{prefix}/{squad}/{name}/"
        frames = _frames(run, i % STAGGER_S + offset, seconds, T0 + offset)
        if mode == "samples":
            for k, fr in enumerate(frames):
                for stream in STREAMS:
                    per_second[k].append((base + stream, encode_samples([fr.t], [getattr(fr, stream)])))
        elif mode == "frame":
            for k, fr in enumerate(frames):
                per_second[k].append((base + "frame", encode_frames([fr])))
        elif mode == "batch":
            for k in range(0, seconds, batch):
                chunk = frames[k : k + batch]
                per_second[min(seconds - 1, k + len(chunk) - 1)].append((base + "frame", encode_frames(chunk)))
        else:
            raise ValueError(f"unknown mode {mode!r}")
    return warm, per_second


def profiles(
    athletes: int, at_risk: int, squad: str = "bench", prefix: str = DEFAULT_PREFIX
) -> list[tuple[str, bytes]]:
    """Every athlete's profile message (retained); athlete ``i`` with a cramp history when ``i % at_risk == 0``."""
    risky = dataclasses.replace(RUNNER, cramp_history=True)
    return [
        (f"{prefix}/{squad}/a{i:05d}/profile", encode_profile(risky if i % at_risk == 0 else RUNNER))
        for i in range(athletes)
    ]


class Publisher:
    """paho client with its network loop in a thread; QoS 0 publishes; ``flush`` waits until all were written
    (a final QoS 1 message is acknowledged after everything queued before it)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"loadgen-{time.monotonic_ns()}")
        self.client.max_queued_messages_set(0)
        self.client.connect(host, port, keepalive=60)
        self.client.loop_start()

    def send(self, messages: list[tuple[str, bytes]], *, qos: int = 0, retain: bool = False) -> None:
        publish = self.client.publish
        for topic, payload in messages:
            publish(topic, payload, qos=qos, retain=retain)

    def flush(self) -> None:
        info = self.client.publish("crampwatch-bench/flush", b"", qos=1)
        info.wait_for_publish(timeout=600)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _spread(messages: list[tuple[str, bytes]], parts: int) -> Iterator[list[tuple[str, bytes]]]:
    step = max(1, -(-len(messages) // parts))
    for a in range(0, len(messages), step):
        yield messages[a : a + step]


def publish(args: argparse.Namespace) -> dict[str, Any]:
    warm, per_second = build(
        athletes=args.athletes,
        seconds=args.seconds,
        mode=args.mode,
        batch=args.batch,
        warmup=args.warmup,
        offset=args.offset,
        sync_start=args.sync_start,
    )
    pub = Publisher(args.port)
    result: dict[str, Any] = {"warmup_messages": len(warm)}
    began = time.perf_counter()
    if warm and args.at_risk:  # before the first frame: the monitor applies them at the session's start
        book = profiles(args.athletes, args.at_risk)
        pub.send(book, qos=1, retain=True)
        pub.flush()
        # the monitor counts them as messages: without them in this count the suite started the paced part while
        # 143 warm-up messages (~1,700 ticks) were still to be handled, and their second made the p99 (until
        # 2026-12-01: 0.4-1 s, all of it in the first paced second)
        result["warmup_messages"] += len(book)
    if warm:
        pub.send(warm)
        pub.flush()
        time.sleep(args.settle)  # let the consumer work off the warm-up before the paced clock starts
    else:  # connected (CONNACK in, the network thread running) before the paced clock starts
        pub.flush()
    count = 0
    start = time.perf_counter()
    result["paced_start_wall"] = time.time()
    result["paced_start_event"] = T0 + (args.warmup if args.offset is None else args.offset)
    walls: list[list[float]] = []
    for k, messages in enumerate(per_second):
        if args.paced:
            parts = list(_spread(messages, PARTS))
            walls.append([])
            for j, part in enumerate(parts):
                delay = start + k + j / len(parts) - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                walls[-1].append(time.time())
                pub.send(part)
        else:
            pub.send(messages)
        count += len(messages)
    pub.flush()
    wall = time.perf_counter() - start
    pub.close()
    result.update(published=count, wall_s=wall, rate=count / wall if wall else 0.0, total_s=time.perf_counter() - began)
    if args.paced and per_second:
        result.update(part_walls=walls, part_size=max(1, -(-len(per_second[0]) // PARTS)))
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--athletes", type=int, default=400)
    ap.add_argument("--seconds", type=int, default=75, help="event seconds per athlete (after the warm-up)")
    ap.add_argument("--mode", choices=("samples", "frame", "batch"), default="samples")
    ap.add_argument("--batch", type=int, default=60, help="frames per message in batch mode")
    ap.add_argument("--paced", action="store_true", help="one event second per wall second (else: as fast as possible)")
    ap.add_argument("--warmup", type=int, default=0, help="event seconds per athlete sent first, as fast as possible")
    ap.add_argument("--offset", type=int, help="event second the main part starts at (default: --warmup)")
    ap.add_argument("--sync-start", action="store_true", help="every athlete's watch starts in the same second")
    ap.add_argument("--settle", type=float, default=0.0, help="pause after the warm-up (s)")
    ap.add_argument(
        "--at-risk", type=int, default=0, metavar="N",
        help="with --warmup: publish profiles first, every N-th athlete's with a cramp history (alerts at 10 min)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    print(json.dumps(publish(args)), flush=True)


if __name__ == "__main__":
    sys.exit(main())

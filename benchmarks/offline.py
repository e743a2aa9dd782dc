"""Benchmarks without a broker: in-service tick cost, RSS per athlete, offline analyze speed.

    python -m benchmarks.offline tick --athletes 100 --minutes 10      # after a 60-min warm-up
    python -m benchmarks.offline rss --athletes 100 --marks 10,180     # RSS per athlete at 10 min and 3 h
    python -m benchmarks.offline analyze --hours 3                     # one 3-h run, multiple of real time

Each prints one JSON line. ``tick``: the time of each tick as the pipeline itself records it
(``Output.tick_seconds``: window, engine, signal, policy, status build) plus the status encode (``encode_status``)
per status, median and p95 in µs. As in the service, the ticks that one second of the squad makes due run together
(``monitor.core.ticks``: each tick's engine time is its share of the round's); ``--no-batch`` runs each at once.
``--breakdown`` (per athlete, not batched) adds a per-part split (window, engine, policy, status, encode) and the
ten most expensive processors. ``rss``: the process's VmRSS growth divided by the athletes, driving the
athletes through the Router (60-frame messages) to each mark of event time. ``analyze``: ``run_offline`` over a
3-hour run, event seconds per wall second.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.loadgen import STAGGER_S, T0, _frames, run_arrays
from benchmarks.machine import measure
from monitor.core.pipeline import AthletePipeline, Output, encode_status, run_offline
from monitor.core.ticks import TickBatch
from monitor.core.wire import DEFAULT_PREFIX, encode_frames
from processors.profile import Profile

PROFILE = Profile(name="Bench", sex="male", age=40, hr_max=185, hr_rest=50, training_pace=330, longest_run_min=120)


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def bench_tick(
    athletes: int, minutes: float, warm_minutes: float = 60.0, breakdown: bool = False, batch: bool = True
) -> dict[str, Any]:
    seconds = int((warm_minutes + minutes) * 60)
    run = run_arrays(seconds + 2 * STAGGER_S)
    pipes = [AthletePipeline("bench", f"a{i}", PROFILE) for i in range(athletes)]
    warm = int(warm_minutes * 60)
    # athlete i's watch starts at second i % 30, as in the service (a fifth of the squad ticks in each second);
    # its data are the run's from index 2 * (i % 30) on, so the athletes do not all see the same values
    for i, pipe in enumerate(pipes):
        off = i % STAGGER_S
        for f in _frames(run, 2 * off, warm - off, T0 + off):
            pipe.add_many((n, f.t, v) for n, v in f.streams().items())
    per = [_frames(run, i % STAGGER_S + warm, seconds - warm, T0 + warm) for i in range(athletes)]
    parts: dict[str, list[float]] = {}
    if breakdown:
        _instrument(parts)
    ticks: list[float] = []
    encodes: list[float] = []
    gc.collect()
    batched = TickBatch() if batch and not breakdown else None  # as the service runs a receive batch's ticks
    outs: list[Output] = []
    for k in range(seconds - warm):  # athletes interleaved second by second, as the service sees them
        for i, pipe in enumerate(pipes):
            f = per[i][k]
            if batched is not None:
                batched.attach(pipe)
            outs.append(pipe.add_many((n, f.t, v) for n, v in f.streams().items()))
        if batched is not None:
            batched.run()  # the second's ticks, together (monitor.core.ticks)
        for out in outs:
            ticks.extend(out.tick_seconds)
            for status in out.statuses:
                t0 = time.perf_counter()
                encode_status(status)
                encodes.append(time.perf_counter() - t0)
        outs.clear()
    total = [(a + b) * 1e6 for a, b in zip(ticks, encodes, strict=True)]
    result: dict[str, Any] = {
        "athletes": athletes,
        "ticks": len(total),
        "tick_us_median": statistics.median(total),
        "tick_us_p95": _pct(total, 0.95),
        "encode_us_median": statistics.median(encodes) * 1e6,
        "batched": batched is not None,
    }
    if batched is not None:
        result["athletes_per_round"] = round(batched.ticks / max(batched.rounds, 1), 1)
    if breakdown:  # medians per tick (a mean would mostly measure preemption on a shared machine)
        med = sorted(((round(statistics.median(v) / 1000, 1), k) for k, v in parts.items()), reverse=True)
        result["parts_us_median"] = {k: v for v, k in med if not k.startswith("p:")}
        procs = [(k[2:], v) for v, k in med if k.startswith("p:")]
        result["processors_us_median"] = dict(procs[:12])
        result["processors_sum_of_medians_us"] = round(sum(v for _, v in procs), 1)
        result["processors"] = len(procs)
    return result


def _instrument(acc: dict[str, list[float]]) -> None:
    """Time the parts of ``AthletePipeline._tick`` and each processor (a benchmark-only monkeypatch that repeats
    ``_tick``'s and ``Engine.tick``'s steps; it adds ~1 µs per timed part)."""
    import processors.engine as engine_mod
    from processors.registry import Context

    clock = time.perf_counter_ns

    def tick(self: AthletePipeline, s: int, out: Output) -> None:
        assert self._engine is not None and self._policy is not None
        started = time.perf_counter()
        t0 = clock()
        w = self.window()
        t1 = clock()
        ind = self._engine.tick(w)
        t2 = clock()
        ind.signal = self.signal_at(s)
        alerts = self._policy.update(ind)
        t3 = clock()
        status = self._status(ind, from_engine=True)  # as _tick builds it
        t4 = clock()
        for key, ns in (("window", t1 - t0), ("engine", t2 - t1), ("signal+policy", t3 - t2), ("status", t4 - t3)):
            acc.setdefault(key, []).append(ns)
        self.last_status = status
        out.statuses.append(status)
        out.alerts.extend(alerts)
        out.tick_seconds.append(time.perf_counter() - started)

    original = engine_mod.Engine.tick

    def engine_tick(self: engine_mod.Engine, window: Any) -> Any:
        steps = self._steps

        def timed(update: Any, sym: str) -> Any:
            def run(ctx: Context) -> None:
                a = clock()
                update(ctx)
                acc.setdefault("p:" + sym, []).append(clock() - a)

            return run

        self._steps = [(sym, timed(update, sym), get) for sym, update, get in steps]
        try:
            return original(self, window)
        finally:
            self._steps = steps

    AthletePipeline._tick = tick  # type: ignore[method-assign]
    engine_mod.Engine.tick = engine_tick  # type: ignore[method-assign]


def bench_rss(athletes: int, marks_min: list[float]) -> dict[str, Any]:
    from monitor.core.router import Router

    seconds = int(max(marks_min) * 60)
    run = run_arrays(max(seconds, 1200) + STAGGER_S)
    router = Router()
    warm = f"{DEFAULT_PREFIX}/bench/warm/frame"  # one athlete first, over the whole span: imports, interned
    for a0 in range(0, max(seconds, 1200), 60):  # strings and caches that grow with the session (drift's index
        router.handle(warm, encode_frames(_frames(run, a0, 60, T0 + a0)))  # pairs) are the process's, not per athlete
    gc.collect()
    base = _rss_kb()
    topics = [f"{DEFAULT_PREFIX}/bench/a{i:05d}/frame" for i in range(athletes)]
    out: dict[str, Any] = {"athletes": athletes, "base_rss_kb": base}
    done = 0
    for mark in sorted(marks_min):
        end = int(mark * 60)
        for a0 in range(done, end, 60):
            n = min(60, end - a0)
            for i, topic in enumerate(topics):
                router.handle(topic, encode_frames(_frames(run, i % STAGGER_S + a0, n, T0 + a0)))
        done = end
        gc.collect()
        out[f"kb_per_athlete_{mark:g}min"] = (_rss_kb() - base) / athletes
    out["statuses"] = router.counters["statuses"]
    return out


def bench_analyze(hours: float) -> dict[str, Any]:
    seconds = int(hours * 3600)
    run = run_arrays(seconds + STAGGER_S)
    frames = _frames(run, 0, seconds, T0)
    began = time.perf_counter()
    result = run_offline(frames, squad="bench", athlete="a", profile=PROFILE)
    wall = time.perf_counter() - began
    return {"event_s": seconds, "wall_s": wall, "x_real_time": seconds / wall, "statuses": len(result.statuses)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="benchmarks without a broker")
    ap.add_argument("what", choices=("tick", "rss", "analyze"))
    ap.add_argument("--athletes", type=int, default=100)
    ap.add_argument("--minutes", type=float, default=10.0, help="tick: timed event minutes per athlete")
    ap.add_argument("--warm-minutes", type=float, default=60.0, help="tick: event minutes before timing")
    ap.add_argument("--breakdown", action="store_true", help="tick: time the parts and the processors (per athlete)")
    ap.add_argument(
        "--no-batch", action="store_true", help="tick: each athlete's ticks at once, not a second's ticks together"
    )
    ap.add_argument("--marks", default="10,180", help="rss: event minutes to measure at")
    ap.add_argument("--hours", type=float, default=3.0, help="analyze: run length")
    args = ap.parse_args(argv)
    if args.what == "tick":
        result = bench_tick(args.athletes, args.minutes, args.warm_minutes, args.breakdown, not args.no_batch)
    elif args.what == "rss":
        result = bench_rss(args.athletes, [float(x) for x in args.marks.split(",")])
    else:
        result = bench_analyze(args.hours)
    result["machine"] = measure()  # after the run: the yardsticks of the machine as it was (docs/performance.md ¹⁴)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

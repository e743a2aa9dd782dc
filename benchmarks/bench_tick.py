"""Benchmark: one full ``Engine.tick`` for one athlete with a 60-min history.

Run from the repository root::

    python benchmarks/bench_tick.py [--ticks N] [--repeat R]

An engine is first driven through 60 minutes of a synthetic run (a tick every 5 s of event time, as the monitor
does), so every indicator is live; then each timed tick sees the usual 3600-s window with 5 new seconds. Prints
the median and 95th percentile in microseconds, plus the one-off cost of a cold tick (fresh engine, full 60-min
window: a restart without saved state).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from processors.engine import Engine
from processors.profile import Profile
from processors.window import Window

T0 = 1_732_400_000.0
HISTORY_S = 3600


def synthetic_run(seconds: int, seed: int = 7) -> dict[str, np.ndarray]:
    """A hot, slightly-too-fast run: 300 s/km (training 330), 28 °C, HR drifting, cadence falling."""
    rng = np.random.default_rng(seed)
    s = np.arange(seconds, dtype=np.float64)
    hr = 100 + 58 * (1 - np.exp(-s / 90)) + 15 * np.clip(s - 600, 0, None) / 3600
    cad = 176 - 6 * np.clip((s - 1200) / 3600, 0, 1)
    return {
        "t": T0 + s,
        "hr": np.round(hr + rng.normal(0, 1.5, seconds)),
        "speed": 1000 / 300 + rng.normal(0, 0.08, seconds),
        "cadence": np.round(cad + rng.normal(0, 1.5, seconds)),
        "temp": np.round(28 + rng.normal(0, 0.2, seconds), 1),
    }


def window(run: dict[str, np.ndarray], end: int) -> Window:
    a = max(0, end + 1 - HISTORY_S)
    return Window(
        t=run["t"][a : end + 1],
        hr=run["hr"][a : end + 1],
        speed=run["speed"][a : end + 1],
        cadence=run["cadence"][a : end + 1],
        temp=run["temp"][a : end + 1],
        session_start=T0,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticks", type=int, default=600, help="timed ticks per repeat (5 s of event time each)")
    ap.add_argument("--repeat", type=int, default=3, help="repeats (the best median is reported)")
    args = ap.parse_args()

    profile = Profile(training_pace=330, sex="male", age=40, mass_kg=72, longest_run_min=120)
    total = HISTORY_S + 5 * args.ticks + 10
    run = synthetic_run(total)
    warm = Engine(profile)
    for end in range(5, HISTORY_S, 5):
        warm.tick(window(run, end))
    state = warm.state_dict()
    windows = [window(run, end) for end in range(HISTORY_S, HISTORY_S + 5 * args.ticks, 5)]

    best: list[float] | None = None
    for _ in range(args.repeat):
        eng = Engine.from_state(profile, state)
        times = []
        for w in windows:
            t = time.perf_counter_ns()
            eng.tick(w)
            times.append((time.perf_counter_ns() - t) / 1000.0)
        if best is None or statistics.median(times) < statistics.median(best):
            best = times
    assert best is not None
    best.sort()
    p95 = best[min(len(best) - 1, int(0.95 * len(best)))]

    colds = []
    for _ in range(5):
        t = time.perf_counter_ns()
        Engine(profile).tick(window(run, HISTORY_S))
        colds.append((time.perf_counter_ns() - t) / 1000.0)

    print(f"Engine.tick, one athlete, 60-min history, {len(best)} ticks x best of {args.repeat}:")
    print(f"  median {statistics.median(best):8.1f} us")
    print(f"  p95    {p95:8.1f} us")
    print(f"  max    {best[-1]:8.1f} us")
    print(f"cold tick (fresh engine, full 3600-s window): median {statistics.median(colds):8.1f} us")


if __name__ == "__main__":
    main()

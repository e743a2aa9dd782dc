"""Instructions per in-service tick, counted by valgrind: a figure the machine's load does not move.

    python -m benchmarks.icount                       # 5 athletes, 60-min warm-up, then 2 min: 120 ticks
    python -m benchmarks.icount --athletes 10 --minutes 3

Runs ``python -m benchmarks.icount run`` twice under ``valgrind --tool=cachegrind --cache-sim=no`` (with
``PYTHONHASHSEED=0``): once up to the end of the warm-up, once on to the end of the timed minutes, and prints one
JSON line with the difference divided by the ticks in between: the instructions of a tick as
``benchmarks.offline tick`` drives it (athletes interleaved second by second; the ingest of their samples, the
tick and the status encode), start-up, imports and warm-up cancelled out. After the warm-up the heap is collected
and frozen (as the service's GC guard does), so a full collection of the warm-up's objects cannot fall into one
run's timed minutes and not another's. Takes ~2 min per run on this VM (~50x
slower than native). Needs valgrind.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import subprocess
import sys
from typing import Any

from benchmarks.loadgen import STAGGER_S, T0, _frames, run_arrays
from benchmarks.offline import PROFILE
from monitor.core.pipeline import AthletePipeline, encode_status

_SPARE_MIN = 10  # the run arrays cover this many minutes after the warm-up, whatever --minutes (the same input)


def drive(athletes: int, warm_minutes: float, minutes: float) -> int:
    """Run the athletes through the warm-up and then ``minutes`` more; returns the ticks of those minutes."""
    warm = int(warm_minutes * 60)
    run = run_arrays(warm + _SPARE_MIN * 60 + STAGGER_S)
    pipes = [AthletePipeline("bench", f"a{i}", PROFILE) for i in range(athletes)]
    for i, pipe in enumerate(pipes):
        for f in _frames(run, i % STAGGER_S, warm, T0):
            pipe.add_many((n, f.t, v) for n, v in f.streams().items())
    per = [_frames(run, i % STAGGER_S + warm, _SPARE_MIN * 60, T0 + warm) for i in range(athletes)]
    gc.collect()  # as the service's GC guard does (monitor/gcguard.py): what survived is frozen, so a full
    gc.freeze()  # collection does not walk the warm-up's state at a point that depends on the allocation count
    ticks = 0
    for k in range(int(minutes * 60)):
        for i, pipe in enumerate(pipes):
            f = per[i][k]
            for status in pipe.add_many((n, f.t, v) for n, v in f.streams().items()).statuses:
                encode_status(status)
                ticks += 1
    return ticks


def _count(athletes: int, warm_minutes: float, minutes: float) -> tuple[int, int]:
    """(instructions, ticks) of one run under valgrind."""
    cmd = [
        "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
        sys.executable, "-m", "benchmarks.icount", "run",
        "--athletes", str(athletes), "--warm-minutes", str(warm_minutes), "--minutes", str(minutes),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    refs = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if refs is None:
        raise RuntimeError(f"no instruction count in valgrind's output: {done.stderr[-500:]}")
    return int(refs.group(1).replace(",", "")), int(done.stdout.split()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="instructions per in-service tick (valgrind)")
    ap.add_argument("what", nargs="?", default="count", choices=("count", "run"))
    ap.add_argument("--athletes", type=int, default=5)
    ap.add_argument("--warm-minutes", type=float, default=60.0)
    ap.add_argument("--minutes", type=float, default=2.0, help=f"timed event minutes (at most {_SPARE_MIN})")
    args = ap.parse_args(argv)
    if not 0 <= args.minutes <= _SPARE_MIN:
        ap.error(f"--minutes must be within 0..{_SPARE_MIN}")
    if args.what == "run":  # the child valgrind runs
        print(drive(args.athletes, args.warm_minutes, args.minutes), flush=True)
        return
    base, _ = _count(args.athletes, args.warm_minutes, 0.0)
    total, ticks = _count(args.athletes, args.warm_minutes, args.minutes)
    result: dict[str, Any] = {
        "athletes": args.athletes,
        "ticks": ticks,
        "instructions_per_tick": round((total - base) / max(ticks, 1)),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

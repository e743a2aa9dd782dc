"""Instructions per in-service tick, counted by valgrind's callgrind: a figure that does not move with the machine's
load or speed (a shared VM's timings moved by 30 % within an hour; docs/performance.md ¹⁴), for comparing two
versions of the tick code on any machine.

    python -m benchmarks.instructions                    # 3 athletes, 60 event-min warm-up, 300 s timed each
    python -m benchmarks.instructions --seconds 20 --warm-minutes 2   # a quick look

Needs ``valgrind`` (Debian package). The warm-up runs under valgrind too (~1-2 min at the defaults). Only the
ticks are counted: each (``AthletePipeline._tick`` and the encode of its status, as ``benchmarks.offline tick``
times them) runs inside ``operator.call``, the one function callgrind collects in
(``--collect-atstart=no --toggle-collect=_operator_call``). Prints one JSON line: ticks, instructions per tick and
a digest of the encoded statuses (equal digests: the same outputs, so the counts compare the same work).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import operator
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.machine import measure


def run_ticks(athletes: int, seconds: int, warm_minutes: float) -> tuple[int, str]:
    """Warm the athletes, then feed ``seconds`` more event seconds each; returns (ticks, digest of the statuses)."""
    from benchmarks.loadgen import T0, _frames, run_arrays
    from benchmarks.offline import PROFILE
    from monitor.core.pipeline import AthletePipeline, Output, encode_status

    warm = int(warm_minutes * 60)
    run = run_arrays(warm + seconds + 7 * athletes)
    pipes = [AthletePipeline("bench", f"a{i}", PROFILE) for i in range(athletes)]
    for i, pipe in enumerate(pipes):
        for f in _frames(run, i * 7, warm, T0):
            pipe.add_many((n, f.t, v) for n, v in f.streams().items())
    per = [_frames(run, i * 7 + warm, seconds, T0 + warm) for i in range(athletes)]
    encoded: list[bytes] = []
    original = AthletePipeline._tick

    def measured(pipe: AthletePipeline, s: int, out: Output) -> None:
        original(pipe, s, out)
        encoded.append(encode_status(out.statuses[-1]))

    def tick(pipe: AthletePipeline, s: int, out: Output) -> None:
        operator.call(measured, pipe, s, out)

    AthletePipeline._tick = tick  # type: ignore[method-assign]
    gc.collect()
    try:
        for k in range(seconds):
            for i, pipe in enumerate(pipes):
                f = per[i][k]
                pipe.add_many((n, f.t, v) for n, v in f.streams().items())
    finally:
        AthletePipeline._tick = original  # type: ignore[method-assign]
    return len(encoded), hashlib.sha256(b"\n".join(encoded)).hexdigest()[:16]


def count(athletes: int, seconds: int, warm_minutes: float) -> dict[str, Any]:
    """Run :func:`run_ticks` in a child process under callgrind and read its instruction total."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("benchmarks.instructions: needs valgrind (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        sizes = ["--athletes", str(athletes), "--seconds", str(seconds), "--warm-minutes", str(warm_minutes)]
        tool = ["--tool=callgrind", "--collect-atstart=no", "--toggle-collect=_operator_call"]
        inner = [sys.executable, "-m", "benchmarks.instructions", "--inner", *sizes]
        argv = [valgrind, *tool, f"--callgrind-out-file={out}", *inner]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        said = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not said:
            raise SystemExit(f"benchmarks.instructions: the run under valgrind failed: {done.stderr[-500:]}")
        result: dict[str, Any] = json.loads(said[-1])
        totals = re.search(r"^(?:summary|totals):\s+(\d+)", out.read_text(), re.MULTILINE)
        if totals is None:
            raise SystemExit("benchmarks.instructions: no instruction total in callgrind's output")
    ir = int(totals.group(1))
    return {**result, "instructions": ir, "instructions_per_tick": round(ir / max(result["ticks"], 1))}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="instructions per in-service tick (valgrind callgrind)")
    ap.add_argument("--athletes", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=300, help="timed event seconds per athlete (a tick per 5)")
    ap.add_argument("--warm-minutes", type=float, default=60.0, help="event minutes before counting")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)  # the run under valgrind
    args = ap.parse_args(argv)
    if args.athletes < 1 or args.seconds < 5 or args.warm_minutes < 0:
        ap.error("need --athletes >= 1, --seconds >= 5 and --warm-minutes >= 0")
    if args.inner:
        ticks, digest = run_ticks(args.athletes, args.seconds, args.warm_minutes)
        print(json.dumps({"ticks": ticks, "digest": digest}))
        return
    result = count(args.athletes, args.seconds, args.warm_minutes)
    print(json.dumps({**result, "athletes": args.athletes, "seconds": args.seconds,
                      "warm_minutes": args.warm_minutes, "machine": measure()}))  # fmt: skip


if __name__ == "__main__":
    main()

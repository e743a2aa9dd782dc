"""Same output, bit for bit? Every status and alert of ten simulated runs through the offline pipeline, written to a
file by one checkout and compared by another (a tool for speed work that must not change a result).

    python -m benchmarks.golden dump before.json     # on the code before the change
    python -m benchmarks.golden check before.json    # on the code after: prints ALL SAME, or the first difference

The runs: four hot-marathon runners (alerts of every kind), tempo and intervals with their plans, hills, an easy
run, a squad runner and a flat marathon, seed 7. ``check`` exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from typing import Any

from monitor.core.pipeline import encode_status, run_offline
from simulators.scenarios import load_scenario

JOBS = [("hot-marathon", i) for i in range(4)] + [
    ("tempo", 0), ("intervals", 0), ("hills", 0), ("easy", 1), ("squad", 3), ("flat-monotony", 0),
]  # fmt: skip


def outputs() -> dict[str, dict[str, Any]]:
    """Per run: the encoded statuses, the alerts (repr) and a digest of both."""
    out: dict[str, dict[str, Any]] = {}
    spent = 0.0
    for name, i in JOBS:
        scenario = load_scenario(name)
        run = scenario.simulate_one(i, seed=7, start=1_700_000_000.0)
        began = time.perf_counter()
        res = run_offline(run.frames, squad=scenario.squad, athlete=run.athlete, profile=run.profile, plan=run.plan)
        spent += time.perf_counter() - began
        statuses = [encode_status(s).decode() for s in res.statuses]
        alerts = [repr(a) for a in res.alerts]
        digest = hashlib.sha256("\n".join(statuses + alerts).encode()).hexdigest()[:16]
        out[f"{name}/{i}"] = {"sha": digest, "statuses": statuses, "alerts": alerts}
    print(f"pipeline time {spent:.2f} s", file=sys.stderr)
    return out


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            flat.update(_flat(v, f"{prefix}{k}."))
        else:
            flat[prefix + k] = v
    return flat


def compare(ref: dict[str, dict[str, Any]], cur: dict[str, dict[str, Any]]) -> int:
    """Print per run whether it is the same; returns the number of runs that differ."""
    bad = 0
    for key, now in cur.items():
        was = ref.get(key)
        if was is not None and was["sha"] == now["sha"]:
            print("same", key)
            continue
        bad += 1
        print("DIFF", key)
        for a, b in zip((was or {}).get("statuses", []), now["statuses"], strict=False):
            if a != b:
                fa, fb = _flat(json.loads(a)), _flat(json.loads(b))
                diff = {k: (fa.get(k), fb.get(k)) for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)}
                print("  first status that differs:", diff)
                break
        if was is not None and was["alerts"] != now["alerts"]:
            print("  the alerts differ")
    return bad


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="statuses and alerts of ten simulated runs: dump, or check against a dump")
    ap.add_argument("mode", choices=("dump", "check"))
    ap.add_argument("file")
    args = ap.parse_args(argv)
    ref: dict[str, dict[str, Any]] = {}
    if args.mode == "check":  # read the dump first: a bad path is one line, before the runs
        try:
            with open(args.file) as f:
                ref = json.load(f)
        except (OSError, ValueError) as exc:
            print(f"golden: cannot read {args.file}: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
    cur = outputs()
    if args.mode == "dump":
        with open(args.file, "w") as f:
            json.dump(cur, f)
        for key, v in cur.items():
            print(key, len(v["statuses"]), "statuses,", len(v["alerts"]), "alerts,", v["sha"])
        return
    bad = compare(ref, cur)
    print("BAD" if bad else "ALL SAME")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()

"""The safety counts of issue 9 over the simulator's built-in scenarios (no broker):
``python benchmarks/safety_counts.py [ATHLETES] [SCENARIO...]``.

Counts ``stop_and_stretch`` without cramp signs (status ``acute_cramp``) and before any true onset, stride or
form advice while the simulated runner truly walks or stands (and, separately, while limping after a cramp),
drink alerts below 1.5 % estimated sweat loss, and medical alerts with and without a cramp in the run.
Results in docs/alerts.md ("Measured")."""

from __future__ import annotations

import sys
from collections import Counter

from monitor.core.pipeline import run_offline
from simulators.runner.model import GAITS
from simulators.scenarios import builtin_names, load_scenario


def counts(name: str, athletes: int, seed: int = 0) -> Counter[str]:
    scenario = load_scenario(name)
    c: Counter[str] = Counter()
    for i in range(athletes):
        run = scenario.simulate_one(i, seed=seed)
        res = run_offline(run.frames, squad=scenario.squad, athlete=run.athlete, profile=run.profile)
        status = {s["t"]: s for s in res.statuses}
        t0, gaits = float(run.trace.t[0]), run.trace.gait
        c["runs"] += 1
        c["runs with a cramp"] += run.truth.onset is not None
        c["runner-hours x100"] += round(100 * len(run.trace.t) / 3600)
        for a in res.alerts:
            st = status.get(a.t, {})
            gait = GAITS[int(gaits[min(max(round(a.t - t0), 0), len(gaits) - 1)])]
            c[f"{a.kind} {a.level}"] += 1
            if a.kind == "stop_and_stretch" and not st.get("acute_cramp"):
                c["! stop_and_stretch without cramp signs"] += 1
            if a.kind == "stop_and_stretch" and (run.truth.onset is None or a.t < run.truth.onset):
                c["! stop_and_stretch before the true onset"] += 1
            if a.kind in ("shorten_stride", "change_form") and gait in ("walk", "stand"):
                c["! stride/form advice while walking or standing"] += 1
            if a.kind in ("shorten_stride", "change_form") and gait in ("limp", "acute"):
                c["stride/form advice while limping (after a cramp)"] += 1
            loss = st.get("sweat_loss_pct")
            if a.kind == "hydrate" and (loss is None or loss < 1.5):
                c["! drink alert below 1.5 % loss"] += 1
            if a.kind == "medical":
                c["medical, run with a cramp" if run.truth.onset is not None else "! medical, run without a cramp"] += 1
    return c


def main() -> None:
    athletes = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    names = sys.argv[2:] or builtin_names()
    total: Counter[str] = Counter()
    for name in names:
        c = counts(name, athletes)
        total.update(c)
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())), flush=True)
    print("all: " + ", ".join(f"{k} {v}" for k, v in sorted(total.items())))


if __name__ == "__main__":
    main()

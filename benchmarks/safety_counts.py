"""The safety counts of issue 9 over the simulator's built-in scenarios (no broker):
``python benchmarks/safety_counts.py [ATHLETES] [SCENARIO...]``.

Counts ``stop_and_stretch`` without cramp signs (status ``acute_cramp``) and before any true onset, stride or
form advice while the simulated runner truly walks or stands (and, separately, while limping after a cramp),
drink alerts below 1.5 % estimated sweat loss, and medical alerts with and without a cramp in the run.

Then the nuisance of the same runs (:func:`nuisance`): alerts per runner-hour by level, and how soon the same
advice comes again — every ``advice``-level alert whose kind was already sent in the run (at any level) is a
*repeat*; its gap is the time since that kind's previous alert; repeats closer than :data:`NAG_S` are counted, and
the median gap is given. Results in docs/alerts.md ("Measured")."""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from collections.abc import Iterable, Sequence

from monitor.core.pipeline import run_offline
from simulators.runner.model import GAITS
from simulators.scenarios import builtin_names, load_scenario

#: The same advice again sooner than this is a nag (a watch that buzzes the same words every few minutes).
NAG_S = 900.0
LEVELS = ("advice", "warning", "critical")


def advice_gaps(alerts: Iterable[tuple[float, str, str]]) -> list[tuple[str, float]]:
    """(kind, seconds since that kind's previous alert of any level) of each advice-level repeat of one run;
    ``alerts`` are (t, level, kind) in time order.

    >>> advice_gaps([(0.0, "advice", "a"), (300.0, "warning", "a"), (900.0, "advice", "a"), (950.0, "advice", "b")])
    [('a', 600.0)]
    """
    last: dict[str, float] = {}
    gaps: list[tuple[str, float]] = []
    for t, level, kind in alerts:
        if level == "advice" and kind in last:
            gaps.append((kind, t - last[kind]))
        last[kind] = t
    return gaps


def nuisance(levels: Counter[str], gaps: Sequence[tuple[str, float]], hours: float) -> str:
    """One line: alerts per runner-hour by level, advice repeats (closer than :data:`NAG_S` by kind), the median
    gap by kind (drink advice has its own schedule, rule 14: shown apart from the others).

    >>> for part in nuisance(Counter(advice=3, warning=1), [("a", 300.0), ("a", 1200.0)], 2.0).split("; "):
    ...     print(part)
    alerts per runner-hour: advice 1.50, warning 0.50, critical 0.00
    same-kind advice repeats 2, closer than 15 min 1 (a 1)
    median gap a 12.5 min
    """
    rate = ", ".join(f"{lv} {levels[lv] / hours:.2f}" for lv in LEVELS) if hours > 0 else "no runner-hours"
    close = Counter(k for k, g in gaps if g < NAG_S)
    by_kind = ", ".join(f"{k} {n}" for k, n in sorted(close.items()))
    kinds = sorted({k for k, _ in gaps})
    medians = ", ".join(f"{k} {statistics.median(g for j, g in gaps if j == k) / 60:.1f}" for k in kinds)
    return (
        f"alerts per runner-hour: {rate}; same-kind advice repeats {len(gaps)}, closer than {NAG_S / 60:.0f} min "
        f"{sum(close.values())} ({by_kind}); median gap {medians or '-'} min"
    )


def counts(name: str, athletes: int, seed: int = 0, gaps: list[tuple[str, float]] | None = None) -> Counter[str]:
    scenario = load_scenario(name)
    c: Counter[str] = Counter()
    for i in range(athletes):
        run = scenario.simulate_one(i, seed=seed)
        res = run_offline(run.frames, squad=scenario.squad, athlete=run.athlete, profile=run.profile, plan=run.plan)
        status = {s["t"]: s for s in res.statuses}
        t0, gaits = float(run.trace.t[0]), run.trace.gait
        c["runs"] += 1
        c["runs with a cramp"] += run.truth.onset is not None
        c["runner-hours x100"] += round(100 * len(run.trace.t) / 3600)
        c["runner-seconds"] += len(run.trace.t)
        if gaps is not None:
            gaps.extend(advice_gaps((a.t, a.level, a.kind) for a in res.alerts))
        for a in res.alerts:
            st = status.get(a.t, {})
            gait = GAITS[int(gaits[min(max(round(a.t - t0), 0), len(gaits) - 1)])]
            c[f"{a.kind} {a.level}"] += 1
            c[a.level] += 1
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
    gaps: list[tuple[str, float]] = []
    for name in names:
        mine: list[tuple[str, float]] = []
        c = counts(name, athletes, gaps=mine)
        gaps.extend(mine)
        total.update(c)
        shown = {k: v for k, v in c.items() if k not in LEVELS and k != "runner-seconds"}
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(shown.items())), flush=True)
        print(f"  {name} nuisance: " + nuisance(c, mine, c["runner-seconds"] / 3600), flush=True)
    shown = {k: v for k, v in total.items() if k not in LEVELS and k != "runner-seconds"}
    print("all: " + ", ".join(f"{k} {v}" for k, v in sorted(shown.items())))
    print(f"all nuisance ({total['runner-seconds'] / 3600:.1f} runner-hours): "
          + nuisance(total, gaps, total["runner-seconds"] / 3600))  # fmt: skip


if __name__ == "__main__":
    main()

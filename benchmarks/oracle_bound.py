"""How well *could* anything warn on this simulator? An oracle that knows the simulator's own cramp hazard.

    python -m benchmarks.oracle_bound [--athletes 16] [--seed 0] [--scenario NAME ...]

Simulates the built-in scenarios' runners (the ``current`` truth model: the runner model's own hazard; no pipeline)
and warns from the **true** hazard, which no model reading noisy streams can know, in two forms:

* ``now``: the chance of a cramp in the next 30 min if the hazard stayed as it is now, ``1 − exp(−h·1800)``;
* ``clairvoyant``: the same from the true hazard integrated over the *next* 30 min (it knows the runner's
  future pace, heat and fatigue; only the random draw of the onset stays unknown; past the onset, where the
  simulated runner limps, the hazard at the onset is carried on).

An alarm goes out when that chance reaches ``θ``, then again at most every ``R`` min while it stays there — the
shape of the alert policy's warning and reminder (docs/alerts.md). Each (θ, R) is scored exactly as
``crampwatch evaluate --truth current`` scores the pipeline (:func:`monitor.commands._truth_eval.warning_quality`:
sensitivity, median lead, false alarms per runner-hour, precision; horizon 30 min). The printed frontier is the
best sensitivity any warning rule of that shape reaches under a false-alarm budget: an upper bound for the
pipeline, whose risk sees only the streams.

It also prints the **AUC ceiling**: the time-dependent AUC of the true log-hazard (15–5 min before onset, the same
pairs and bootstrap as ``evaluate --truth``, :func:`monitor.commands._truth_eval.discrimination`) beside the
profile-and-time baseline's (:func:`processors.risk.baseline_logit` on the elapsed time): no risk read from the
streams can rank runners better than the hazard that decides their cramps. Results in docs/science.md ("What
the simulator allows").
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from monitor.commands._truth_eval import TruthRun, discrimination, warning_quality
from processors.profile import Profile
from processors.risk import baseline_logit
from simulators.runner import DEFAULT_START
from simulators.scenarios import builtin_names, load_scenario

HORIZON_S = 1800.0
THRESHOLDS = (0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
REMINDERS_MIN = (30.0, 45.0, 60.0, 1e9)
BUDGETS = (0.3, 0.5, 1.0)


@dataclass(frozen=True, slots=True)
class HazardRun:
    """One simulated runner: seconds, the true hazard per second (0 while not running), first onset."""

    scenario: str
    athlete: str
    t: np.ndarray
    hazard: np.ndarray
    onset: float | None
    profile: Profile = field(default_factory=Profile)


def simulate(scenarios: Sequence[str], athletes: int, seed: int) -> list[HazardRun]:
    out = []
    for name in scenarios:
        scenario = load_scenario(name)
        for i in range(athletes):
            run = scenario.simulate_one(i, seed=seed, start=DEFAULT_START)
            trace = run.trace
            out.append(HazardRun(scenario.name, run.athlete, trace.t, trace.hazard, run.truth.onset, run.profile))
    return out


def chance(run: HazardRun, form: str) -> np.ndarray:
    """P(onset within 30 min) per second under the oracle's form.

    >>> run = HazardRun("s", "a", np.arange(3600.0), np.full(3600, 1e-4), None)
    >>> round(float(chance(run, "now")[0]), 3), round(float(chance(run, "clairvoyant")[-1]), 4)
    (0.165, 0.0001)
    """
    h = run.hazard
    if form == "now":
        return 1.0 - np.exp(-h * HORIZON_S)
    if run.onset is not None:  # after the onset the simulated runner limps (no hazard): carry the onset's on
        k = int(np.searchsorted(run.t, run.onset))
        h = h.copy()
        h[k:] = h[max(k - 1, 0)]
    cum = np.concatenate([[0.0], np.cumsum(h)])
    n = len(h)
    ahead = np.minimum(np.arange(n) + int(HORIZON_S), n)
    return 1.0 - np.exp(-(cum[ahead] - cum[:n]))


def alarms(t: np.ndarray, p: np.ndarray, theta: float, every_s: float) -> list[float]:
    """Alarm times: when ``p`` first reaches ``theta``, then at most every ``every_s`` while it stays there.

    >>> t = np.arange(0.0, 10.0)
    >>> alarms(t, np.array([0, 0, .2, .3, .3, 0, .2, .2, .2, .2]), 0.2, 3.0)
    [2.0, 6.0, 9.0]
    """
    out: list[float] = []
    last = -np.inf
    for k in np.flatnonzero(p >= theta):
        tk = float(t[k])
        if tk - last >= every_s:
            out.append(tk)
            last = tk
    return out


def score(runs: Sequence[HazardRun], form: str, theta: float, every_s: float) -> dict[str, float | None]:
    scored = []
    for r in runs:
        # after the onset nothing is scored, as in evaluate --truth; the hazard after it is the limping runner's
        cut = len(r.t) if r.onset is None else int(np.searchsorted(r.t, r.onset))
        times = alarms(r.t[:cut], chance(r, form)[:cut], theta, every_s)
        scored.append(TruthRun(
            r.scenario, r.athlete, float(r.t[0]), float(r.t[-1]) + 1.0, {"current": r.onset},
            tuple((x, "warning", "oracle") for x in times), (), (),
        ))  # fmt: skip
    return warning_quality(scored, "current", HORIZON_S)


def per_minute(run: HazardRun) -> TruthRun:
    """The run as ``evaluate --truth`` sees it for the AUC: per elapsed minute, the mean true log-hazard (over the
    seconds of running) as the risk, and the baseline logit."""
    n_min = max(1, int(np.ceil(len(run.t) / 60.0)))
    risk, base = [], []
    longest = run.profile.longest_run_min
    for m in range(n_min):
        h = run.hazard[m * 60 : (m + 1) * 60]
        h = h[h > 0]
        risk.append(float(np.mean(np.log(h))) if len(h) else float("nan"))
        elapsed = 60.0 * m + 30.0
        ratio = elapsed / (60.0 * longest) if longest else None
        base.append(baseline_logit(run.profile, elapsed, ratio))
    return TruthRun(run.scenario, run.athlete, float(run.t[0]), float(run.t[-1]) + 1.0, {"current": run.onset},
                    (), tuple(risk), tuple(base))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--athletes", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", action="append", help="built-in name (default: every built-in one)")
    args = parser.parse_args()
    scenarios = args.scenario or builtin_names()
    runs = simulate(scenarios, args.athletes, args.seed)
    cramps = sum(r.onset is not None for r in runs)
    hours = sum(len(r.t) for r in runs) / 3600.0
    print(f"oracle bound: {', '.join(scenarios)} x {args.athletes} runners, seed {args.seed}: "
          f"{len(runs)} runs, {cramps} with a cramp, {hours:.1f} runner-hours; horizon 30 min")  # fmt: skip
    d = discrimination([per_minute(r) for r in runs], "current")
    lo, hi = d["auc_ci"] or (float("nan"),) * 2
    dlo, dhi = d["auc_diff_ci"] or (float("nan"),) * 2
    print(f"AUC ceiling (true log-hazard, 15-5 min before onset): {d['auc']:.2f} ({lo:.2f}-{hi:.2f}); "
          f"profile-and-time baseline {d['baseline_auc']:.2f}; difference CI {dlo:.2f} to {dhi:.2f}")  # fmt: skip
    for form in ("now", "clairvoyant"):
        print(f"\n{form}:  theta  remind    sens   lead   FA/h   prec")
        rows = []
        for every in REMINDERS_MIN:
            for theta in THRESHOLDS:
                q = score(runs, form, theta, every * 60.0)
                rows.append((theta, every, q))
                print(f"{'':13}{theta:5.2f}  {_every(every):>7}  {_cells(q)}")
        for budget in BUDGETS:
            ok = [(q["sensitivity"] or 0.0, th, ev) for th, ev, q in rows if (q["false_alarms_per_h"] or 0) <= budget]
            best = max(ok, default=None)
            if best is None:
                print(f"  best sensitivity at <= {budget} FA/h: none")
            else:
                print(f"  best sensitivity at <= {budget} FA/h: {best[0]:.2f} (theta {best[1]}, {_every(best[2])})")


def _every(minutes: float) -> str:
    return "once" if minutes > 1e8 else f"{minutes:.0f} min"


def _cells(q: dict[str, float | None]) -> str:
    keys = ("sensitivity", "median_lead_min", "false_alarms_per_h", "precision")
    return "  ".join(f"{q[k] or 0.0:5.2f}" for k in keys)


if __name__ == "__main__":
    main()

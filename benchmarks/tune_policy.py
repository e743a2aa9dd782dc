"""Tune the alert policy and the risk's gate on recorded runs: replay, don't re-simulate.

``crampwatch evaluate --truth current`` spends its minutes simulating runners and running the processors; the
risk, the level and the alert policy that decide *when to speak* are a small part of a tick. This harness records
the scenarios' runners once (shadow mode, offline pipeline: what ``evaluate --truth`` does), caches every tick's
indicators, then replays the risk, level and :class:`alerts.policy.AlertPolicy` over the cached ticks with
candidate settings, and scores each candidate with the same function ``evaluate --truth`` uses
(:func:`monitor.commands._truth_eval.warning_quality`), and with the time-dependent AUC of the risk (15–5 min
before onset) and of the profile-and-time baseline (:func:`~monitor.commands._truth_eval.discrimination`, on the
per-minute means of the replayed risk: what ``evaluate --truth`` computes from the statuses). Replaying the
defaults reproduces the pipeline's own alerts exactly; that is checked on every run (``--no-check`` skips it).

    python -m benchmarks.tune_policy --athletes 64 --seed 1 --jobs 2 --cache /tmp/tune-s1.pkl \\
        --grid alarm_reminder_s=1800,2700,3600 --grid INTERCEPT=-3.7,-3.9 \\
        --candidate "EVIDENCE_HIGH=1.2 alarm_reminder_s=2700"

A setting is a :class:`PolicyConfig` field (``alarm_reminder_s``, ``debounce_s``, ``warmup_s``, ...), a risk
constant (``INTERCEPT``, ``EVIDENCE_HIGH``, ``CRITICAL_MIN_FATIGUE``, ``CRITICAL_MIN_ELAPSED_S``,
``LAST_QUARTER_BONUS``, ``CARDIAC_FULL_S``), a coefficient of the risk's number (``coef.fatigue``), an evidence
coefficient of the gate that "high" needs (``gate.fatigue``, ``gate.cardiac``: ``processors.risk.max_level`` reads
that evidence; ``coef.fatigue`` alone moves the number, not the gate), the level's ``LEAVE_MARGIN`` or the risk
at which it enters elevated / high / critical (``ENTER.1``, ``ENTER.2``, ``ENTER.3``).
``--grid`` values combine as a product; each ``--candidate`` adds one candidate; the defaults are always the first
row. Protocol (docs/science.md): tune on seed 1, report on seed 0.
"""

from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing
import os
import pickle
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from alerts.policy import PolicyConfig
from benchmarks._tune_record import Recording, alert_key, minute_means, overrides, record_job, replay
from monitor.commands._truth_eval import ALARM_LEVELS, TruthRun, _auc, discrimination, pair_matrices, warning_quality
from monitor.commands.evaluate import HORIZON_MIN, map_jobs
from simulators.scenarios import builtin_names

TRUTH = "current"
Candidate = dict[str, Any]


def record(scenarios: Sequence[str], athletes: int, seed: int, *, jobs: int) -> list[Recording]:
    work = [(ref, i, seed, (TRUTH,)) for ref in scenarios for i in range(athletes)]
    return map_jobs(record_job, work, jobs=jobs, progress=None)


def load_or_record(cache: Path | None, scenarios: Sequence[str], athletes: int, seed: int, *,
                   jobs: int) -> tuple[list[Recording], float]:  # fmt: skip
    """The recordings (from ``cache`` when it holds the same scenarios, size and seed) and the seconds spent."""
    key = {"scenarios": list(scenarios), "athletes": athletes, "seed": seed}
    if cache is not None and cache.exists():
        with cache.open("rb") as fh:
            stored = pickle.load(fh)
        if stored.get("key") == key:
            return list(stored["runs"]), 0.0
    started = time.perf_counter()
    runs = record(scenarios, athletes, seed, jobs=jobs)
    took = time.perf_counter() - started
    if cache is not None:
        tmp = cache.with_suffix(cache.suffix + ".tmp")
        with tmp.open("wb") as fh:
            pickle.dump({"key": key, "runs": runs}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache)
    return runs, took


# ------------------------------------------------------------------------------------------------ candidates
def _policy_types() -> dict[str, type]:
    default = PolicyConfig()
    return {f.name: type(getattr(default, f.name)) for f in fields(PolicyConfig) if f.name != "thresholds"}


def parse_setting(text: str) -> tuple[str, list[Any]]:
    """``key=v1,v2`` → (key, values), typed by the PolicyConfig field (risk constants are floats).

    >>> parse_setting("alarm_reminder_s=1800,2700"), parse_setting("cap=5"), parse_setting("coef.fatigue=2")
    (('alarm_reminder_s', [1800.0, 2700.0]), ('cap', [5]), ('coef.fatigue', [2.0]))
    >>> parse_setting("ENTER.2=0.4"), parse_setting("gate.cardiac=0.6")
    (('ENTER.2', [0.4]), ('gate.cardiac', [0.6]))
    """
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not rest.strip():
        raise ValueError(f"{text!r}: expected key=value[,value...]")
    cast = _policy_types().get(key, float)
    return key, [cast(v.strip()) for v in rest.split(",")]


def candidates(grid: Sequence[str], extra: Sequence[str]) -> list[Candidate]:
    """The defaults, the product of the ``--grid`` settings, then each ``--candidate`` (space-separated k=v).

    >>> candidates(["a=1,2", "b=3"], ["c=4 d=5"])
    [{}, {'a': 1.0, 'b': 3.0}, {'a': 2.0, 'b': 3.0}, {'c': 4.0, 'd': 5.0}]
    """
    out: list[Candidate] = [{}]
    axes = [parse_setting(g) for g in grid]
    if axes:
        for combo in itertools.product(*(vals for _, vals in axes)):
            out.append(dict(zip((k for k, _ in axes), combo, strict=True)))
    for text in extra:
        out.append(dict(parse_setting(part) for part in text.split()) if text.strip() else {})
    for cand in out:
        for k, v in cand.items():
            cand[k] = v[0] if isinstance(v, list) else v
    return out


def split(cand: Candidate) -> tuple[PolicyConfig, dict[str, float]]:
    policy_keys = set(_policy_types())
    config = PolicyConfig(**{k: v for k, v in cand.items() if k in policy_keys})
    return config, {k: float(v) for k, v in cand.items() if k not in policy_keys}


# ------------------------------------------------------------------------------------------------- scoring
MinuteMeans = tuple[tuple[float, ...], tuple[float, ...]]


def truth_runs(runs: Sequence[Recording], alarms: Sequence[Sequence[tuple[float, str, str]]],
               minutes: Sequence[MinuteMeans] | None = None) -> list[TruthRun]:  # fmt: skip
    mins: Sequence[MinuteMeans] = minutes if minutes is not None else [((), ())] * len(runs)
    return [TruthRun(scenario=r.scenario, athlete=r.athlete, start=r.start, end=r.end, onsets=r.onsets,
                     alarms=tuple(a), risk_min=m[0], base_min=m[1])
            for r, a, m in zip(runs, alarms, mins, strict=True)]  # fmt: skip


def score(runs: Sequence[Recording], cand: Candidate, *, bootstrap: int = 0, seed: int = 0) -> dict[str, Any]:
    """Replay every run with ``cand`` and score it as ``evaluate --truth current`` does (overall, per scenario),
    with the time-dependent AUC of the risk and of the profile-and-time baseline under the same constants
    (:func:`monitor.commands._truth_eval.discrimination`; ``bootstrap`` resamples for the intervals, 0: none)."""
    config, consts = split(cand)
    with overrides(consts):
        alerts, minutes = [], []
        for r in runs:
            risks: list[float] = []
            alerts.append(replay(r, config, risks))
            minutes.append(minute_means(r, risks))
    alarms = [[(float(a.t), str(a.level), str(a.kind)) for a in al if a.level in ALARM_LEVELS] for al in alerts]
    tr = truth_runs(runs, alarms, minutes)
    horizon = HORIZON_MIN * 60.0
    by_scenario = {name: warning_quality([t for t in tr if t.scenario == name], TRUTH, horizon)
                   for name in dict.fromkeys(r.scenario for r in runs)}  # fmt: skip
    disc = discrimination(tr, TRUTH, seed=seed, b=bootstrap)
    cases, elig, m_risk, _ = pair_matrices(tr, TRUTH)
    return {"candidate": cand, **warning_quality(tr, TRUTH, horizon), "scenarios": by_scenario,
            "advice": sum(1 for al in alerts for a in al if a.level == "advice"), **disc,
            "pairs_matrix": (cases, elig, m_risk)}  # fmt: skip


def gain_over_defaults(rows: list[dict[str, Any]], n_runs: int, *, bootstrap: int, seed: int = 0) -> None:
    """Set ``auc_gain_ci`` on every row after the first: the bootstrap 95 % interval of AUC(row) − AUC(defaults),
    paired (the same resampled runners for both). The AUCs of two candidates on the same runners are strongly
    correlated, so this interval is much narrower than that of either AUC; it is what says whether a candidate
    ranks better than the defaults or only differently."""
    if bootstrap <= 0 or not rows:
        return
    cases, elig, base = rows[0]["pairs_matrix"]
    if not cases:
        return
    rng = np.random.default_rng(seed)
    weights = [np.bincount(rng.integers(0, n_runs, n_runs), minlength=n_runs).astype(float) for _ in range(bootstrap)]
    for row in rows[1:]:
        c, e, m = row["pairs_matrix"]
        if c != cases or not np.array_equal(e, elig):
            continue  # not the same pairs (cannot happen with the same recordings): no paired interval
        d = [_auc(w[cases], w, elig, m) - _auc(w[cases], w, elig, base) for w in weights]
        d = [x for x in d if math.isfinite(x)]
        if d:
            row["auc_gain_ci"] = [round(float(np.percentile(d, 2.5)), 4), round(float(np.percentile(d, 97.5)), 4)]


def check_defaults(runs: Sequence[Recording]) -> int:
    """Replay with the defaults; the number of runs whose alerts differ from the pipeline's own (should be 0)."""
    with overrides({}):
        return sum(1 for r in runs if [alert_key(a) for a in replay(r, PolicyConfig())]
                   != [alert_key(a) for a in r.alerts])  # fmt: skip


_RUNS: list[Recording] = []


def _init(cache: str) -> None:
    with open(cache, "rb") as fh:
        _RUNS[:] = pickle.load(fh)["runs"]


def _score_job(job: tuple[Candidate, int, int]) -> dict[str, Any]:
    cand, bootstrap, seed = job
    return score(_RUNS, cand, bootstrap=bootstrap, seed=seed)


def score_all(runs: list[Recording], cands: list[Candidate], *, jobs: int, cache: Path | None, bootstrap: int = 0,
              seed: int = 0) -> list[dict[str, Any]]:  # fmt: skip
    if jobs <= 1 or cache is None or len(cands) <= 1:
        return [score(runs, c, bootstrap=bootstrap, seed=seed) for c in cands]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init, initargs=(str(cache),)) as pool:
        return list(pool.map(_score_job, [(c, bootstrap, seed) for c in cands], chunksize=1))


# --------------------------------------------------------------------------------------------------- table
def _fmt(x: Any, spec: str = ".2f") -> str:
    return "n/a" if x is None else format(x, spec)


def _iv(x: Any) -> str:
    return "n/a" if x is None else f"{x[0]:+.3f}..{x[1]:+.3f}"


def render(rows: Sequence[dict[str, Any]]) -> str:
    """One line per candidate: AUC, baseline AUC, the interval of their difference and of the gain over the
    defaults' AUC (when bootstrapped), the warning quality, and false alarms per runner-hour per scenario."""
    names = list(rows[0]["scenarios"]) if rows else []
    short = {n: n[:6] for n in names}
    head = (
        f"{'#':>2s} {'AUC':>5s} {'base':>5s} {'diff CI':>13s} {'gain CI':>13s} {'sens':>5s} {'lead':>5s} {'FA/h':>5s} "
        f"{'prec':>5s} {'FA':>4s} {'adv':>5s}  " + " ".join(f"{short[n]:>6s}" for n in names) + "  candidate"
    )
    lines = [head, f"{'':78s}  FA/h per scenario"]
    for i, r in enumerate(rows):
        cand = " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in r["candidate"].items())
        per = " ".join(f"{_fmt(r['scenarios'][n]['false_alarms_per_h']):>6s}" for n in names)
        auc = f"{_fmt(r.get('auc'), '.3f'):>5s} {_fmt(r.get('baseline_auc'), '.3f'):>5s} "
        auc += f"{_iv(r.get('auc_diff_ci')):>13s} {_iv(r.get('auc_gain_ci')):>13s}"
        lines.append(f"{i:2d} {auc} {_fmt(r['sensitivity']):>5s} {_fmt(r['median_lead_min'], '.1f'):>5s} "
                     f"{_fmt(r['false_alarms_per_h']):>5s} {_fmt(r['precision']):>5s} {r['false_alarms']:4d} "
                     f"{r['advice']:5d}  {per}  {cand or 'defaults'}")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--scenario", action="append", help="built-in scenario (default: all, as evaluate --truth)")
    p.add_argument("--athletes", type=int, default=16, help="runners per scenario (16)")
    p.add_argument("--seed", type=int, default=1, help="simulation seed (1: the tuning seed)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for recording and replay")
    p.add_argument("--cache", type=Path, help="pickle of the recordings (reused when it matches; never commit it)")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2", help="a setting's values (product)")
    p.add_argument("--candidate", action="append", default=[], metavar="'K=V K=V'", help="one more candidate")
    p.add_argument(
        "--bootstrap",
        type=int,
        default=200,
        metavar="B",
        help="resamples for the interval of AUC - baseline (200; 0: none; evaluate uses 1000)",
    )
    p.add_argument("--no-check", action="store_true", help="skip the defaults-reproduce-the-pipeline check")
    args = p.parse_args(argv)
    scenarios = tuple(args.scenario or builtin_names())
    cands = candidates(args.grid, args.candidate)
    for c in cands:
        split(c)  # bad keys and values fail here, before the recording
        with overrides(split(c)[1]):
            pass
    runs, took = load_or_record(args.cache, scenarios, args.athletes, args.seed, jobs=args.jobs)
    hours = sum(r.end - r.start for r in runs) / 3600.0
    print(f"tune_policy: {', '.join(scenarios)} x {args.athletes} runners, seed {args.seed}, truth {TRUTH}: "
          f"{len(runs)} runs, {sum(r.n for r in runs)} ticks, {hours:.0f} runner-hours "
          f"({'recorded in ' + format(took, '.0f') + ' s' if took else 'from ' + str(args.cache)})")  # fmt: skip
    started = time.perf_counter()
    if not args.no_check:
        bad = check_defaults(runs)
        print(f"check: replaying the defaults reproduces the pipeline's alerts in {len(runs) - bad}/{len(runs)} runs")
        if bad:
            return 1
    rows = score_all(runs, cands, jobs=args.jobs, cache=args.cache, bootstrap=args.bootstrap, seed=args.seed)
    gain_over_defaults(rows, len(runs), bootstrap=args.bootstrap, seed=args.seed)
    print(render(rows))
    print(f"replay: {len(cands)} candidates (+ check) in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

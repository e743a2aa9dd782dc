"""``crampwatch evaluate --truth NAME``: warning quality and discrimination under several cramp truth models.

Each simulated runner is simulated once in *shadow mode* (:func:`simulators.runner.simulate` with ``truths``):
the first onset under every truth model is recorded, but no cramp enters the streams. The run goes through the
offline pipeline once; each truth model is then scored on the statuses and alerts **before its own onset** (what
comes after an onset is not scored, so the cramp-free continuation never matters). Per truth model:

* **sensitivity**, **median lead**, **false alarms per runner-hour**: as in plain ``evaluate`` (an alarm is a
  warning or critical alert; horizon ``H`` = 30 min).
* **precision**: alarms in ``[onset − H, onset)`` / all alarms before the onset (all alarms of a runner who does
  not cramp) — the share of warnings followed by a cramp.
* **AUC**: time-dependent AUC (incident cases, dynamic controls; Heagerty & Zheng 2005) of the risk averaged over
  15–5 min before onset. Each case is compared with every runner still running and cramp-free 15 min after the
  case's onset, over the same elapsed minutes of their own run. **baseline_auc**: the same for the
  profile-and-time baseline (:func:`processors.risk.baseline_logit`: the pipeline's own coefficients for the
  profile traits and elapsed time / longest run, nothing read from the streams).
* **auc_ci**: bootstrap 95 % interval of the AUC (runners resampled with replacement, ``B`` = 1000; percentile).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from processors.risk import baseline_logit
from simulators.runner import DEFAULT_START
from simulators.runner.truth import TRUTH_NAMES
from simulators.scenarios import load_scenario

ALARM_LEVELS = ("warning", "critical")
CASE_WINDOW_MIN = (15.0, 5.0)  # risk averaged from 15 to 5 min before onset
CONTROL_CLEAR_MIN = 15.0  # controls stay cramp-free this long after the case's onset
BOOTSTRAP = 1000
JSON_KEYS = ("truth", "auc", "baseline_auc", "auc_ci", "sensitivity", "median_lead_min", "false_alarms_per_h",
             "precision")  # fmt: skip


@dataclass(frozen=True, slots=True)
class TruthRun:
    """One runner: alarms, per-minute mean risk and baseline (index = elapsed minute), onsets per truth."""

    scenario: str
    athlete: str
    start: float
    end: float
    onsets: dict[str, float | None]
    alarms: tuple[tuple[float, str, str], ...]
    risk_min: tuple[float, ...]
    base_min: tuple[float, ...]


def run_truth_job(job: tuple[str, int, int, tuple[str, ...]]) -> TruthRun:
    """Simulate runner ``index`` of a scenario in shadow mode and run it through the offline pipeline."""
    from monitor.core.pipeline import run_offline

    ref, index, seed, truths = job
    scenario = load_scenario(ref)
    run = scenario.simulate_one(index, seed=seed, start=DEFAULT_START, truths=truths)
    result = run_offline(run.frames, squad=scenario.squad, athlete=run.athlete, profile=run.profile, plan=run.plan)
    start = float(run.trace.t[0])
    end = float(run.trace.t[-1]) + 1.0
    n_min = max(1, math.ceil((end - start) / 60.0))
    r_sum = np.zeros(n_min)
    b_sum = np.zeros(n_min)
    cnt = np.zeros(n_min)
    for st in result.statuses:
        m = int((float(st["t"]) - start) // 60.0)
        if 0 <= m < n_min:
            elapsed = float(st["elapsed_s"])
            r_sum[m] += float(st["risk"])
            b_sum[m] += baseline_logit(run.profile, elapsed, st.get("duration_vs_longest"))
            cnt[m] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        risk_min = np.where(cnt > 0, r_sum / cnt, np.nan)
        base_min = np.where(cnt > 0, b_sum / cnt, np.nan)
    alarms = tuple((float(a.t), str(a.level), str(a.kind)) for a in result.alerts if a.level in ALARM_LEVELS)
    return TruthRun(
        scenario=scenario.name, athlete=run.athlete, start=start, end=end, onsets=dict(run.truth_onsets or {}),
        alarms=alarms, risk_min=tuple(float(x) for x in risk_min), base_min=tuple(float(x) for x in base_min),
    )  # fmt: skip


# ------------------------------------------------------------------------------------------- warning quality
def warning_quality(runs: Sequence[TruthRun], truth: str, horizon_s: float) -> dict[str, Any]:
    """Sensitivity, median lead, false alarms per runner-hour and precision under one truth model.

    >>> calm = TruthRun("s", "a", 0.0, 3600.0, {"x": None}, ((1000.0, "warning", "k"),), (), ())
    >>> hit = TruthRun("s", "b", 0.0, 3600.0, {"x": 3000.0}, ((2400.0, "warning", "k"), (3100.0, "critical", "k")),
    ...                (), ())
    >>> q = warning_quality([calm, hit], "x", 1800.0)
    >>> q["sensitivity"], q["median_lead_min"], q["false_alarms_per_h"], q["precision"], q["cramping"]
    (1.0, 10.0, 0.75, 0.5, 1)
    """
    leads: list[float] = []
    false_alarms = hits_alarms = 0
    exposure = 0.0
    cramping = 0
    for r in runs:
        onset = r.onsets.get(truth)
        if onset is None:
            false_alarms += len(r.alarms)
            exposure += r.end - r.start
            continue
        cramping += 1
        lo = max(r.start, onset - horizon_s)
        in_window = [t for t, _, _ in r.alarms if lo <= t < onset]
        if in_window:
            leads.append((onset - in_window[0]) / 60.0)
        hits_alarms += len(in_window)
        false_alarms += sum(1 for t, _, _ in r.alarms if t < lo)
        exposure += max(0.0, lo - r.start)
    alarms = hits_alarms + false_alarms
    return {
        "cramping": cramping,
        "sensitivity": round(len(leads) / cramping, 4) if cramping else None,
        "median_lead_min": round(statistics.median(leads), 2) if leads else None,
        "false_alarms_per_h": round(false_alarms / (exposure / 3600.0), 4) if exposure > 0 else None,
        "precision": round(hits_alarms / alarms, 4) if alarms else None,
        "false_alarms": false_alarms,
        "exposure_h": round(exposure / 3600.0, 2),
    }


# ------------------------------------------------------------------------------------------------------- AUC
def _window_mean(series: Sequence[float], lo_min: float, hi_min: float) -> float:
    a, b = max(0, math.floor(lo_min)), max(0, math.ceil(hi_min))
    vals = [v for v in series[a:b] if math.isfinite(v)]
    return sum(vals) / len(vals) if vals else math.nan


def pair_matrices(runs: Sequence[TruthRun], truth: str) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    """Cases (runner indices) and, per case × runner: eligibility as a control, risk and baseline comparisons
    (1 case higher, 0.5 tie, 0 lower)."""
    n = len(runs)
    onset_min = [None if r.onsets.get(truth) is None else (r.onsets[truth] - r.start) / 60.0 for r in runs]  # type: ignore[operator]
    dur_min = [(r.end - r.start) / 60.0 for r in runs]
    cases = [i for i, e in enumerate(onset_min) if e is not None and e - CASE_WINDOW_MIN[1] >= 1.0]
    elig = np.zeros((len(cases), n))
    m_risk = np.zeros((len(cases), n))
    m_base = np.zeros((len(cases), n))
    for ci, c in enumerate(cases):
        e = onset_min[c]
        assert e is not None
        lo, hi = e - CASE_WINDOW_MIN[0], e - CASE_WINDOW_MIN[1]
        cr, cb = _window_mean(runs[c].risk_min, lo, hi), _window_mean(runs[c].base_min, lo, hi)
        if not (math.isfinite(cr) and math.isfinite(cb)):
            continue
        for j in range(n):
            oj = onset_min[j]
            if j == c or dur_min[j] < e or (oj is not None and oj <= e + CONTROL_CLEAR_MIN):
                continue
            jr, jb = _window_mean(runs[j].risk_min, lo, hi), _window_mean(runs[j].base_min, lo, hi)
            if not (math.isfinite(jr) and math.isfinite(jb)):
                continue
            elig[ci, j] = 1.0
            m_risk[ci, j] = 1.0 if cr > jr else 0.5 if cr == jr else 0.0
            m_base[ci, j] = 1.0 if cb > jb else 0.5 if cb == jb else 0.0
    return cases, elig, m_risk, m_base


def _auc(w_case: np.ndarray, w_all: np.ndarray, elig: np.ndarray, m: np.ndarray) -> float:
    den = float(w_case @ elig @ w_all)
    return float(w_case @ (elig * m) @ w_all) / den if den > 0 else math.nan


def discrimination(runs: Sequence[TruthRun], truth: str, *, seed: int = 0, b: int = BOOTSTRAP) -> dict[str, Any]:
    """AUC of the risk and of the baseline with bootstrap 95 % intervals (runners resampled)."""
    cases, elig, m_risk, m_base = pair_matrices(runs, truth)
    n = len(runs)
    if not cases or not elig.any():
        return {"auc": None, "baseline_auc": None, "auc_ci": None, "baseline_auc_ci": None, "auc_diff_ci": None,
                "pairs": 0}  # fmt: skip
    ones = np.ones(n)
    auc = _auc(ones[cases], ones, elig, m_risk)
    base = _auc(ones[cases], ones, elig, m_base)
    rng = np.random.default_rng(seed)
    boot_r, boot_b = [], []
    for _ in range(b):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        r_, b_ = _auc(w[cases], w, elig, m_risk), _auc(w[cases], w, elig, m_base)
        if math.isfinite(r_) and math.isfinite(b_):
            boot_r.append(r_)
            boot_b.append(b_)

    def ci(xs: Sequence[float]) -> list[float] | None:
        return [round(float(np.percentile(xs, 2.5)), 4), round(float(np.percentile(xs, 97.5)), 4)] if xs else None

    return {
        "auc": round(auc, 4),
        "baseline_auc": round(base, 4),
        "auc_ci": ci(boot_r),
        "baseline_auc_ci": ci(boot_b),
        "auc_diff_ci": ci([r - q for r, q in zip(boot_r, boot_b, strict=True)]),
        "pairs": int(elig.sum()),
    }


def evaluate_truth(runs: Sequence[TruthRun], truth: str, horizon_s: float, *, seed: int = 0) -> dict[str, Any]:
    """Everything for one truth model; the first keys are the contract's ``--json`` keys."""
    q = warning_quality(runs, truth, horizon_s)
    d = discrimination(runs, truth, seed=seed)
    row: dict[str, Any] = {"truth": truth, "auc": d["auc"], "baseline_auc": d["baseline_auc"],
                           "auc_ci": d["auc_ci"], "sensitivity": q["sensitivity"],
                           "median_lead_min": q["median_lead_min"], "false_alarms_per_h": q["false_alarms_per_h"],
                           "precision": q["precision"]}  # fmt: skip
    extra = {k: v for k, v in {**q, **d}.items() if k not in row}
    by_scenario = {}
    for name in dict.fromkeys(r.scenario for r in runs):
        group = [r for r in runs if r.scenario == name]
        by_scenario[name] = warning_quality(group, truth, horizon_s)
    return {**row, "extra": extra, "scenarios": by_scenario}


def parse_truths(values: Sequence[str] | None) -> tuple[str, ...]:
    """``--truth`` values (repeatable, ``all``, comma lists) → truth names in canonical order."""
    wanted: list[str] = []
    for v in values or ():
        for name in v.split(","):
            name = name.strip()
            if name == "all":
                wanted.extend(TRUTH_NAMES)
            elif name in TRUTH_NAMES:
                wanted.append(name)
            else:
                raise ValueError(f"--truth {name[:40]!r}: one of {', '.join(TRUTH_NAMES)} or all")
    return tuple(n for n in TRUTH_NAMES if n in wanted)


def render_truths(settings: dict[str, Any], rows: Sequence[dict[str, Any]]) -> str:
    def f(x: Any, fmt: str = ".2f") -> str:
        return "n/a" if x is None else format(x, fmt)

    def iv(x: Any) -> str:
        return "n/a" if x is None else f"{x[0]:.2f}–{x[1]:.2f}"

    lines = [
        f"evaluate --truth: {', '.join(settings['scenarios'])} x {settings['athletes_per_scenario']} runners, "
        f"seed {settings['seed']}, horizon {settings['horizon_min']:g} min",
        "",
        f"{'truth':15s} {'cramps':>6s} {'AUC':>5s} {'95% CI':>10s} {'base':>5s} {'base CI':>10s} {'diff CI':>11s} "
        f"{'sens':>5s} {'lead':>5s} {'FA/h':>5s} {'prec':>5s}",
    ]
    for r in rows:
        e = r["extra"]
        lines.append(
            f"{r['truth']:15s} {e['cramping']:6d} {f(r['auc']):>5s} {iv(r['auc_ci']):>10s} "
            f"{f(r['baseline_auc']):>5s} {iv(e['baseline_auc_ci']):>10s} {iv(e['auc_diff_ci']):>11s} "
            f"{f(r['sensitivity']):>5s} {f(r['median_lead_min'], '.1f'):>5s} {f(r['false_alarms_per_h']):>5s} "
            f"{f(r['precision']):>5s}"
        )
    if rows:
        lines += ["", "false alarms per runner-hour by scenario (the same for every truth model's non-cramping "
                  f"runners; shown for {rows[0]['truth']}):"]  # fmt: skip
        for name, s in rows[0]["scenarios"].items():
            lines.append(f"  {name:16s} {f(s['false_alarms_per_h'])} ({s['false_alarms']} in {s['exposure_h']:.1f} h)")
    return "\n".join(lines)

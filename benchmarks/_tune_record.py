"""Recording and replay for ``benchmarks/tune_policy.py``.

**Record**: each runner of a scenario is simulated once in shadow mode (as ``crampwatch evaluate --truth``
does) and run through the offline pipeline with a policy that keeps every tick's :class:`Indicators` — what the
risk model reads (``values``: the factor inputs, ``elapsed_s``, ``acute_cramp``) and what the alert policy and
the advice read (signal, gait, sweat, pace, cadence, ...). The ticks are stored column by column (numpy for the
numbers), with the alerts the pipeline itself produced and the truth models' onsets.

**Replay**: the ticks go again through :func:`processors.risk.factor_inputs` / :func:`~processors.risk.risk_of` /
:func:`~processors.risk.max_level`, :func:`processors.level.next_level` and a fresh
:class:`alerts.policy.AlertPolicy`, with candidate settings: :class:`PolicyConfig` fields and overrides of the
risk module's constants (set for the replay only, restored afterwards: :func:`overrides`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

import processors.level as level_mod
import processors.risk as risk_mod
from alerts.alert import Alert
from alerts.policy import AlertPolicy, PolicyConfig
from monitor.core.pipeline import AthletePipeline, Output
from processors.indicators import Indicators, Level
from processors.profile import Profile
from simulators.runner import DEFAULT_START
from simulators.scenarios import load_scenario

#: Indicators fields not read by the risk, the policy or the advice (not stored; empty on replay).
SKIPPED = frozenset({"hr_zone_s", "factors"})
#: Module constants a candidate may override: ``INTERCEPT``, ``EVIDENCE_HIGH``, ..., ``coef.NAME`` (a coefficient
#: of the risk's number), ``gate.NAME`` (an evidence coefficient of the gate), ``LEAVE_MARGIN`` and ``ENTER.1`` …
#: ``ENTER.3`` (the risk at which the level enters elevated / high / critical).
RISK_CONSTANTS = ("INTERCEPT", "EVIDENCE_HIGH", "CRITICAL_MIN_FATIGUE", "CRITICAL_MIN_ELAPSED_S",
                  "LAST_QUARTER_BONUS", "CARDIAC_FULL_S")  # fmt: skip
LEVEL_CONSTANTS = ("LEAVE_MARGIN",)
#: Alert fields compared by the correctness check (the id too: it hashes kind, level and time).
ALERT_KEY = ("id", "t", "level", "kind", "risk", "message", "detail")


def alert_key(a: Alert) -> tuple[Any, ...]:
    return (*(getattr(a, k) for k in ALERT_KEY), tuple(sorted(a.factors.items())))


@dataclass(slots=True)
class Recording:
    """One runner's session: the ticks column by column, the pipeline's own alerts and the truth onsets."""

    scenario: str
    squad: str
    athlete: str
    profile: Profile
    session_start: float
    start: float
    end: float
    onsets: dict[str, float | None]
    alerts: list[Alert]
    n: int = 0
    numbers: dict[str, np.ndarray] = field(default_factory=dict)  # field or "values.KEY" / "fatigue_parts.KEY"
    others: dict[str, list[Any]] = field(default_factory=dict)  # strings, bools, ints, None

    def indicators(self, i: int) -> Indicators:
        """Tick ``i`` rebuilt (``factors``, ``risk`` and ``level`` are the replay's to set)."""
        kw: dict[str, Any] = {k: v[i] for k, v in self.others.items()}
        values: dict[str, float | None] = {}
        parts: dict[str, float] = {}
        for key, col in self.numbers.items():
            x = float(col[i])
            if key.startswith("values."):
                values[key[7:]] = None if math.isnan(x) else x
            elif key.startswith("fatigue_parts."):
                if not math.isnan(x):
                    parts[key[14:]] = x
            else:
                kw[key] = None if math.isnan(x) else x
        return Indicators(**kw, values=values, fatigue_parts=parts)


def _columns(ticks: Sequence[Indicators]) -> tuple[dict[str, np.ndarray], dict[str, list[Any]]]:
    cols: dict[str, list[Any]] = {}
    n = len(ticks)
    for i, ind in enumerate(ticks):
        for f in fields(Indicators):
            if f.name in SKIPPED:
                continue
            v = getattr(ind, f.name)
            if isinstance(v, dict):
                for k, x in v.items():
                    cols.setdefault(f"{f.name}.{k}", [None] * n)[i] = x
            else:
                cols.setdefault(f.name, [None] * n)[i] = v
    numbers: dict[str, np.ndarray] = {}
    others: dict[str, list[Any]] = {}
    for key, col in cols.items():
        numeric = all(x is None or (isinstance(x, float) and not math.isnan(x)) for x in col)
        nested = "." in key
        if nested and not numeric:
            raise TypeError(f"{key}: the recording keeps only finite numbers or None in a dict field")
        if numeric and (nested or any(x is not None for x in col)):
            numbers[key] = np.array([math.nan if x is None else x for x in col], dtype=np.float64)
        else:
            others[key] = col
    return numbers, others


class _RecordingPolicy(AlertPolicy):
    ticks: list[Indicators]

    def update(self, ind: Indicators) -> list[Alert]:
        self.ticks.append(ind)
        return super().update(ind)


class _RecordingPipeline(AthletePipeline):
    sessions: list[tuple[float, list[Indicators]]]

    def _begin(self, t: float, plan: Any = None) -> None:
        super()._begin(t, plan)
        policy = _RecordingPolicy(squad=self.squad, athlete=self.athlete, session_start=t, profile=self.profile)
        policy.ticks = []
        self.sessions.append((t, policy.ticks))
        self._policy = policy


def record_job(job: tuple[str, int, int, tuple[str, ...]]) -> Recording:
    """Simulate runner ``index`` of a scenario in shadow mode and record its pipeline ticks (a pool job)."""
    ref, index, seed, truths = job
    scenario = load_scenario(ref)
    run = scenario.simulate_one(index, seed=seed, start=DEFAULT_START, truths=truths)
    pipe = _RecordingPipeline(scenario.squad, run.athlete, run.profile)
    pipe.sessions = []
    out = Output()
    frames = list(run.frames)
    if frames:
        out.extend(pipe.start(min(f.t for f in frames), run.plan))
    pipe.add_frames(frames, out)  # each frame its own message, as run_offline feeds them
    out.extend(pipe.flush())
    if len(pipe.sessions) != 1:
        raise RuntimeError(f"{scenario.name}/{run.athlete}: {len(pipe.sessions)} sessions; the replay needs one")
    session_start, ticks = pipe.sessions[0]
    numbers, others = _columns(ticks)
    return Recording(
        scenario=scenario.name, squad=scenario.squad, athlete=run.athlete, profile=run.profile,
        session_start=session_start, start=float(run.trace.t[0]), end=float(run.trace.t[-1]) + 1.0,
        onsets=dict(run.truth_onsets or {}), alerts=list(out.alerts), n=len(ticks), numbers=numbers, others=others,
    )  # fmt: skip


# ------------------------------------------------------------------------------------------------- replay
@contextmanager
def overrides(settings: Mapping[str, float]) -> Iterator[None]:
    """Set the risk and level modules' constants (``INTERCEPT``, ``coef.fatigue``, ``gate.fatigue``,
    ``LEAVE_MARGIN``, ``ENTER.2``, ...) for the duration of the block; restored afterwards. With ``INTERCEPT``,
    the priors' cap moves with it, so that priors alone still stop at the same risk (``INTERCEPT + PRIOR_CAP =
    logit 0.45``)."""
    saved_risk = {k: getattr(risk_mod, k) for k in (*RISK_CONSTANTS, "PRIOR_CAP")}
    saved_level = {k: getattr(level_mod, k) for k in (*LEVEL_CONSTANTS, "ENTER")}
    saved_coef = dict(risk_mod.COEFFICIENTS)
    saved_gate = dict(risk_mod.GATE_COEFFICIENTS)
    try:
        for key, value in settings.items():
            prefix, _, name = key.partition(".")
            table = {"coef": risk_mod.COEFFICIENTS, "gate": risk_mod.GATE_COEFFICIENTS}.get(prefix)
            if table is not None:
                if name not in table:
                    raise KeyError(f"{key}: no such coefficient")
                table[name] = float(value)
            elif prefix == "ENTER":
                enter = list(level_mod.ENTER)
                if name not in ("1", "2", "3"):
                    raise KeyError(f"{key}: ENTER.1, ENTER.2 or ENTER.3 (elevated, high, critical)")
                enter[int(name)] = float(value)
                if enter != sorted(enter):
                    raise ValueError(f"{key}={value}: the enter thresholds must stay increasing ({enter})")
                level_mod.ENTER = (enter[0], enter[1], enter[2], enter[3])
            elif key in RISK_CONSTANTS:
                setattr(risk_mod, key, float(value))
            elif key in LEVEL_CONSTANTS:
                setattr(level_mod, key, float(value))
            else:
                raise KeyError(f"{key}: not a risk or level constant")
        if "INTERCEPT" in settings:
            risk_mod.PRIOR_CAP = saved_risk["PRIOR_CAP"] + saved_risk["INTERCEPT"] - risk_mod.INTERCEPT
        yield
    finally:
        for k, v in saved_risk.items():
            setattr(risk_mod, k, v)
        for k, v in saved_level.items():
            setattr(level_mod, k, v)
        risk_mod.COEFFICIENTS.clear()
        risk_mod.COEFFICIENTS.update(saved_coef)
        risk_mod.GATE_COEFFICIENTS.clear()
        risk_mod.GATE_COEFFICIENTS.update(saved_gate)


def replay(rec: Recording, config: PolicyConfig, risks: list[float] | None = None) -> list[Alert]:
    """The alerts of one recorded session under the risk constants in force and ``config``; every tick's risk is
    appended to ``risks`` when given (for the AUC: :func:`minute_means`)."""
    policy = AlertPolicy(squad=rec.squad, athlete=rec.athlete, session_start=rec.session_start,
                         profile=rec.profile, config=config)  # fmt: skip
    level: Level = "low"
    alerts: list[Alert] = []
    for i in range(rec.n):
        ind = rec.indicators(i)
        v = ind.values
        fatigue_gait = v.get("fatigue_gait")
        inputs = risk_mod.factor_inputs(
            pace_ratio=v.get("pace_ratio_plan"), elapsed_s=ind.elapsed_s,
            duration_vs_longest=v.get("duration_vs_longest"), heat=v.get("heat_factor"),
            sweat_pct=v.get("sweat_loss_pct"), fatigue_gait=fatigue_gait, decoupling=v.get("decoupling_pct"),
            drift=v.get("cardiac_drift_bpm_h"), monotony=v.get("monotony"), acute=ind.acute_cramp,
            profile=rec.profile,
        )  # fmt: skip
        r = risk_mod.risk_of(inputs)
        top = risk_mod.max_level(elapsed_s=ind.elapsed_s, evidence=r.evidence, fatigue_gait=fatigue_gait,
                                 acute=ind.acute_cramp)  # fmt: skip
        level = level_mod.next_level(level, r.risk, cap=top)
        ind.risk, ind.level, ind.factors = float(r.risk), level, dict(r.factors)
        if risks is not None:
            risks.append(float(r.risk))
        v["risk_logit"], v["risk_evidence"] = r.logit, r.evidence
        alerts.extend(policy.update(ind))
    return alerts


def minute_means(rec: Recording, risks: Sequence[float]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per elapsed minute of the run, the mean replayed risk and the mean profile-and-time baseline logit
    (:func:`processors.risk.baseline_logit` under the constants in force): what
    :func:`monitor.commands._truth_eval.run_truth_job` computes from the pipeline's statuses (their values rounded
    to 4 decimals, as a status rounds them), for the time-dependent AUC."""
    n_min = max(1, math.ceil((rec.end - rec.start) / 60.0))
    r_sum, b_sum, cnt = np.zeros(n_min), np.zeros(n_min), np.zeros(n_min)
    t_col, el_col = rec.numbers["t"], rec.numbers["elapsed_s"]
    dvl_col = rec.numbers.get("duration_vs_longest")
    for i in range(rec.n):
        m = int((round(float(t_col[i]), 4) - rec.start) // 60.0)
        if 0 <= m < n_min:
            dvl = None if dvl_col is None or math.isnan(dvl_col[i]) else round(float(dvl_col[i]), 4)
            r_sum[m] += round(risks[i], 4)
            b_sum[m] += risk_mod.baseline_logit(rec.profile, round(float(el_col[i]), 4), dvl)
            cnt[m] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        risk_min = np.where(cnt > 0, r_sum / cnt, np.nan)
        base_min = np.where(cnt > 0, b_sum / cnt, np.nan)
    return tuple(float(x) for x in risk_min), tuple(float(x) for x in base_min)

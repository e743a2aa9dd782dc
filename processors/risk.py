"""The cramp-risk model: a transparent logistic combination of factors."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from processors._util import clip, logistic
from processors.fatigue import Fatigue
from processors.profile import Profile
from processors.registry import Context, Processor, register

#: Log-odds of the baseline: a runner at training pace, in the cool, at the start, no risk traits → 2.7 %.
INTERCEPT = -3.6

#: factor → coefficient (log-odds per unit of the scaled input; the scaling is in :func:`factor_inputs`).
COEFFICIENTS: dict[str, float] = {
    "pace_over_training": 1.2,  # per 10 % faster than training pace (sustained, 10 min); −1 … +2.5 units,
    # PACE_LOAD_START = 1.0: counted in full from the start (a ramp broke the hot-run calibration)
    "intensity": 0.6,  # (HRR − 0.75)/0.15 clipped 0…1: 75 % HRR → 0, 90 % → 1
    "duration": 0.6,  # elapsed / longest run (else / 150 min), 0…1.5; plus LAST_QUARTER_BONUS through the last quarter
    "heat": 1.2,  # heat_factor 0…1 (13 °C → 0, 33 °C → 1); dry-bulb graded as if WBGT: coarse
    "sweat_loss": 0.8,  # per 2 % body mass, 0…2
    "fatigue": 1.2,  # gait fatigue (cadence decline, cadence variability) 0…1
    "decoupling": 0.8,  # per 10 % decoupling, 0…1.5
    "cardiac_drift": 0.6,  # per 20 bpm/h, 0…1.5
    "monotony": 0.4,  # monotony 0…1
    "acute_cramp": 3.0,  # signature present
    "cramp_history": math.log(2.4),  # OR 2.4 (earlier cramp; Schwellnus 2011 / Kona data)
    "recent_injury": math.log(1.55),  # prevalence ratio 1.4–1.7 (SAFER studies), midpoint
    "sex": math.log(1.9) / 2.0,  # men ≈ 1.9× women: +½ln1.9 male, −½ln1.9 female, 0 unknown
    "age": 0.015,  # per year above 35, at most +0.45
}
#: Extra duration input through the last quarter (d 0.75 → 1). 56 % of Ironman cramps fall in the last quarter
#: (Schwellnus 2011 / science notes): hazard there ≈ (0.56/0.25)/(0.44/0.75) = 3.8× the earlier average, ln 3.8 ≈ 1.3.
LAST_QUARTER_BONUS = 1.3
DEFAULT_LONGEST_MIN = 150.0
#: Running faster than trained is a load that builds up: at the start it counts this share of its weight, rising
#: linearly to the full weight at half of the longest run (d = 1 − PACE_LOAD_START).
PACE_LOAD_START = 1.0
#: A risk-only "critical" needs evidence that the muscles are loaded: at least this much of the run done ...
CRITICAL_MIN_ELAPSED_S = 1800.0
#: ... and the last quarter of the longest run (d ≥ 0.75) or gait fatigue at least this high.
CRITICAL_MIN_FATIGUE = 0.5


@dataclass(frozen=True, slots=True)
class Risk:
    risk: float
    logit: float
    factors: dict[str, float] = field(default_factory=dict)
    #: Whether a "critical" level is allowed (see :func:`critical_evidence`); the level caps at "high" otherwise.
    critical_ok: bool = True


def critical_evidence(*, elapsed_s: float, d: float, fatigue_gait: float | None, acute: bool) -> bool:
    """May the risk alone make the level "critical" (whose alert says stop and stretch)? Only with an acute
    cramp signature, or after :data:`CRITICAL_MIN_ELAPSED_S` with the last quarter of the longest run reached
    (d ≥ 0.75) or gait fatigue ≥ :data:`CRITICAL_MIN_FATIGUE`: cramps come from loaded, tired muscles (Nelson &
    Churilla 2016) and late in the race (Schwellnus 2011), so "stop" at minute 13 without either is bad advice.

    >>> critical_evidence(elapsed_s=780.0, d=0.2, fatigue_gait=0.0, acute=False)
    False
    >>> critical_evidence(elapsed_s=5400.0, d=0.8, fatigue_gait=None, acute=False)
    True
    """
    if acute:
        return True
    if elapsed_s < CRITICAL_MIN_ELAPSED_S:
        return False
    return d >= 0.75 or (fatigue_gait is not None and fatigue_gait >= CRITICAL_MIN_FATIGUE)


def duration_share(elapsed_s: float, duration_vs_longest: float | None) -> float:
    """d = elapsed / longest training run (else / :data:`DEFAULT_LONGEST_MIN`), clipped to 0…1.5."""
    d = duration_vs_longest if duration_vs_longest is not None else elapsed_s / 60.0 / DEFAULT_LONGEST_MIN
    return clip(d, 0.0, 1.5)


def factor_inputs(
    *,
    pace_ratio: float | None,
    hrr: float | None,
    elapsed_s: float,
    duration_vs_longest: float | None,
    heat: float | None,
    sweat_pct: float | None,
    fatigue_gait: float | None,
    decoupling: float | None,
    drift: float | None,
    monotony: float | None,
    acute: bool,
    profile: Profile,
) -> dict[str, float]:
    """The scaled input of every known factor (unknown inputs are left out, never guessed)."""
    x: dict[str, float] = {}
    d = duration_share(elapsed_s, duration_vs_longest)
    if pace_ratio is not None:
        xp = clip((pace_ratio - 1.0) / 0.10, -1.0, 2.5)
        if xp > 0:  # faster than trained: a load that builds up over the run (slower counts in full at once)
            xp *= min(1.0, PACE_LOAD_START + d)
        x["pace_over_training"] = xp
    if hrr is not None:
        x["intensity"] = clip((hrr - 0.75) / 0.15, 0.0, 1.0)
    x["duration"] = d + LAST_QUARTER_BONUS * clip((d - 0.75) / 0.25, 0.0, 1.0)
    if heat is not None:
        x["heat"] = clip(heat, 0.0, 1.0)
    if sweat_pct is not None:
        x["sweat_loss"] = clip(sweat_pct / 2.0, 0.0, 2.0)
    if fatigue_gait is not None:
        x["fatigue"] = clip(fatigue_gait, 0.0, 1.0)
    if decoupling is not None:
        x["decoupling"] = clip(decoupling / 10.0, 0.0, 1.5)
    if drift is not None:
        x["cardiac_drift"] = clip(drift / 20.0, 0.0, 1.5)
    if monotony is not None:
        x["monotony"] = clip(monotony, 0.0, 1.0)
    if acute:
        x["acute_cramp"] = 1.0
    if profile.cramp_history:
        x["cramp_history"] = 1.0
    if profile.recent_injury:
        x["recent_injury"] = 1.0
    if profile.sex is not None:
        x["sex"] = 1.0 if profile.sex == "male" else -1.0
    if profile.age is not None and profile.age > 35:
        x["age"] = min(profile.age - 35.0, 30.0)
    return {k: v for k, v in x.items() if math.isfinite(v)}


def risk_of(inputs: dict[str, float]) -> Risk:
    """risk = logistic(INTERCEPT + Σ coefficient·input); factors = the terms (log-odds, + pushes risk up).

    >>> r = risk_of({"pace_over_training": 1.0, "heat": 0.85})
    >>> r.factors, round(r.risk, 3)
    ({'pace_over_training': 1.2, 'heat': 1.02}, 0.201)
    """
    factors = {k: round(COEFFICIENTS[k] * v, 4) for k, v in inputs.items()}
    z = INTERCEPT + sum(factors.values())
    p = clip(logistic(z), 0.0, 1.0)
    return Risk(risk=round(p, 4), logit=round(z, 4), factors=factors)


@register
class CrampRisk(Processor):
    """``risk`` 0–1 and the per-factor contributions (log-odds added to the baseline; positive = pushed the
    risk up). Coefficients and scalings: :data:`COEFFICIENTS`, :func:`factor_inputs`, and the table in
    docs/science.md. A relative risk index anchored on the published odds ratios, not a calibrated
    probability of cramping and not a diagnosis.
    """

    symbol = "risk"
    name = "Cramp risk"
    units = "0–1"
    source = (
        "Schwellnus et al. BJSM 2011; SAFER studies (injury); Nelson & Churilla 2016; science.md; "
        "coefficients in docs/science.md"
    )
    depends = (
        "pace_ratio_10min",
        "hrr_10min",
        "duration_vs_longest",
        "heat_factor",
        "sweat_loss_pct",
        "fatigue",
        "decoupling_pct",
        "cardiac_drift_bpm_h",
        "monotony",
        "acute_cramp",
    )

    def __init__(self) -> None:
        self._value = Risk(risk=logistic(INTERCEPT), logit=INTERCEPT)

    def update(self, ctx: Context) -> None:
        fatigue: Fatigue = ctx["fatigue"]
        elapsed_s = max(ctx.window.elapsed, 0.0)
        inputs = factor_inputs(
            pace_ratio=ctx["pace_ratio_10min"],
            hrr=ctx["hrr_10min"],
            elapsed_s=elapsed_s,
            duration_vs_longest=ctx["duration_vs_longest"],
            heat=ctx["heat_factor"],
            sweat_pct=ctx["sweat_loss_pct"],
            fatigue_gait=fatigue.gait(),
            decoupling=ctx["decoupling_pct"],
            drift=ctx["cardiac_drift_bpm_h"],
            monotony=ctx["monotony"],
            acute=bool(ctx["acute_cramp"]),
            profile=ctx.profile,
        )
        r = risk_of(inputs)
        ok = critical_evidence(
            elapsed_s=elapsed_s,
            d=duration_share(elapsed_s, ctx["duration_vs_longest"]),
            fatigue_gait=fatigue.gait(),
            acute=bool(ctx["acute_cramp"]),
        )
        self._value = Risk(risk=r.risk, logit=r.logit, factors=r.factors, critical_ok=ok)

    def get(self) -> Risk:
        return self._value

"""The cramp-risk model: static priors set a baseline, evidence from the run itself raises it.

risk = logistic(INTERCEPT + softcap(Σ prior terms) + Σ evidence terms). The priors (who the runner is, how fast
against today's plan, how long against the longest run, heat, sweat, monotony) may make the risk "elevated"
but never more: their sum is capped softly below the "high" threshold, and the level needs evidence from the
streams (gait fatigue, one cardiac factor, the acute signature) for "high" and more for "critical". See
docs/science.md, "The risk model".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from processors._util import clip, fround, logistic
from processors.indicators import LEVELS, Level
from processors.profile import Profile

#: Log-odds of the baseline: a runner at today's reference pace, in the cool, at the start, no risk traits.
INTERCEPT = -3.7

#: factor → coefficient (log-odds per unit of the scaled input; the scaling is in :func:`factor_inputs`).
COEFFICIENTS: dict[str, float] = {
    # ---- priors: who, how fast against today's plan, how long, conditions (Schwellnus 2011 first)
    "pace_over_training": 0.9,  # per 10 % faster than TODAY'S REFERENCE pace (target → race → training), 10 min
    "duration": 0.7,  # elapsed / longest run (else / 150 min), 0…1.5; plus LAST_QUARTER_BONUS through the last quarter
    "cramp_history": math.log(2.4),  # OR 2.4 (earlier cramp; Schwellnus 2011 / Kona data)
    "recent_injury": math.log(1.55),  # prevalence ratio 1.4–1.7 (SAFER studies), midpoint
    "sex": math.log(1.9) / 2.0,  # men ≈ 1.9× women: +½ln1.9 male, −½ln1.9 female, 0 unknown
    "age": 0.015,  # per year above 35, at most +0.45
    "heat": 0.6,  # heat_factor 0…1 of a WRIST reading (biased warm: skin and sun), so weighed low
    "sweat_loss": 0.3,  # per 2 % body mass, 0…2: dehydration is the weakest-supported cause (Schwellnus 2009/2011)
    "monotony": 0.3,  # monotony 0…1 (seed 002; plausibility, no odds ratio)
    # ---- evidence from the run itself
    "fatigue": 1.8,  # gait fatigue 0…1: cadence decline at matched speed, cadence irregularity (steady running)
    "cardiac": 0.6,  # ONE cardiac factor: max(drift / 20 bpm/h, decoupling / 10 %), 0…1.5
    "acute_cramp": 3.0,  # the acute cramp signature
}
#: The evidence the gate reads (:func:`max_level`: "high" needs :data:`EVIDENCE_HIGH` of it), log-odds per unit
#: of each evidence input. Kept apart from the evidence coefficients of the risk's number (:data:`COEFFICIENTS`),
#: so that the number can weigh the streams for ranking while the gate keeps requiring the same stream evidence
#: for a warning (docs/science.md, "The risk model").
GATE_COEFFICIENTS: dict[str, float] = {"fatigue": 1.8, "cardiac": 0.6, "acute_cramp": 3.0}
PRIOR_FACTORS = frozenset(
    {"pace_over_training", "duration", "cramp_history", "recent_injury", "sex", "age", "heat", "sweat_loss",
     "monotony"}
)  # fmt: skip
EVIDENCE_FACTORS = frozenset({"fatigue", "cardiac", "acute_cramp"})
#: The contribution that records the soft cap of the priors (≤ 0; absent when it takes nothing off).
PRIOR_CAP_KEY = "priors_capped"
#: The priors' sum (log-odds above INTERCEPT) saturates smoothly towards this, so that priors alone keep the risk
#: below "high" (0.50): INTERCEPT + PRIOR_CAP = logit(0.45).
PRIOR_CAP = math.log(0.45 / 0.55) - INTERCEPT
#: The cap bends in over the last PRIOR_KNEE log-odds below it (identity below).
PRIOR_KNEE = 1.0
#: Extra duration input through the last quarter (d 0.75 → 1). 56 % of Ironman cramps fall in the last quarter
#: (Schwellnus 2011 / science notes): hazard there ≈ (0.56/0.25)/(0.44/0.75) = 3.8× the earlier average, ln 3.8 ≈ 1.3.
LAST_QUARTER_BONUS = 1.3
DEFAULT_LONGEST_MIN = 150.0
#: The cardiac factor counts in full from this elapsed time (linearly from the start before it): a drift or
#: decoupling estimate from the first ~15 steady minutes is mostly HR still settling at the pace.
CARDIAC_FULL_S = 2400.0
#: Slower than planned does not lower the risk: late in a run a runner slows because the legs tire (pace fade).
PACE_FLOOR = 0.0
#: "high" (a warning) needs at least this much evidence in log-odds (gait fatigue ≈ 0.55, or gait fatigue ≈ 0.3
#: with the cardiac factor ≈ 0.8) ...
EVIDENCE_HIGH = 1.0
#: ... "critical" from the risk alone the acute signature, or ≥ 30 min run and gait fatigue at least this high.
CRITICAL_MIN_ELAPSED_S = 1800.0
CRITICAL_MIN_FATIGUE = 0.7


@dataclass(frozen=True, slots=True, init=False)
class Risk:
    risk: float
    logit: float
    factors: dict[str, float] = field(default_factory=dict)
    #: The highest level the evidence allows (see :func:`max_level`); the level is capped there.
    max_level: Level = "critical"
    #: Σ evidence contributions (log-odds) and the capped prior part, for the alert layer and evaluations.
    evidence: float = 0.0
    prior: float = 0.0

    def __init__(
        self,
        risk: float,
        logit: float,
        factors: dict[str, float] | None = None,
        max_level: Level = "critical",
        evidence: float = 0.0,
        prior: float = 0.0,
    ) -> None:
        """The dataclass's ``__init__`` written out (``init=False``): compiled, ``object.__setattr__`` on a field is a
        direct store, while the generated one runs as Python (~1 k instructions more each)."""
        object.__setattr__(self, "risk", risk)
        object.__setattr__(self, "logit", logit)
        object.__setattr__(self, "factors", {} if factors is None else factors)
        object.__setattr__(self, "max_level", max_level)
        object.__setattr__(self, "evidence", evidence)
        object.__setattr__(self, "prior", prior)

    @property
    def critical_ok(self) -> bool:
        return self.max_level == "critical"


def max_level(*, elapsed_s: float, evidence: float, fatigue_gait: float | None, acute: bool) -> Level:
    """The highest level the run's own evidence allows. Priors alone: "elevated" (advice). "high" (a warning)
    needs :data:`EVIDENCE_HIGH` log-odds of evidence; "critical" the acute signature, or at least
    :data:`CRITICAL_MIN_ELAPSED_S` of running with gait fatigue ≥ :data:`CRITICAL_MIN_FATIGUE` (cramps come
    from loaded, tired muscle: Nelson & Churilla 2016).

    >>> max_level(elapsed_s=5400.0, evidence=0.0, fatigue_gait=None, acute=False)
    'elevated'
    >>> max_level(elapsed_s=780.0, evidence=1.2, fatigue_gait=0.8, acute=False)
    'high'
    >>> max_level(elapsed_s=2400.0, evidence=1.2, fatigue_gait=0.8, acute=False)
    'critical'
    >>> max_level(elapsed_s=60.0, evidence=0.0, fatigue_gait=None, acute=True)
    'critical'
    """
    if acute:
        return "critical"
    if evidence < EVIDENCE_HIGH:
        return "elevated"
    if elapsed_s >= CRITICAL_MIN_ELAPSED_S and fatigue_gait is not None and fatigue_gait >= CRITICAL_MIN_FATIGUE:
        return "critical"
    return "high"


def duration_share(elapsed_s: float, duration_vs_longest: float | None) -> float:
    """d = elapsed / longest training run (else / :data:`DEFAULT_LONGEST_MIN`), clipped to 0…1.5."""
    d = duration_vs_longest if duration_vs_longest is not None else elapsed_s / 60.0 / DEFAULT_LONGEST_MIN
    return clip(d, 0.0, 1.5)


def cardiac_input(drift: float | None, decoupling: float | None) -> float | None:
    """One cardiac factor: the larger of drift / 20 bpm/h and decoupling / 10 %, clipped 0…1.5. Drift, decoupling
    and intensity all measure the same rise of HR against pace, so they are counted once; intensity (a level,
    not a rise) is left to the pace factor.

    >>> cardiac_input(10.0, 8.0), cardiac_input(None, 5.0), cardiac_input(None, None) is None
    (0.8, 0.5, True)
    """
    if drift is None:
        return None if decoupling is None else clip(decoupling / 10.0, 0.0, 1.5)
    if decoupling is None:
        return clip(drift / 20.0, 0.0, 1.5)
    return clip(max(drift / 20.0, decoupling / 10.0), 0.0, 1.5)


def factor_inputs(
    *,
    pace_ratio: float | None,
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
    """The scaled input of every known factor (unknown inputs are left out, never guessed). ``pace_ratio`` is the
    sustained speed over today's reference speed (``pace_ratio_plan``)."""
    x: dict[str, float] = {}
    d = duration_share(elapsed_s, duration_vs_longest)
    if pace_ratio is not None:
        x["pace_over_training"] = clip((pace_ratio - 1.0) / 0.10, PACE_FLOOR, 2.5)
    x["duration"] = d + LAST_QUARTER_BONUS * clip((d - 0.75) / 0.25, 0.0, 1.0)
    if heat is not None:
        x["heat"] = clip(heat, 0.0, 1.0)
    if sweat_pct is not None:
        x["sweat_loss"] = clip(sweat_pct / 2.0, 0.0, 2.0)
    if fatigue_gait is not None:
        x["fatigue"] = clip(fatigue_gait, 0.0, 1.0)
    cardiac = cardiac_input(drift, decoupling)
    if cardiac is not None:  # early estimates rest on few steady minutes (HR still settling): ramped in
        x["cardiac"] = cardiac * clip(elapsed_s / CARDIAC_FULL_S, 0.0, 1.0)
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
    if all(map(math.isfinite, x.values())):  # the usual case: nothing to leave out
        return x
    return {k: v for k, v in x.items() if math.isfinite(v)}


def soft_cap(z: float, cap: float = PRIOR_CAP, knee: float = PRIOR_KNEE) -> float:
    """A smooth, increasing cap: z itself up to ``cap − knee``, then bending towards ``cap`` (a tanh shoulder
    with slope 1 at the bend), never reaching it.

    >>> soft_cap(-3.0, 3.0), soft_cap(2.0, 3.0), round(soft_cap(2.5, 3.0), 3), round(soft_cap(10.0, 3.0), 3)
    (-3.0, 2.0, 2.462, 3.0)
    """
    start = cap - knee
    if z <= start:
        return z
    return start + knee * math.tanh((z - start) / knee)


def risk_of(inputs: dict[str, float], top: Callable[[float], Level] | None = None) -> Risk:
    """risk = logistic(INTERCEPT + soft_cap(Σ priors) + Σ evidence); factors = the terms (log-odds, + pushes the
    risk up), plus ``priors_capped`` (≤ 0) for what the soft cap took off, so the factors add up to the logit.
    ``Risk.evidence`` is the gate's evidence (:data:`GATE_COEFFICIENTS`, rounded), and ``top`` the highest level
    allowed as a function of it (default: "critical").

    >>> r = risk_of({"pace_over_training": 1.0, "fatigue": 0.5})
    >>> r.factors, round(r.risk, 3), r.evidence
    ({'pace_over_training': 0.9, 'fatigue': 0.9}, 0.13, 0.9)
    >>> r = risk_of({"pace_over_training": 2.5, "duration": 2.5, "cramp_history": 1.0})
    >>> r.factors["priors_capped"] < 0 < 0.45 - r.risk
    True
    """
    factors = {k: fround(COEFFICIENTS[k] * v, 4) for k, v in inputs.items()}
    priors: list[float] = []
    evidence_terms: list[float] = []
    gate_terms: list[float] = []
    for k, v in factors.items():  # every factor is a prior or evidence (asserted at the end of the module)
        if k in PRIOR_FACTORS:
            priors.append(v)
        else:
            evidence_terms.append(v)
            gate_terms.append(fround(GATE_COEFFICIENTS[k] * inputs[k], 4))
    prior = sum(priors)
    capped = soft_cap(prior, PRIOR_CAP, PRIOR_KNEE)
    if capped - prior < -5e-5:
        factors[PRIOR_CAP_KEY] = fround(capped - prior, 4)
    z = INTERCEPT + capped + sum(evidence_terms)
    p = clip(logistic(z), 0.0, 1.0)
    ev = fround(sum(gate_terms), 4)
    return Risk(risk=fround(p, 4), logit=fround(z, 4), factors=factors,
                max_level="critical" if top is None else top(ev), evidence=ev, prior=fround(capped, 4))  # fmt: skip


def baseline_logit(profile: Profile, elapsed_s: float, duration_vs_longest: float | None) -> float:
    """The profile-and-time baseline of the evaluation: the same model with only the profile traits and the
    duration (elapsed / longest run), i.e. what is known without reading a single stream.

    >>> round(baseline_logit(Profile(), 0.0, None), 3) == INTERCEPT
    True
    """
    x = factor_inputs(
        pace_ratio=None, elapsed_s=elapsed_s, duration_vs_longest=duration_vs_longest, heat=None, sweat_pct=None,
        fatigue_gait=None, decoupling=None, drift=None, monotony=None, acute=False, profile=profile,
    )  # fmt: skip
    return risk_of(x).logit


assert set(COEFFICIENTS) == PRIOR_FACTORS | EVIDENCE_FACTORS and LEVELS[-1] == "critical"
assert set(GATE_COEFFICIENTS) == EVIDENCE_FACTORS

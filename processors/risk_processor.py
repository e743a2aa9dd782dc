"""The cramp-risk processor: :func:`~processors.risk.risk_of` of :func:`~processors.risk.factor_inputs` each tick,
written out in one pass (the model itself, its coefficients and its docs are in :mod:`processors.risk`). It reads
the model's constants as they are when it is imported: ``benchmarks.tune_policy``'s overrides of them act on its replay
(:func:`~processors.risk.risk_of` itself), not on a pipeline built meanwhile."""

from __future__ import annotations

import math
from typing import Any, Final

from processors._util import fround, logistic
from processors.fatigue import Fatigue
from processors.indicators import Level
from processors.profile import Profile
from processors.registry import Context, Processor, register
from processors.risk import (
    CARDIAC_FULL_S,
    COEFFICIENTS,
    CRITICAL_MIN_ELAPSED_S,
    CRITICAL_MIN_FATIGUE,
    DEFAULT_LONGEST_MIN,
    EVIDENCE_HIGH,
    GATE_COEFFICIENTS,
    INTERCEPT,
    LAST_QUARTER_BONUS,
    PACE_FLOOR,
    PRIOR_CAP,
    PRIOR_CAP_KEY,
    PRIOR_KNEE,
    Risk,
    cardiac_input,
    factor_inputs,
)

# the coefficients by name, for CrampRisk.update's one pass
# (Final: compiled, C statics holding doubles, not a module-dict lookup each)
_C_PACE: Final = COEFFICIENTS["pace_over_training"]
_C_DURATION: Final = COEFFICIENTS["duration"]
_C_HEAT: Final = COEFFICIENTS["heat"]
_C_SWEAT: Final = COEFFICIENTS["sweat_loss"]
_C_MONOTONY: Final = COEFFICIENTS["monotony"]
_C_FATIGUE: Final = COEFFICIENTS["fatigue"]
_C_CARDIAC: Final = COEFFICIENTS["cardiac"]
_C_ACUTE: Final = COEFFICIENTS["acute_cramp"]
_G_FATIGUE: Final = GATE_COEFFICIENTS["fatigue"]
_G_CARDIAC: Final = GATE_COEFFICIENTS["cardiac"]
_G_ACUTE: Final = GATE_COEFFICIENTS["acute_cramp"]
#: Where :func:`soft_cap` starts to bend at the defaults (``cap - knee``, the same double).
_CAP_START: Final = PRIOR_CAP - PRIOR_KNEE


def _profile_terms(profile: Profile) -> tuple[tuple[str, float], ...]:
    """The factors of the profile's traits as :func:`factor_inputs` and :func:`risk_of` make them, in their order:
    (key, rounded log-odds)."""
    x = factor_inputs(
        pace_ratio=None, elapsed_s=0.0, duration_vs_longest=None, heat=None, sweat_pct=None, fatigue_gait=None,
        decoupling=None, drift=None, monotony=None, acute=False, profile=profile,
    )  # fmt: skip
    return tuple((k, fround(COEFFICIENTS[k] * v, 4)) for k, v in x.items() if k in _PROFILE_FACTORS)


_PROFILE_FACTORS = ("cramp_history", "recent_injury", "sex", "age")


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
        "pace_ratio_plan",
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
        self._value = Risk(risk=logistic(INTERCEPT), logit=INTERCEPT, max_level="elevated")
        #: the last Fatigue seen and its gait part (a Fatigue is immutable and is replaced only when its inputs
        #: change, mostly when a 10-s bin completes; the engine's alert values reuse it the same way)
        self._fatigue: Fatigue | None = None
        self._fatigue_gait: float | None = None
        #: the last Profile seen (immutable) and its terms (:func:`_profile_terms`)
        self._profile: Profile | None = None
        self._profile_terms: tuple[tuple[str, float], ...] = ()
        #: the last tick's terms with their inputs (the very objects): (input, factor[, gate])
        self._pace: tuple[object, float] = (None, 0.0)
        self._heat: tuple[object, float] = (None, 0.0)
        self._monotony: tuple[object, float] = (None, 0.0)
        self._fg: tuple[object, float, float] = (None, 0.0, 0.0)
        self._cardiac: tuple[object, object, float, float, float] = (None, None, 0.0, 0.0, 0.0)

    def update(self, ctx: Context) -> None:
        """:func:`risk_of` of :func:`factor_inputs` with :func:`max_level` as its top, written out in one pass (no
        keyword matching, no ``clip``/``soft_cap`` calls or lambda, the result built through its slots): the same
        operations on the same values in the same order, so the same bits (tests/processors/test_risk_fast.py
        compares it with the two calls on random inputs)."""
        r = ctx.results
        fatigue: Fatigue = r["fatigue"]
        if fatigue is not self._fatigue:
            self._fatigue, self._fatigue_gait = fatigue, fatigue.gait()
        fg = self._fatigue_gait
        e = ctx.window.elapsed
        elapsed_s = 0.0 if e < 0.0 else e  # max(e, 0.0)
        acute = bool(r["acute_cramp"])
        profile = ctx.profile
        if profile is not self._profile:  # the profile's terms (immutable Profile): (key, input, factor)
            self._profile, self._profile_terms = profile, _profile_terms(profile)
        factors, priors, evidence_terms, gate_terms = self._terms(r, elapsed_s, fg, acute)
        prior = sum(priors)
        capped = (
            prior if prior <= _CAP_START else _CAP_START + PRIOR_KNEE * math.tanh((prior - _CAP_START) / PRIOR_KNEE)
        )
        if capped - prior < -5e-5:
            factors[PRIOR_CAP_KEY] = fround(capped - prior, 4)
        z = INTERCEPT + capped + sum(evidence_terms)
        p = logistic(z)
        p = 0.0 if p != p else 0.0 if p < 0.0 else 1.0 if p > 1.0 else p
        ev = fround(sum(gate_terms), 4)
        if acute:
            top: Level = "critical"
        elif ev < EVIDENCE_HIGH:
            top = "elevated"
        elif elapsed_s >= CRITICAL_MIN_ELAPSED_S and fg is not None and fg >= CRITICAL_MIN_FATIGUE:
            top = "critical"
        else:
            top = "high"
        self._value = Risk(fround(p, 4), fround(z, 4), factors, top, ev, fround(capped, 4))

    def _cardiac_terms(self, drift: float | None, decoupling: float | None, elapsed_s: float) -> tuple[float, float]:
        """The cardiac factor's evidence and gate terms (kept while its inputs are the very objects of the last
        tick and the ramp is the same)."""
        ramp = elapsed_s / CARDIAC_FULL_S
        ramp = 0.0 if ramp != ramp else 0.0 if ramp < 0.0 else 1.0 if ramp > 1.0 else ramp
        kc = self._cardiac
        if drift is kc[0] and decoupling is kc[1] and ramp == kc[2] and ramp != 0.0:  # (a ramp of ±0: computed)
            return kc[3], kc[4]
        cardiac = cardiac_input(drift, decoupling)
        assert cardiac is not None
        v = cardiac * ramp
        f, g = fround(_C_CARDIAC * v, 4), fround(_G_CARDIAC * v, 4)
        self._cardiac = (drift, decoupling, ramp, f, g)
        return f, g

    def _terms(
        self, r: dict[str, Any], elapsed_s: float, fg: float | None, acute: bool
    ) -> tuple[dict[str, float], list[float], list[float], list[float]]:
        """The factors (rounded log-odds, in :func:`factor_inputs`' order) and the priors', evidence's and gate's
        terms in that order, as :func:`risk_of` splits them (each input clipped as :func:`factor_inputs` does)."""
        factors: dict[str, float] = {}
        priors: list[float] = []
        evidence_terms: list[float] = []
        gate_terms: list[float] = []
        # a term whose input is the very object of the last tick (the processors hand out their kept values until
        # a bin completes) is the term of the last tick: same object, same value and type, same operations
        # inputs kept by identity stay the objects the processors handed out (compiled, a value narrowed to float
        # would be unboxed and boxed anew: never the same object); typed locals carry the arithmetic
        pace_ratio = r["pace_ratio_plan"]
        if pace_ratio is not None:
            if pace_ratio is self._pace[0]:
                f = self._pace[1]
            else:
                pr: float = pace_ratio
                v = (pr - 1.0) / 0.10
                v = PACE_FLOOR if v != v else PACE_FLOOR if v < PACE_FLOOR else 2.5 if v > 2.5 else v
                self._pace = (pace_ratio, f := fround(_C_PACE * v, 4))
            priors.append(f)
            factors["pace_over_training"] = f
        dvl: float | None = r["duration_vs_longest"]
        d = dvl if dvl is not None else elapsed_s / 60.0 / DEFAULT_LONGEST_MIN
        d = 0.0 if d != d else 0.0 if d < 0.0 else 1.5 if d > 1.5 else d
        q = (d - 0.75) / 0.25
        q = 0.0 if q != q else 0.0 if q < 0.0 else 1.0 if q > 1.0 else q
        priors.append(f := fround(_C_DURATION * (d + LAST_QUARTER_BONUS * q), 4))
        factors["duration"] = f
        heat = r["heat_factor"]
        if heat is not None:
            if heat is self._heat[0]:
                f = self._heat[1]
            else:
                h: float = heat
                v = 0.0 if h != h else 0.0 if h < 0.0 else 1.0 if h > 1.0 else h
                self._heat = (heat, f := fround(_C_HEAT * v, 4))
            priors.append(f)
            factors["heat"] = f
        sweat: float | None = r["sweat_loss_pct"]
        if sweat is not None:
            v = sweat / 2.0
            v = 0.0 if v != v else 0.0 if v < 0.0 else 2.0 if v > 2.0 else v
            priors.append(f := fround(_C_SWEAT * v, 4))
            factors["sweat_loss"] = f
        fg_obj: object = fg  # (compiled, fg narrowed to float below is a new box: never the object kept)
        if fg is not None:
            kf = self._fg
            if fg_obj is kf[0]:
                f, g = kf[1], kf[2]
            else:
                v = 0.0 if fg != fg else 0.0 if fg < 0.0 else 1.0 if fg > 1.0 else fg
                self._fg = (fg_obj, f := fround(_C_FATIGUE * v, 4), g := fround(_G_FATIGUE * v, 4))
            evidence_terms.append(f)
            factors["fatigue"] = f
            gate_terms.append(g)
        drift, decoupling = r["cardiac_drift_bpm_h"], r["decoupling_pct"]
        if drift is not None or decoupling is not None:  # else cardiac_input is None
            f, g = self._cardiac_terms(drift, decoupling, elapsed_s)
            evidence_terms.append(f)
            factors["cardiac"] = f
            gate_terms.append(g)
        monotony = r["monotony"]
        if monotony is not None:
            if monotony is self._monotony[0]:
                f = self._monotony[1]
            else:
                m: float = monotony
                v = 0.0 if m != m else 0.0 if m < 0.0 else 1.0 if m > 1.0 else m
                self._monotony = (monotony, f := fround(_C_MONOTONY * v, 4))
            priors.append(f)
            factors["monotony"] = f
        if acute:
            evidence_terms.append(f := fround(_C_ACUTE * 1.0, 4))
            factors["acute_cramp"] = f
            gate_terms.append(fround(_G_ACUTE * 1.0, 4))
        for k, f in self._profile_terms:
            priors.append(f)
            factors[k] = f
        return factors, priors, evidence_terms, gate_terms

    def get(self) -> Risk:
        return self._value


register(CrampRisk)

"""The cramp hazard of the runner model: the instantaneous rate (per second of running) at which an
exercise-associated muscle cramp (EAMC) begins.

A proportional-hazards form, ``h = H0 · exp(Σ βᵢ·xᵢ)``, over the risk factors that docs/science name, with
multipliers chosen to be of the size the studies report (they are a model's assumptions, not fitted values):

==========================  ==================================================  ==========================
factor                      x                                                   effect
==========================  ==================================================  ==========================
pace over training          sustained speed / training speed − 1 (10-min mean)  ×1.8 at 10 % faster
                                                                                (Schwellnus 2011)
fatigue                     model fatigue 0–1 (load vs. conditioning)           ×e⁴ ≈ 55 from fresh to spent
duration                    elapsed / longest run − 0.8, if positive            ×2.7 per longest run beyond
heat                        air °C above 18 (ACSM yellow flag)                  ×2 at 30 °C
fluid loss                  % of body mass                                      ×1.3 per % (small: the
                                                                                dehydration theory is weak)
monotony                    0–1, same effort on a flat course for hours         up to ×2.2 (seed 002)
cramp history               profile ``cramp_history``                           ×2.4 (Kona OR)
earlier cramp in this run                                                       ×2.4
recent injury               profile ``recent_injury``                           ×1.5 (SAFER 1.4–1.7)
male                                                                            ×1.9
age                         years above 35                                      ×1.16 per decade
BMI                         above 24                                            ×1.06 per unit
irregular stretching        trait ``stretches = false``                         ×1.3
==========================  ==================================================  ==========================

``H0`` is set so an easy hour on a cool day cramps about 1 runner in 250, and a too-fast marathon in the heat
cramps roughly half of the field (see docs/simulators.md for the resulting rates per scenario).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from processors.profile import Profile

H0 = 1.6e-7  # per second
BETA_PACE = 6.0
BETA_FATIGUE = 4.0
BETA_DURATION = 1.0
BETA_HEAT = 0.06
BETA_FLUID = 0.25
BETA_MONOTONY = 0.8
LOG_HISTORY = math.log(2.4)
LOG_EARLIER = math.log(2.4)
LOG_INJURY = math.log(1.5)
LOG_MALE = math.log(1.9)
BETA_AGE = 0.015
BETA_BMI = 0.06
LOG_NO_STRETCH = math.log(1.3)
MAX_HAZARD = 0.02  # per second; keeps a broken input from making the draw meaningless


def static_log_hazard(profile: Profile, *, stretches: bool) -> float:
    """The part of log-hazard that does not change during a run (who the runner is).

    >>> static_log_hazard(Profile(sex="female", age=35), stretches=True)
    0.0
    >>> round(math.exp(static_log_hazard(Profile(sex="male", age=35, cramp_history=True), stretches=True)), 2)
    4.56
    """
    out = 0.0
    if profile.cramp_history:
        out += LOG_HISTORY
    if profile.recent_injury:
        out += LOG_INJURY
    if profile.sex == "male":
        out += LOG_MALE
    out += BETA_AGE * (profile.age_years - 35.0)
    if profile.height_cm is not None:
        bmi = profile.mass / (profile.height_cm / 100.0) ** 2
        out += BETA_BMI * max(0.0, bmi - 24.0)
    if not stretches:
        out += LOG_NO_STRETCH
    return out


@dataclass(frozen=True, slots=True)
class HazardInputs:
    """The time-varying factors at one second of a run."""

    pace_over_training: float  # sustained speed / training speed
    fatigue: float
    duration_ratio: float  # elapsed / longest run
    temp: float
    fluid_loss_pct: float
    monotony: float
    earlier_cramp: bool = False


def hazard(x: HazardInputs, static: float) -> float:
    """Cramp onsets per second of running.

    >>> fresh = HazardInputs(1.0, 0.0, 0.0, 15.0, 0.0, 0.0)
    >>> hazard(fresh, 0.0) == H0
    True
    >>> hot = HazardInputs(1.1, 0.8, 1.2, 30.0, 3.0, 0.5)
    >>> 100 < hazard(hot, 0.0) / H0 < 1000
    True
    """
    log_h = (
        static
        + BETA_PACE * max(0.0, x.pace_over_training - 1.0)
        + BETA_FATIGUE * x.fatigue
        + BETA_DURATION * max(0.0, x.duration_ratio - 0.8)
        + BETA_HEAT * max(0.0, x.temp - 18.0)
        + BETA_FLUID * x.fluid_loss_pct
        + BETA_MONOTONY * x.monotony
        + (LOG_EARLIER if x.earlier_cramp else 0.0)
    )
    return min(MAX_HAZARD, H0 * math.exp(log_h))

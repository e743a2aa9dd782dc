"""Cramp truth models for the evaluation: several *forms* of the simulated cramp hazard, so that
``crampwatch evaluate --truth NAME`` can tell a model that reads the streams from one that only restates its
own assumptions (docs/simulators.md, "Truth models").

Every model gives the log-hazard (onsets per second of running) from the same per-second state of the runner
model (:class:`TruthState`). They differ in *what* drives a cramp, not only in how much:

==================  ========================================================================================
``current``         the runner model's own hazard (:mod:`simulators.runner.cramp`): pace over training,
                    fatigue, duration, heat, fluid loss, monotony and the profile — the same factors the risk
                    model watches
``neuromuscular``   neuromuscular load accumulated at *steady* pace only (intensity² while the effort varies
                    little; Nelson & Churilla 2016) and the profile; heat, fluid and pace per se do not matter
``dehydration``     fluid loss (% body mass) only; nothing else, not even the profile
``susceptibility``  a hidden per-runner susceptibility (log-normal, partly shown by ``cramp_history``) times
                    the model's fatigue
``random``          the current form with per-runner random coefficients (each ×LogNormal(0, 0.8))
``null``            negative control: the profile and the elapsed time / longest run only — nothing in the
                    streams matters
==================  ========================================================================================

The base rates ``H0`` are set so that each model makes about as many runners cramp over the built-in
scenarios as ``current`` does (about a quarter of the runner-hours' worth; see docs/simulators.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from processors.profile import Profile
from simulators.runner.cramp import (
    BETA_DURATION,
    BETA_FATIGUE,
    BETA_FLUID,
    BETA_HEAT,
    BETA_MONOTONY,
    BETA_PACE,
    H0,
    MAX_HAZARD,
    static_log_hazard,
)

TruthName = Literal["current", "neuromuscular", "dehydration", "susceptibility", "random", "null"]
TRUTH_NAMES: tuple[str, ...] = get_args(TruthName)

#: log H0 per model (per second). ``current`` is the runner model's own.
LOG_H0: dict[str, float] = {
    "current": math.log(H0),
    "neuromuscular": math.log(H0) + 3.3,
    "dehydration": math.log(H0) + 3.0,
    "susceptibility": math.log(H0) + 3.3,
    "random": math.log(H0) + 0.0,
    "null": math.log(H0) + 3.0,
}
BETA_STEADY_LOAD = 4.5  # per unit of steady-pace load (a longest run at training pace, perfectly steady = 1)
BETA_DEHYDRATION = 1.1  # per % body mass lost
SUSCEPTIBILITY_SD = 1.0  # log-normal sd of the hidden susceptibility
SUSCEPTIBILITY_HISTORY = 0.9  # how much of it a cramp history shows (log units)
BETA_SUSC_FATIGUE = 3.0
RANDOM_SD = 0.8  # log-normal sd of each random coefficient multiplier
BETA_NULL_DURATION = 1.6  # per longest run of elapsed time


@dataclass(frozen=True, slots=True)
class TruthState:
    """The runner's state at one second of running (what a truth model may read)."""

    pace_over_training: float  # 10-min mean speed / training speed
    fatigue: float
    duration_ratio: float  # elapsed / longest run
    temp: float
    fluid_loss_pct: float
    monotony: float
    steady_load: float  # neuromuscular load accumulated at steady pace (see module docstring)


@dataclass(frozen=True, slots=True)
class TruthModel:
    """One runner's cramp hazard under a truth model. Build with :func:`make_truth`."""

    name: str
    static: float  # log-hazard of who the runner is (this model's view)
    coef: tuple[float, ...] = (BETA_PACE, BETA_FATIGUE, BETA_DURATION, BETA_HEAT, BETA_FLUID, BETA_MONOTONY)

    def log_hazard(self, x: TruthState) -> float:
        base = LOG_H0[self.name] + self.static
        if self.name in ("current", "random"):
            b_pace, b_fat, b_dur, b_heat, b_fluid, b_mono = self.coef
            return (
                base
                + b_pace * max(0.0, x.pace_over_training - 1.0)
                + b_fat * x.fatigue
                + b_dur * max(0.0, x.duration_ratio - 0.8)
                + b_heat * max(0.0, x.temp - 18.0)
                + b_fluid * x.fluid_loss_pct
                + b_mono * x.monotony
            )
        if self.name == "neuromuscular":
            return base + BETA_STEADY_LOAD * x.steady_load
        if self.name == "dehydration":
            return base + BETA_DEHYDRATION * x.fluid_loss_pct
        if self.name == "susceptibility":
            return base + BETA_SUSC_FATIGUE * x.fatigue
        return base + BETA_NULL_DURATION * x.duration_ratio  # null

    def hazard(self, x: TruthState) -> float:
        """Onsets per second of running (capped like the runner model's own hazard).

        >>> state = TruthState(1.0, 0.0, 0.0, 15.0, 0.0, 0.0, 0.0)
        >>> math.isclose(make_truth("current", Profile(sex="female", age=35), stretches=True).hazard(state), H0)
        True
        """
        return min(MAX_HAZARD, math.exp(self.log_hazard(x)))


def make_truth(name: str, profile: Profile, *, stretches: bool, rng: np.random.Generator | None = None) -> TruthModel:
    """The truth model ``name`` for one runner. ``rng`` (needed by ``susceptibility`` and ``random``) draws the
    runner's hidden susceptibility or coefficients; it must not be the runner model's own generator, so that every
    truth model sees the same runner.

    >>> make_truth("null", Profile(), stretches=True).static == static_log_hazard(Profile(), stretches=True)
    True
    >>> make_truth("dehydration", Profile(cramp_history=True), stretches=False).static
    0.0
    """
    if name not in TRUTH_NAMES:
        raise ValueError(f"unknown truth model {name!r}; known: {', '.join(TRUTH_NAMES)}")
    static = static_log_hazard(profile, stretches=stretches)
    if name == "dehydration":
        return TruthModel(name, 0.0)
    gen = rng if rng is not None else np.random.default_rng(0)
    if name == "susceptibility":
        z = float(gen.standard_normal())
        return TruthModel(name, SUSCEPTIBILITY_HISTORY * bool(profile.cramp_history) + SUSCEPTIBILITY_SD * z)
    if name == "random":
        mult = np.exp(RANDOM_SD * gen.standard_normal(6))
        base = TruthModel("current", 0.0).coef
        return TruthModel(name, static, tuple(float(b * m) for b, m in zip(base, mult, strict=True)))
    return TruthModel(name, static)

"""When a simulated cramp begins: the runner model's cramp clock, one second at a time.

The hazard of :mod:`simulators.runner.cramp` (or, in shadow mode, every truth model's of
:mod:`simulators.runner.truth`) is integrated over the seconds of running; a cramp begins when the integral
reaches an exponential threshold drawn afresh after each onset (a memoryless clock on the hazard). The
clock also keeps the slow inputs of the hazard that the rest of the model does not need: the pace ratio's
10-min average, the 15-min moments of intensity and grade behind ``monotony``, and the steady-pace load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from simulators.runner.cramp import HazardInputs, hazard
from simulators.runner.truth import TruthModel, TruthState

#: Steadiness of the effort for the neuromuscular truth model: exp(−cv / STEADY_CV), cv of intensity over 15 min.
STEADY_CV = 0.05
#: No second cramp within this many seconds of an onset.
REFRACTORY_S = 180.0


@dataclass(slots=True)
class CrampClock:
    """The cramp clock of one run. ``models`` set: shadow mode (no cramp happens; each model's first onset is
    recorded in ``shadow``). ``forced``: an onset forced at this elapsed time (seconds), if any."""

    static: float  # the profile's static log-hazard
    cap_s: float  # the longest training run, seconds
    threshold: float  # cumulative hazard at which the next cramp begins
    t0: float  # event time of the start
    models: list[TruthModel] | None = None
    forced: float | None = None
    r_ema: float | None = None
    e_mean: float = 0.0
    e_sq: float = 0.0
    g_sq: float = 0.0
    steady_load: float = 0.0
    cum_h: float = 0.0
    refractory_until: float = 0.0
    shadow_cum: list[float] = field(default_factory=list)
    shadow: dict[str, float | None] | None = None

    def __post_init__(self) -> None:
        if self.models is not None:
            self.shadow_cum = [0.0] * len(self.models)
            self.shadow = {m.name: None for m in self.models}

    def step(
        self, elapsed: float, ratio_now: float, intensity: float, grade: float, fatigue: float, temp: float,
        loss_pct: float, running: bool, earlier_cramp: bool,
    ) -> tuple[float, bool]:  # fmt: skip
        """Advance one second: ``(hazard this second, whether a cramp begins now)``."""
        r_ema = ratio_now if self.r_ema is None else self.r_ema + (ratio_now - self.r_ema) / 600.0
        self.r_ema = r_ema
        a = 1.0 / 900.0
        self.e_mean += (intensity - self.e_mean) * a
        self.e_sq += (intensity * intensity - self.e_sq) * a
        self.g_sq += (grade * grade - self.g_sq) * a
        cv = math.sqrt(max(0.0, self.e_sq - self.e_mean * self.e_mean)) / max(self.e_mean, 0.1)
        monotony = math.exp(-(cv / 0.04 + math.sqrt(self.g_sq) / 0.01)) * min(1.0, elapsed / 3600.0)
        if running:
            self.steady_load += min(intensity, 2.0) ** 2 * math.exp(-cv / STEADY_CV) / self.cap_s
        if self.models is not None:
            state = None
            if running:
                state = TruthState(r_ema, fatigue, elapsed / self.cap_s, temp, loss_pct, monotony, self.steady_load)
            self._shadow(elapsed, state, running)
            running = False  # shadow mode: no cramp happens in the streams
        h = 0.0
        if running and elapsed >= self.refractory_until:
            x = HazardInputs(
                pace_over_training=r_ema, fatigue=fatigue, duration_ratio=elapsed / self.cap_s, temp=temp,
                fluid_loss_pct=loss_pct, monotony=monotony, earlier_cramp=earlier_cramp,
            )  # fmt: skip
            h = hazard(x, self.static)
            self.cum_h += h
        if self.forced is not None and running and elapsed >= self.forced:
            self.forced = None
            return h, True
        return h, self.forced is None and running and self.cum_h >= self.threshold

    def _shadow(self, elapsed: float, state: TruthState | None, running: bool) -> None:
        """Shadow mode: integrate every truth model's hazard and record its first onset."""
        assert self.models is not None and self.shadow is not None
        shadow = self.shadow
        if state is not None:
            for k, model in enumerate(self.models):
                self.shadow_cum[k] += model.hazard(state)
                if shadow[model.name] is None and self.shadow_cum[k] >= self.threshold:
                    shadow[model.name] = self.t0 + elapsed
        if self.forced is not None and running and elapsed >= self.forced:
            self.forced = None
            for name, when in shadow.items():
                shadow[name] = self.t0 + elapsed if when is None else when

    def restart(self, elapsed: float, rng: np.random.Generator) -> None:
        """After an onset: a fresh threshold (drawn from ``rng`` now) and a refractory spell."""
        self.cum_h, self.threshold = 0.0, rng.exponential()
        self.refractory_until = elapsed + REFRACTORY_S

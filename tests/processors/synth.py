"""Synthetic runs for the processor tests (deterministic, seeded; no dependency on ``simulators``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from processors.engine import Engine
from processors.indicators import Indicators
from processors.profile import Profile
from processors.window import Window

F = NDArray[np.float64]
T0 = 1_732_400_000.0


@dataclass(frozen=True)
class Run:
    t: F
    hr: F
    speed: F
    cadence: F
    temp: F

    def window(self, end: int, history: int = 3600) -> Window:
        """The window a monitor would hand over at grid second ``end`` (inclusive)."""
        a = max(0, end + 1 - history)
        return Window(
            t=self.t[a : end + 1],
            hr=self.hr[a : end + 1],
            speed=self.speed[a : end + 1],
            cadence=self.cadence[a : end + 1],
            temp=self.temp[a : end + 1],
            session_start=T0,
        )


def make_run(
    minutes: float,
    *,
    pace_s_km: float | Callable[[F], F],
    hr: Callable[[F], F],
    cadence: Callable[[F], F],
    temp_c: float,
    seed: int = 0,
    hr_noise: float = 1.5,
    speed_noise: float = 0.08,
    cadence_noise: float = 1.5,
) -> Run:
    rng = np.random.default_rng(seed)
    n = int(minutes * 60) + 1
    s = np.arange(n, dtype=np.float64)
    pace = pace_s_km(s) if callable(pace_s_km) else np.full(n, float(pace_s_km))
    speed = 1000.0 / pace + rng.normal(0, speed_noise, n)
    return Run(
        t=T0 + s,
        hr=np.round(hr(s) + rng.normal(0, hr_noise, n)),
        speed=np.clip(speed, 0.0, None),
        cadence=np.round(cadence(s) + rng.normal(0, cadence_noise, n)),
        temp=np.round(np.full(n, temp_c) + rng.normal(0, 0.2, n), 1),
    )


def warm_hr(base: float, drift_bpm_h: float = 0.0) -> Callable[[F], F]:
    """HR rising from ~100 to ``base`` over the first minutes, then drifting ``drift_bpm_h`` after minute 10."""

    def f(s: F) -> F:
        ramp = 100.0 + (base - 100.0) * (1.0 - np.exp(-s / 90.0))
        return ramp + drift_bpm_h * np.clip(s - 600.0, 0.0, None) / 3600.0

    return f


def falling_cadence(start: float, drop_spm: float, from_min: float, to_min: float) -> Callable[[F], F]:
    """Cadence steady at ``start`` and falling linearly by ``drop_spm`` between the two minutes."""

    def f(s: F) -> F:
        frac = np.clip((s / 60.0 - from_min) / (to_min - from_min), 0.0, 1.0)
        return start - drop_spm * frac

    return f


def hot_fast_run(minutes: float = 60.0, seed: int = 1) -> Run:
    """Calibration case (a): training 330 s/km, running 300 s/km at 30 °C, HR drifting, cadence falling."""
    return make_run(
        minutes,
        pace_s_km=300.0,
        hr=warm_hr(160.0, drift_bpm_h=18.0),
        cadence=falling_cadence(176.0, 8.0, 20.0, 60.0),
        temp_c=30.0,
        seed=seed,
    )


def easy_cool_run(minutes: float = 60.0, seed: int = 2) -> Run:
    """Calibration case (b): at training pace 330 s/km, 12 °C, steady HR and cadence."""
    return make_run(
        minutes,
        pace_s_km=330.0,
        hr=warm_hr(140.0, drift_bpm_h=2.0),
        cadence=lambda s: np.full(s.shape, 170.0),
        temp_c=12.0,
        seed=seed,
    )


def drive(run: Run, profile: Profile, every: int = 5, engine: Engine | None = None) -> Iterator[Indicators]:
    """Tick an engine every ``every`` grid seconds, as the monitor does."""
    eng = engine if engine is not None else Engine(profile)
    for end in range(every, len(run.t), every):
        yield eng.tick(run.window(end))

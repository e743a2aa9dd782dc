"""Banister training impulse (TRIMP)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from processors._util import SMALL, FloatArray, fround
from processors.clean import CleanTail
from processors.profile import Profile
from processors.registry import Context, Processor, register

#: (a, b) of Banister's TRIMP weighting, Morton, Fitz-Clarke & Banister (J Appl Physiol 1990).
TRIMP_MALE = (0.64, 1.92)
TRIMP_FEMALE = (0.86, 1.67)
#: Sex unknown: the midpoint of Morton's two curves (b = 1.795 is also Runalyze's unknown-sex exponent).
TRIMP_UNKNOWN = (0.75, 1.795)


def trimp_constants(profile: Profile) -> tuple[float, float]:
    """The (a, b) pair for this athlete."""
    if profile.sex == "male":
        return TRIMP_MALE
    if profile.sex == "female":
        return TRIMP_FEMALE
    return TRIMP_UNKNOWN


def heart_rate_reserve(hr: FloatArray, profile: Profile) -> FloatArray:
    """Karvonen fraction HRr = (HR − HRrest) / (HRmax − HRrest), clipped to [0, 1] (NaN stays NaN).

    >>> heart_rate_reserve(np.array([60.0, 120.0, 250.0, np.nan]), Profile(hr_rest=60, hr_max=180)).tolist()
    [0.0, 0.5, 1.0, nan]
    """
    rest = profile.hr_rest_bpm
    span = max(profile.hr_max_bpm - rest, 1.0)
    return np.clip((hr - rest) / span, 0.0, 1.0)


def heart_rate_reserve_of(hr: float, profile: Profile) -> float:
    """:func:`heart_rate_reserve` of one value, without building an array.

    >>> heart_rate_reserve_of(120.0, Profile(hr_rest=60, hr_max=180)), heart_rate_reserve_of(250.0, Profile())
    (0.5, 1.0)
    """
    rest = profile.hr_rest_bpm
    span = max(profile.hr_max_bpm - rest, 1.0)
    return min(max((hr - rest) / span, 0.0), 1.0)


def heart_rate_reserve_small(hr: FloatArray, profile: Profile) -> list[float]:
    """:func:`heart_rate_reserve` of the finite samples in plain Python (the usual tick: a few seconds).

    >>> heart_rate_reserve_small(np.array([60.0, np.nan, 120.0, 250.0]), Profile(hr_rest=60, hr_max=180))
    [0.0, 0.5, 1.0]
    """
    rest = profile.hr_rest_bpm
    span = max(profile.hr_max_bpm - rest, 1.0)
    hs: list[float] = hr.tolist()
    return [min(max((h - rest) / span, 0.0), 1.0) for h in hs if h == h]


def new_reliable_hr(ctx: Context) -> FloatArray | None:
    """The cleaned heart rate of the seconds new this tick; None while HR is unreliable (``hr_unreliable``)."""
    if ctx.results["hr_unreliable"]:
        return None
    tail: CleanTail = ctx.results["clean"]
    return tail.hr[tail.new_from :]


def trimp_of(hr: FloatArray, profile: Profile, dt_s: float = 1.0) -> float:
    """Σ Δt_min · HRr · a · e^(b·HRr) over the finite samples.

    Worked example: 30 min at HRr 0.5 for a man = 30 · 0.5 · 0.64 · e^0.96 = 25.07.

    >>> round(trimp_of(np.full(1800, 120.0), Profile(sex="male", hr_rest=60, hr_max=180)), 2)
    25.07
    """
    a, b = trimp_constants(profile)
    x = heart_rate_reserve(hr[np.isfinite(hr)], profile)
    return float((dt_s / 60.0) * np.sum(x * a * np.exp(b * x)))


class Trimp(Processor):
    """Banister TRIMP accumulated over the new seconds of reliable, cleaned heart rate.

    Constants: Morton et al. 1990 (men a = 0.64, b = 1.92; women a = 0.86, b = 1.67); sex unknown: a = 0.75,
    b = 1.795 (the midpoint). HRmax and HRrest from the profile (defaults: Tanaka 208 − 0.7·age, 60 bpm).
    Seconds with HR
    unknown or in cadence lock add nothing. None while no heart rate has reported in this session (a
    pace-only watch): unknown, not 0.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> w = Window.from_arrays(t=np.arange(600.0), hr=np.full(600, 150.0))
    >>> compute("trimp", w, Profile(sex="male", hr_rest=60, hr_max=180))
    20.2593
    >>> print(compute("trimp", Window.from_arrays(t=np.arange(600.0), speed=np.full(600, 3.0))))
    None
    """

    symbol = "trimp"
    name = "Banister TRIMP"
    units = "TRIMP units (weighted minutes)"
    source = "Banister 1991; Morton, Fitz-Clarke & Banister, J Appl Physiol 1990"
    depends = ("clean", "hr_unreliable")

    def __init__(self) -> None:
        self._total = 0.0
        self._seen = False  # a finite heart-rate second has arrived (reliable or not)
        self._profile: Profile | None = None
        self._consts = (0.0, 1.0, 0.0, 0.0)  # of _profile: HRrest, HRmax - HRrest (>= 1), TRIMP a and b

    def update(self, ctx: Context) -> None:
        if not self._seen:
            tail: CleanTail = ctx.results["clean"]
            hr_new = tail.hr[tail.new_from :]
            self._seen = bool(hr_new.shape[0]) and bool(np.isfinite(hr_new).any())
        hr = new_reliable_hr(ctx)
        if hr is None:
            return
        if hr.shape[0] <= SMALL:  # the usual tick: a few seconds, plain Python
            profile = ctx.profile
            if profile is not self._profile:  # (immutable) its HRrest, HRmax - HRrest and TRIMP constants
                rest = profile.hr_rest_bpm
                self._profile, self._consts = (
                    profile,
                    (rest, max(profile.hr_max_bpm - rest, 1.0), *trimp_constants(profile)),
                )
            rest, span, a, b = self._consts
            total = self._total
            hs: list[float] = hr.tolist()  # typed: compiled, the loop runs on C doubles
            for h in hs:  # heart_rate_reserve_small written out (max/min as they pick), the sum in a local
                if h == h:
                    x = (h - rest) / span
                    x = 0.0 if x < 0.0 else x
                    x = 1.0 if x > 1.0 else x
                    total += x * a * math.exp(b * x) / 60.0
            self._total = total
        else:
            self._total += trimp_of(hr, ctx.profile)
        if not math.isfinite(self._total):
            self._total = 0.0

    def get(self) -> float | None:
        return fround(self._total, 4) if self._seen else None

    def state_dict(self) -> dict[str, Any]:
        return {"total": self._total, "seen": self._seen}

    def load_state(self, state: dict[str, Any]) -> None:
        self._total = float(state.get("total", 0.0))
        # a state saved before "seen" existed: a TRIMP above 0 means heart rate had reported
        self._seen = bool(state.get("seen", self._total > 0.0))


register(Trimp)

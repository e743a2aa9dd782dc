"""The heart-rate maximum in use: the profile's (or Tanaka's estimate), raised by what the athlete shows."""

from __future__ import annotations

from typing import Any

from processors._util import fround, recent_median
from processors.clean import CleanTail
from processors.profile import Profile
from processors.registry import Context, Processor, register


def effective_hr_max(profile: Profile, observed: float | None) -> float:
    """max(profile HRmax — measured, else Tanaka 208 − 0.7·age —, the highest sustained HR observed).

    >>> effective_hr_max(Profile(age=40), None), effective_hr_max(Profile(age=40), 186.0)
    (180.0, 186.0)
    """
    base = profile.hr_max_bpm
    return base if observed is None or observed <= base else observed


class HrMax(Processor):
    """``hr_max_bpm``: the profile's HRmax — measured, else Tanaka, Monahan & Seals 2001 (208 − 0.7 · age; the
    classic 220 − age underestimates older runners) — raised to the highest **sustained** HR seen this session
    (the median of ``sustain_s`` cleaned, reliable seconds, so a spike or a cadence-locked sensor cannot raise
    it). Any HR above the estimate proves the estimate too low. % HRmax, the HR zone and the red flags use it.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> hr = np.concatenate([np.full(60, 150.0), np.full(40, 191.0)])
    >>> compute("hr_max_bpm", Window.from_arrays(t=np.arange(100.0), hr=hr), Profile(age=40))
    191.0
    """

    symbol = "hr_max_bpm"
    name = "HRmax in use"
    units = "bpm"
    source = "Tanaka, Monahan & Seals, J Am Coll Cardiol 2001 (208 - 0.7 age); raised on observed HR"
    depends = ("clean", "hr_unreliable")

    def __init__(self, sustain_s: int = 20) -> None:
        if not 5 <= sustain_s <= 60:
            raise ValueError("sustain_s must be within 5..60 s")
        self.sustain_s = sustain_s
        self._observed: float | None = None
        self._value = 0.0
        #: what _value was computed from (the profile and the observed value, both kept as the same objects)
        self._profile: Profile | None = None
        self._used: float | None = None

    def update(self, ctx: Context) -> None:
        res = ctx.results
        if not res["hr_unreliable"]:
            tail: CleanTail = res["clean"]
            hr = recent_median(tail.hr, self.sustain_s, self.sustain_s * 3 // 4)
            if hr is not None and (self._observed is None or hr > self._observed):
                self._observed = fround(hr, 1)
        profile = ctx.profile
        if profile is not self._profile or self._observed is not self._used:  # else the same value (immutable)
            self._value = effective_hr_max(profile, self._observed)
            self._profile, self._used = profile, self._observed

    def get(self) -> float:
        return self._value

    def state_dict(self) -> dict[str, Any]:
        return {"observed": self._observed}

    def load_state(self, state: dict[str, Any]) -> None:
        v = state.get("observed")
        self._observed = None if v is None else float(v)


register(HrMax)

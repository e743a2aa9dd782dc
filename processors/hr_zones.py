"""Time in five heart-rate zones."""

from __future__ import annotations

from typing import Any

import numpy as np

from processors._util import SMALL
from processors.registry import Context, Processor, register
from processors.trimp import heart_rate_reserve, heart_rate_reserve_small, new_reliable_hr

#: Lower bounds (fractions of heart-rate reserve) of zones 2–5; zone 1 is everything below 60 % HRR.
ZONE_BOUNDS = (0.6, 0.7, 0.8, 0.9)


@register
class HrZones(Processor):
    """Seconds spent in five zones of heart-rate reserve (Karvonen): Z1 < 60 %, Z2 60–70 %, Z3 70–80 %,
    Z4 80–90 %, Z5 ≥ 90 % HRR. Zone 1 includes everything below 60 % so the five add up to the time with a
    reliable HR. Integrates only new seconds.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.profile import Profile
    >>> from processors.window import Window
    >>> hr = np.concatenate([np.full(60, 100.0), np.full(20, np.nan), np.full(40, 170.0)])  # strap off, on
    >>> compute("hr_zone_s", Window.from_arrays(t=np.arange(120.0), hr=hr), Profile(hr_rest=60, hr_max=180))
    [60.0, 0.0, 0.0, 0.0, 40.0]
    """

    symbol = "hr_zone_s"
    name = "Time in HR zones"
    units = "s (five zones)"
    source = "Karvonen, Kentala & Mustala 1957 (heart-rate reserve); zone bounds 60/70/80/90 % HRR"
    depends = ("clean", "hr_unreliable")

    def __init__(self) -> None:
        self._zones = [0.0] * 5

    def update(self, ctx: Context) -> None:
        hr = new_reliable_hr(ctx)
        if hr is None:
            return
        if hr.shape[0] <= SMALL:  # the usual tick: a few seconds, plain Python
            for r in heart_rate_reserve_small(hr, ctx.profile):
                self._zones[sum(1 for bound in ZONE_BOUNDS if r >= bound)] += 1.0
            return
        x = heart_rate_reserve(hr[np.isfinite(hr)], ctx.profile)
        counts = np.bincount(np.searchsorted(ZONE_BOUNDS, x, side="right"), minlength=5)
        for i in range(5):
            self._zones[i] += float(counts[i])

    def get(self) -> list[float]:
        return list(self._zones)

    def state_dict(self) -> dict[str, Any]:
        return {"zones": list(self._zones)}

    def load_state(self, state: dict[str, Any]) -> None:
        z = [float(v) for v in state.get("zones", [0.0] * 5)]
        self._zones = (z + [0.0] * 5)[:5]

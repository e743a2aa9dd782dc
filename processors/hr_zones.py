"""Time in five heart-rate zones (% of HRmax, the same bands as ``hr_zone``)."""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from processors._util import SMALL
from processors.clean import CleanTail
from processors.registry import Context, Processor, register
from processors.trimp import new_reliable_hr

#: Lower bounds (fractions of HRmax) of zones 2–5; zone 1 is everything below 60 % HRmax.
_Z2: Final = 0.6
_Z3: Final = 0.7
_Z4: Final = 0.8
_Z5: Final = 0.9
ZONE_BOUNDS = (_Z2, _Z3, _Z4, _Z5)


class HrZones(Processor):
    """Seconds spent in five zones of % HRmax: Z1 < 60 %, Z2 60–70 %, Z3 70–80 %, Z4 80–90 %, Z5 ≥ 90 % — the
    bands of the live ``hr_zone`` (contract additions), with the HRmax in use (``hr_max_bpm``: measured or Tanaka,
    raised on observed HR). Zone 1 includes everything below 60 % so the five add up to the time with a reliable
    HR. Integrates only new seconds. None while no heart rate has reported in this session (unknown, not five
    zeros).

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.profile import Profile
    >>> from processors.window import Window
    >>> hr = np.concatenate([np.full(60, 100.0), np.full(20, np.nan), np.full(40, 170.0)])  # strap off, on
    >>> compute("hr_zone_s", Window.from_arrays(t=np.arange(120.0), hr=hr), Profile(hr_rest=60, hr_max=180))
    [60.0, 0.0, 0.0, 0.0, 40.0]
    >>> print(compute("hr_zone_s", Window.from_arrays(t=np.arange(60.0), speed=np.full(60, 3.0))))
    None
    """

    symbol = "hr_zone_s"
    name = "Time in HR zones"
    units = "s (five zones)"
    source = "five %HRmax zones (<60/60-70/70-80/80-90/>=90 %), as hr_zone; HRmax: Tanaka et al. 2001"
    depends = ("clean", "hr_unreliable", "hr_max_bpm")

    def __init__(self) -> None:
        self._zones = [0.0] * 5
        self._seen = False  # a finite heart-rate second has arrived (reliable or not), as for trimp

    def update(self, ctx: Context) -> None:
        if not self._seen:
            tail: CleanTail = ctx.results["clean"]
            hr_new = tail.hr[tail.new_from :]
            self._seen = bool(hr_new.shape[0]) and bool(np.isfinite(hr_new).any())
        hr = new_reliable_hr(ctx)
        if hr is None:
            return
        hr_max = float(ctx.results["hr_max_bpm"])
        hr_max = 1.0 if hr_max < 1.0 else hr_max  # max(hr_max, 1.0) as it picks, without the call
        if hr.shape[0] <= SMALL:  # the usual tick: a few seconds, plain Python
            zones = self._zones
            hs: list[float] = hr.tolist()
            for h in hs:
                if h == h:  # the zone, bisect_right(ZONE_BOUNDS, x) without the call:
                    # how many bounds are not above x (NaN: 4, as bisect finds)
                    q = h / hr_max
                    if q < _Z4:
                        zones[(0 if q < _Z2 else 1) if q < _Z3 else 2] += 1.0
                    else:
                        zones[3 if q < _Z5 else 4] += 1.0
            return
        x = hr[np.isfinite(hr)] / hr_max
        counts = np.bincount(np.searchsorted(ZONE_BOUNDS, x, side="right"), minlength=5)
        for i in range(5):
            self._zones[i] += float(counts[i])

    def get(self) -> list[float] | None:
        return list(self._zones) if self._seen else None

    def state_dict(self) -> dict[str, Any]:
        return {"zones": list(self._zones), "seen": self._seen}

    def load_state(self, state: dict[str, Any]) -> None:
        z = [float(v) for v in state.get("zones", [0.0] * 5)]
        self._zones = (z + [0.0] * 5)[:5]
        # a state saved before "seen" existed: time in a zone means heart rate had reported
        self._seen = bool(state.get("seen", sum(self._zones) > 0.0))


register(HrZones)

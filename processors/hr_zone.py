"""Current heart-rate zone (1-5) by % of HRmax."""

from __future__ import annotations

from processors.registry import Context, Processor, register

#: Lower bounds (% of HRmax) of zones 2–5; zone 1 is everything below 60 %.
ZONE_PCT_BOUNDS = (60.0, 70.0, 80.0, 90.0)


def zone_of(pct_max: float) -> int:
    """The zone of a % HRmax: 1 below 60, 2 for 60–70, 3 for 70–80, 4 for 80–90, 5 at 90 and above.

    >>> [zone_of(p) for p in (45.0, 60.0, 69.9, 75.0, 89.99, 90.0, 104.0)]
    [1, 2, 2, 3, 4, 5, 5]
    """
    zone = 1  # 1 + the bounds reached (NaN reaches none), counted without a generator
    for bound in ZONE_PCT_BOUNDS:
        if pct_max >= bound:
            zone += 1
    return zone


class HrZone(Processor):
    """``hr_zone`` 1–5 from ``hr_pct_max`` with the five %-of-HRmax bands of the contract (< 60, 60–70, 70–80,
    80–90, ≥ 90 %: the common five-zone model of watch makers and ACSM's % HRmax intensity classes). None
    without a reliable HR. (``hr_zone_s``, time in zones, uses the same bands.)

    >>> import numpy as np
    >>> from processors.profile import Profile
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> compute("hr_zone", Window.from_arrays(t=np.arange(30.0), hr=np.full(30, 153.0)), Profile(hr_max=180))
    4
    """

    symbol = "hr_zone"
    name = "HR zone (% HRmax)"
    units = "zone 1-5"
    source = "five %HRmax zones (<60/60-70/70-80/80-90/>=90 %); contract additions; ACSM intensity classes"
    depends = ("hr_pct_max",)

    def __init__(self) -> None:
        self._value: int | None = None

    def update(self, ctx: Context) -> None:
        pct: float | None = ctx.results["hr_pct_max"]
        self._value = None if pct is None else zone_of(pct)

    def get(self) -> int | None:
        return self._value


register(HrZone)

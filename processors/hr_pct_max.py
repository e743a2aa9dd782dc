"""Current heart rate as a percentage of HRmax."""

from __future__ import annotations

from processors._util import fround
from processors.registry import Context, Processor, register


class HrPctMax(Processor):
    """``hr_pct_max`` = 100 · HR / HRmax, with the current (12-s median, cleaned, reliable) HR and the HRmax in
    use (``hr_max_bpm``: measured or Tanaka, raised on observed HR). None without a reliable HR.

    >>> import numpy as np
    >>> from processors.profile import Profile
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> compute("hr_pct_max", Window.from_arrays(t=np.arange(30.0), hr=np.full(30, 153.0)), Profile(hr_max=180))
    85.0
    """

    symbol = "hr_pct_max"
    name = "% of HRmax"
    units = "%"
    source = "percent of maximal heart rate (ACSM intensity bands); HRmax: Tanaka et al. 2001"
    depends = ("hr", "hr_max_bpm")

    def __init__(self) -> None:
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        hr: float | None = ctx.results["hr"]
        hr_max: float = ctx.results["hr_max_bpm"]
        self._value = None if hr is None or hr_max <= 0 else fround(100.0 * hr / hr_max, 1)

    def get(self) -> float | None:
        return self._value


register(HrPctMax)

"""Current heart rate."""

from __future__ import annotations

from processors._recent import RecentMedian
from processors.registry import Context, register


class HeartRate(RecentMedian):
    """Median of the last ``seconds`` cleaned HR values (bpm); None when unknown or while the sensor is in
    cadence lock (then the number would be the step rate, not the heart rate).

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> hr = np.full(30, 150.0); hr[-3] = 0.0  # a dropout
    >>> compute("hr", Window.from_arrays(t=np.arange(30.0), hr=hr))
    150.0
    """

    symbol = "hr"
    name = "Heart rate"
    units = "bpm"
    stream = "hr"
    depends = ("clean", "hr_unreliable")

    def known(self, ctx: Context) -> bool:
        return not ctx.results["hr_unreliable"]


register(HeartRate)

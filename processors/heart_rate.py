"""Current heart rate."""

from __future__ import annotations

from processors._util import RECENT_S, recent_median
from processors.clean import CleanTail
from processors.registry import Context, Processor, register


@register
class HeartRate(Processor):
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
    source = "cleaned stream median (processors.clean)"
    depends = ("clean", "hr_unreliable")

    def __init__(self, seconds: int = RECENT_S) -> None:
        if seconds < 1:
            raise ValueError("seconds must be >= 1")
        self.seconds = seconds
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        tail: CleanTail = ctx["clean"]
        v = None if ctx["hr_unreliable"] else recent_median(tail.hr, self.seconds)
        self._value = None if v is None else round(v, 3)

    def get(self) -> float | None:
        return self._value

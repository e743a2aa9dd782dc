"""Current temperature."""

from __future__ import annotations

from processors._util import recent_median
from processors.clean import CleanTail
from processors.registry import Context, Processor, register


@register
class Temperature(Processor):
    """Median of the last ``seconds`` temperature readings (°C; a reading is held for at most 5 min across
    gaps); None when unknown. A watch's sensor sits on the wrist and reads above air temperature in the sun or
    against the skin: it is used as a graded heat factor, never as a heat index.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> compute("temp", Window.from_arrays(t=np.arange(30.0), temp=np.full(30, 24.5)))
    24.5
    """

    symbol = "temp"
    name = "Temperature"
    units = "°C"
    source = "cleaned stream median (processors.clean)"
    depends = ("clean",)

    def __init__(self, seconds: int = 60) -> None:
        if seconds < 1:
            raise ValueError("seconds must be >= 1")
        self.seconds = seconds
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        tail: CleanTail = ctx["clean"]
        v = recent_median(tail.temp, self.seconds, min_count=1)
        self._value = None if v is None else round(v, 3)

    def get(self) -> float | None:
        return self._value

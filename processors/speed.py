"""Current running speed."""

from __future__ import annotations

from processors._util import RECENT_S, recent_median
from processors.clean import CleanTail
from processors.registry import Context, Processor, register


@register
class Speed(Processor):
    """Median of the last ``seconds`` cleaned speed values (m/s); None when fewer than 3 are known.

    0 means stopped (the window reports 0 m/s for anything slower than 20 min/km).

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> compute("speed", Window.from_arrays(t=np.arange(30.0), speed=np.full(30, 3.2)))
    3.2
    """

    symbol = "speed"
    name = "Speed"
    units = "m/s"
    source = "cleaned stream median (processors.clean)"
    depends = ("clean",)

    def __init__(self, seconds: int = RECENT_S) -> None:
        if seconds < 1:
            raise ValueError("seconds must be >= 1")
        self.seconds = seconds
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        tail: CleanTail = ctx["clean"]
        v = recent_median(tail.speed, self.seconds)
        self._value = None if v is None else round(v, 6)

    def get(self) -> float | None:
        return self._value

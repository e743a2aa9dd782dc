"""Current pace in seconds per kilometre."""

from __future__ import annotations

from processors._util import MOVING_MIN_SPEED, fround
from processors.registry import Context, Processor, register


class Pace(Processor):
    """Pace = 1000 / speed (s/km) from the current cleaned speed; None when stopped (slower than 20 min/km)
    or unknown.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> compute("pace", Window.from_arrays(t=np.arange(30.0), speed=np.full(30, 1000 / 300)))
    300.0
    >>> compute("pace", Window.from_arrays(t=np.arange(30.0), speed=np.zeros(30))) is None
    True
    """

    symbol = "pace"
    name = "Pace"
    units = "s/km"
    source = "definition: pace = 1000 / speed"
    depends = ("speed",)

    def __init__(self) -> None:
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        v: float | None = ctx.results["speed"]
        self._value = None if v is None or v < MOVING_MIN_SPEED else fround(1000.0 / v, 3)

    def get(self) -> float | None:
        return self._value


register(Pace)

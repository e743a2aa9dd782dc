"""Step length (one step)."""

from __future__ import annotations

from processors._util import fround
from processors.registry import Context, Processor, register


class Step(Processor):
    """``step_m`` = 60 · speed / cadence = half the stride (what Garmin calls "stride length").

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> w = Window.from_arrays(t=np.arange(30.0), speed=np.full(30, 3.0), cadence=np.full(30, 180.0))
    >>> compute("step_m", w)
    1.0
    """

    symbol = "step_m"
    name = "Step length"
    units = "m"
    source = "science.md: step length = 60·v / (steps/min)"
    depends = ("stride_m",)

    def __init__(self) -> None:
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        s: float | None = ctx.results["stride_m"]
        self._value = None if s is None else fround(s / 2.0, 4)

    def get(self) -> float | None:
        return self._value


register(Step)

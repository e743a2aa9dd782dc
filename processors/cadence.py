"""Current cadence."""

from __future__ import annotations

from processors._util import RECENT_S, recent_median
from processors.clean import CleanTail
from processors.registry import Context, Processor, register


@register
class Cadence(Processor):
    """Median of the last ``seconds`` cleaned cadence values (steps/min, both feet); None when unknown.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> compute("cadence", Window.from_arrays(t=np.arange(30.0), cadence=np.full(30, 176.0)))
    176.0
    """

    symbol = "cadence"
    name = "Cadence"
    units = "steps/min"
    source = "cleaned stream median (processors.clean)"
    depends = ("clean",)

    def __init__(self, seconds: int = RECENT_S) -> None:
        if seconds < 1:
            raise ValueError("seconds must be >= 1")
        self.seconds = seconds
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        tail: CleanTail = ctx["clean"]
        v = recent_median(tail.cadence, self.seconds)
        self._value = None if v is None else round(v, 3)

    def get(self) -> float | None:
        return self._value

"""Current temperature."""

from __future__ import annotations

from processors._recent import RecentMedian
from processors.registry import register


class Temperature(RecentMedian):
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
    stream = "temp"
    min_count = 1

    def __init__(self, seconds: int = 60) -> None:
        super().__init__(seconds)


register(Temperature)

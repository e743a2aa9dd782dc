"""Current running speed."""

from __future__ import annotations

from processors._recent import RecentMedian
from processors.registry import register


class Speed(RecentMedian):
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
    stream = "speed"
    digits = 6


register(Speed)

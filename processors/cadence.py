"""Current cadence."""

from __future__ import annotations

from processors._recent import RecentMedian
from processors.registry import register


class Cadence(RecentMedian):
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
    stream = "cadence"


register(Cadence)

"""Distance covered."""

from __future__ import annotations

from typing import Any

import numpy as np

from processors.clean import CleanTail
from processors.registry import Context, Processor, register


@register
class Distance(Processor):
    """Σ speed · 1 s over the new grid seconds (cleaned speed; seconds inside gaps longer than the bridged
    few seconds add nothing, so a long GPS dropout under-counts rather than invents distance).

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> compute("distance_m", Window.from_arrays(t=np.arange(100.0), speed=np.full(100, 3.0)))
    300.0
    """

    symbol = "distance_m"
    name = "Distance"
    units = "m"
    source = "integration of speed on the 1 Hz grid"
    depends = ("clean",)

    def __init__(self) -> None:
        self._total = 0.0

    def update(self, ctx: Context) -> None:
        tail: CleanTail = ctx["clean"]
        v = tail.speed[tail.new]
        self._total += float(v[np.isfinite(v)].sum())

    def get(self) -> float:
        return round(self._total, 3)

    def state_dict(self) -> dict[str, Any]:
        return {"total": self._total}

    def load_state(self, state: dict[str, Any]) -> None:
        self._total = float(state.get("total", 0.0))

"""Distance covered."""

from __future__ import annotations

from typing import Any

import numpy as np

from processors._pairwise import np_sum
from processors._util import SMALL, fround
from processors.clean import CleanTail
from processors.registry import Context, Processor, register


class Distance(Processor):
    """Σ speed · 1 s over the new grid seconds (cleaned speed; seconds inside gaps longer than the bridged
    few seconds add nothing, so a long GPS dropout under-counts rather than invents distance). None while the
    speed/pace stream has not reported in this session (a heart-rate-only gateway): unknown, not 0 m.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> compute("distance_m", Window.from_arrays(t=np.arange(100.0), speed=np.full(100, 3.0)))
    300.0
    >>> print(compute("distance_m", Window.from_arrays(t=np.arange(100.0), hr=np.full(100, 150.0))))
    None
    """

    symbol = "distance_m"
    name = "Distance"
    units = "m"
    source = "integration of speed on the 1 Hz grid"
    depends = ("clean",)

    def __init__(self) -> None:
        self._total = 0.0
        self._seen = False  # a finite speed second has been integrated

    def update(self, ctx: Context) -> None:
        tail: CleanTail = ctx.results["clean"]
        v = tail.speed[tail.new_from :]
        if v.shape[0] <= SMALL:  # the usual tick: a few seconds, plain floats (NumPy's sum, the same bits)
            vs: list[float] = v.tolist()
            finite = [x for x in vs if x - x == 0.0]  # x - x is NaN for NaN and ±inf
            if finite:
                self._total += np_sum(finite)
                self._seen = True
            return
        big = v[np.isfinite(v)]
        if big.shape[0]:
            self._total += float(big.sum())
            self._seen = True

    def get(self) -> float | None:
        return fround(self._total, 3) if self._seen else None

    def state_dict(self) -> dict[str, Any]:
        return {"total": self._total, "seen": self._seen}

    def load_state(self, state: dict[str, Any]) -> None:
        self._total = float(state.get("total", 0.0))
        # a state saved before "seen" existed: a distance above 0 means speed had reported
        self._seen = bool(state.get("seen", self._total > 0.0))


register(Distance)

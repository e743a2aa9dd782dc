"""Time spent faster than training pace."""

from __future__ import annotations

from typing import Any

import numpy as np

from processors._util import SMALL
from processors.clean import CleanTail
from processors.registry import Context, Processor, register


class FasterThanTraining(Processor):
    """Seconds (new grid seconds only) in which the cleaned speed exceeded the training speed by more than
    ``margin`` (2 %: about 6–7 s/km at 5:30/km, below which watch pace noise dominates). None without a
    training pace or while the speed/pace stream has not reported in this session (unknown, not 0 s); once both
    are there it counts from that second on. (The smoothed speed rounds a step change, so a second next to it
    may count.)

    >>> import numpy as np
    >>> from processors.profile import Profile
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> spd = np.concatenate([np.full(50, 1000 / 330), np.full(70, 1000 / 300)])
    >>> w = Window.from_arrays(t=np.arange(120.0), speed=spd)
    >>> compute("faster_than_training_s", w, Profile(training_pace=330))
    71.0
    >>> print(compute("faster_than_training_s", w, Profile()))
    None
    """

    symbol = "faster_than_training_s"
    name = "Time faster than training pace"
    units = "s"
    source = "Schwellnus et al., Br J Sports Med 2011"
    depends = ("clean",)

    def __init__(self, margin: float = 0.02) -> None:
        if not 0 <= margin < 0.5:
            raise ValueError("margin must be within [0, 0.5)")
        self.margin = margin
        self._total = 0.0
        self._seen = False  # a finite speed second has been compared with a training pace

    def update(self, ctx: Context) -> None:
        ts = ctx.profile.training_speed
        if ts is None or ts <= 0:
            return
        tail: CleanTail = ctx.results["clean"]
        v = tail.speed[tail.new_from :]
        if not self._seen:
            self._seen = bool(v.shape[0]) and bool(np.isfinite(v).any())
        limit = ts * (1.0 + self.margin)
        if v.shape[0] <= SMALL:  # the usual tick: a few seconds, counted in plain floats (NaN compares False)
            k = 0
            vs: list[float] = v.tolist()
            for x in vs:
                if x > limit:
                    k += 1
            self._total += float(k)
            return
        self._total += float(np.count_nonzero(v > limit))  # NaN compares False, no warning

    def get(self) -> float | None:
        return self._total if self._seen else None

    def state_dict(self) -> dict[str, Any]:
        return {"total": self._total, "seen": self._seen}

    def load_state(self, state: dict[str, Any]) -> None:
        self._total = float(state.get("total", 0.0))
        # a state saved before "seen" existed: a count above 0 means speed and a training pace were there
        self._seen = bool(state.get("seen", self._total > 0.0))


register(FasterThanTraining)

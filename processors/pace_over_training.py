"""Current speed relative to training speed."""

from __future__ import annotations

from processors._util import fround
from processors.registry import Context, Processor, register


class PaceOverTraining(Processor):
    """Current cleaned speed / training speed (1.08 = 8 % faster than training pace; equal to training pace /
    current pace). None without a training pace or a current speed; 0 when stopped.

    Racing faster than training pace is one of the two independent predictors of cramp in Schwellnus et al.,
    BJSM 2011.

    >>> import numpy as np
    >>> from processors.profile import Profile
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> compute("pace_over_training", Window.from_arrays(t=np.arange(30.0), speed=np.full(30, 1000 / 300)),
    ...         Profile(training_pace=330))
    1.1
    """

    symbol = "pace_over_training"
    name = "Pace over training"
    units = "ratio"
    source = "Schwellnus et al., Br J Sports Med 2011"
    depends = ("speed",)

    def __init__(self) -> None:
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        v: float | None = ctx.results["speed"]
        ts = ctx.profile.training_speed
        self._value = None if v is None or ts is None or ts <= 0 else fround(v / ts, 4)

    def get(self) -> float | None:
        return self._value


register(PaceOverTraining)

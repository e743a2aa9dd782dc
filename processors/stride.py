"""Stride length (two steps)."""

from __future__ import annotations

from processors._util import MOVING_MIN_SPEED, fround
from processors.registry import Context, Processor, register

#: Below this cadence (steps/min) the athlete is not running steadily; stride is not reported.
MIN_CADENCE = 60.0
#: Longest plausible stride (m, two steps) for distance running: elite marathoners at 2:50/km and ~185
#: steps/min stride about 3.8 m (120 · 5.9 / 185). A longer "stride" comes from a GPS speed spike, not from
#: the runner, and is not reported (nor used by anything downstream).
MAX_STRIDE_M = 4.0


def stride_length(speed_mps: float, cadence_spm: float) -> float:
    """Stride (one contact of a foot to the next contact of the same foot = two steps): 120·v / cadence.

    >>> stride_length(3.0, 180.0)
    2.0
    """
    return 120.0 * speed_mps / cadence_spm


class Stride(Processor):
    """``stride_m`` = 120 · speed (m/s) / cadence (steps/min), from the current cleaned values; None when
    stopped, cadence unknown/below 60 steps/min, or implausibly long (above :data:`MAX_STRIDE_M`: a GPS speed
    spike). Garmin's "stride length" is one step, half of this.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> w = Window.from_arrays(t=np.arange(30.0), speed=np.full(30, 3.3), cadence=np.full(30, 165.0))
    >>> compute("stride_m", w)
    2.4
    >>> spike = Window.from_arrays(t=np.arange(30.0), speed=np.full(30, 9.0), cadence=np.full(30, 165.0))
    >>> compute("stride_m", spike) is None
    True
    """

    symbol = "stride_m"
    name = "Stride length"
    units = "m"
    source = "UW Medicine Sports Medicine (seed 002) stride definition; science.md"
    depends = ("speed", "cadence")

    def __init__(self) -> None:
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        v: float | None = ctx.results["speed"]
        c: float | None = ctx.results["cadence"]
        ok = v is not None and c is not None and v >= MOVING_MIN_SPEED and c >= MIN_CADENCE
        stride = stride_length(v, c) if ok and v is not None and c is not None else None
        self._value = fround(stride, 4) if stride is not None and stride <= MAX_STRIDE_M else None

    def get(self) -> float | None:
        return self._value


register(Stride)

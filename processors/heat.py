"""Graded heat factor from temperature (or from WBGT when humidity is known)."""

from __future__ import annotations

import math

import numpy as np

from processors._util import fround
from processors.registry import Context, Processor, register

#: ACSM race flags by WBGT (°C): < 18 green, 18–23 yellow, 23–28 red, > 28 black. The factor rises linearly
#: through the anchors below, so the flag borders sit at 0.25 / 0.5 / 0.75 and there are no steps.
HEAT_ANCHORS_C = (13.0, 18.0, 23.0, 28.0, 33.0)
HEAT_VALUES = (0.0, 0.25, 0.5, 0.75, 1.0)


def heat_factor(wbgt_or_temp_c: float) -> float:
    """0 (≤ 13 °C) … 1 (≥ 33 °C), piecewise linear through the ACSM flag borders.

    >>> [heat_factor(t) for t in (5.0, 18.0, 20.5, 28.0, 40.0)]
    [0.0, 0.25, 0.375, 0.75, 1.0]
    """
    return float(np.interp(wbgt_or_temp_c, HEAT_ANCHORS_C, HEAT_VALUES))


def vapour_pressure_hpa(temp_c: float, rh_pct: float) -> float:
    """Water vapour pressure e (hPa) from temperature and relative humidity (Magnus form used by the BoM).

    >>> round(vapour_pressure_hpa(30.0, 50.0), 2)
    21.14
    """
    return rh_pct / 100.0 * 6.105 * math.exp(17.27 * temp_c / (237.7 + temp_c))


def wbgt_bom(temp_c: float, rh_pct: float) -> float:
    """Australian Bureau of Meteorology WBGT approximation for shade/moderate sun:
    WBGT = 0.567·Ta + 0.393·e + 3.94 (e in hPa). Ready for when a humidity stream exists; the current wire
    carries temperature only.

    >>> round(wbgt_bom(30.0, 50.0), 2)
    29.26
    """
    return 0.567 * temp_c + 0.393 * vapour_pressure_hpa(temp_c, rh_pct) + 3.94


class HeatFactor(Processor):
    """``heat_factor`` 0–1 from the current temperature, graded through the ACSM WBGT flag borders (a single
    temperature is not a heat index: it is used as if it were the WBGT, which overstates dry heat and
    understates humid heat; with humidity, :func:`wbgt_bom` applies). None when temperature is unknown.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> compute("heat_factor", Window.from_arrays(t=np.arange(60.0), temp=np.full(60, 30.0)))
    0.85
    """

    symbol = "heat_factor"
    name = "Heat factor"
    units = "0–1"
    source = "ACSM race flags (Armstrong et al., MSSE 2007); Australian BoM WBGT approximation"
    depends = ("temp",)

    def __init__(self) -> None:
        self._value: float | None = None
        self._temp: float | None = None  # the temperature _value was computed from

    def update(self, ctx: Context) -> None:
        t: float | None = ctx.results["temp"]
        if t is None:
            self._value = self._temp = None
        elif t != self._temp:  # the temperature changes every 30-60 s (np.interp costs a few us per call)
            self._value = fround(heat_factor(t), 4)
            self._temp = t

    def get(self) -> float | None:
        return self._value


register(HeatFactor)

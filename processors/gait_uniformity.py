"""Gait uniformity: how little cadence and pace have varied lately (the status key ``monotony``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from processors._util import FloatArray, fround, mean_std
from processors.bins import N_C, S_C, S_C_SPD, BinStore
from processors.registry import Context, Processor, register

#: Coefficients of variation (of 10-s means over the span) that count as "normal" variation: 5 % for speed,
#: 2.5 % for cadence. Variation v = ½·cv_speed/0.05 + ½·cv_cadence/0.025; monotony = exp(−v).
CV_SPEED_REF = 0.05
CV_CADENCE_REF = 0.025


def uniformity_of(speed: FloatArray, cadence: FloatArray) -> float:
    """exp(−(½·cv(speed)/0.05 + ½·cv(cadence)/0.025)) of a series of 10-s means; 1 = perfectly uniform.

    Scale-free (the same for m/s or km/h, steps or strides):

    >>> import numpy as np
    >>> s = np.array([3.0, 3.1, 2.9, 3.0]); c = np.array([170.0, 172, 168, 170])
    >>> math.isclose(uniformity_of(s, c), uniformity_of(3.6 * s, c / 2))
    True
    >>> uniformity_of(np.full(90, 3.0), np.full(90, 170.0))
    1.0
    """
    return _uniformity(float(speed.std() / speed.mean()), float(cadence.std() / cadence.mean()))


def _uniformity(cv_s: float, cv_c: float) -> float:
    """:func:`uniformity_of` from the two coefficients of variation."""
    return math.exp(-(0.5 * cv_s / CV_SPEED_REF + 0.5 * cv_c / CV_CADENCE_REF))


class GaitUniformity(Processor):
    """``gait_uniformity`` 0–1 over the last ``span_s`` (20 min): 1 when speed and cadence hardly change from one
    10-s stretch to the next, as on a flat course where the same muscles work the same way for hours; hills,
    surges and form changes lower it. The cue to vary stride rate, foot strike or form now and then (seed
    002). Needs ``min_s`` of running with cadence in the span; None before. Recomputed every ``every_s`` seconds of
    event time (it describes 20 minutes; a 30-s refresh loses nothing).

    Not Foster's *training monotony* (mean daily training load / its standard deviation over a week): this is a
    within-run measure of gait sameness. The status keeps publishing it as ``monotony`` too (the contract's key,
    :mod:`processors.monotony`); the scale ``exp(−variation)`` is crampwatch's own.
    """

    symbol = "gait_uniformity"
    name = "Gait uniformity"
    units = "0–1"
    source = "UW Medicine Sports Medicine (seed 002): vary form on a flat course; crampwatch's own scale"
    depends = ("bins",)

    def __init__(self, span_s: float = 1200.0, min_s: float = 900.0, every_s: float = 30.0) -> None:
        if not 0 < min_s <= span_s or every_s < 0:
            raise ValueError("need 0 < min_s <= span_s and every_s >= 0")
        self.span_s = span_s
        self.min_s = min_s
        self.every_s = every_s
        self._value: float | None = None
        self._computed_at: float | None = None

    def update(self, ctx: Context) -> None:
        elapsed = ctx.window.elapsed
        if self._computed_at is not None and 0 <= elapsed - self._computed_at < self.every_s:
            return
        self._computed_at = elapsed
        self._value = None
        store: BinStore = ctx.results["bins"]
        rows = store.last(self.span_s, ctx.window.elapsed)
        if rows.shape[0] == 0:
            return
        n = rows[:, N_C]
        ok = n >= 5
        n_ok = n[ok]
        if float(np.add.reduce(n_ok)) < self.min_s:  # n_ok.sum() without its Python wrapper
            return
        # NumPy's mean and std, bit for bit, in fewer calls (what uniformity_of computes)
        (m_s, sd_s), (m_c, sd_c) = mean_std(rows[ok, S_C_SPD] / n_ok), mean_std(rows[ok, S_C] / n_ok)
        if m_s <= 0 or m_c <= 0:
            return
        self._value = fround(_uniformity(sd_s / m_s, sd_c / m_c), 4)

    def get(self) -> float | None:
        return self._value

    def state_dict(self) -> dict[str, Any]:
        return {"value": self._value, "computed_at": self._computed_at}

    def load_state(self, state: dict[str, Any]) -> None:
        v, c = state.get("value"), state.get("computed_at")
        self._value = None if v is None else float(v)
        self._computed_at = None if c is None else float(c)


register(GaitUniformity)

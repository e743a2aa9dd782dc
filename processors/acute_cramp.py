"""The acute cramp signature: sudden loss of pace, broken step rhythm, heart rate still high."""

from __future__ import annotations

from typing import Any

import numpy as np

from processors._util import median, nanmedian, recent_median
from processors.clean import CleanTail
from processors.registry import Context, Processor, register
from processors.trimp import heart_rate_reserve_of


class AcuteCramp(Processor):
    """``True`` when, compared with the running ``before`` it (60–20 s ago), the last ``recent_s`` seconds
    show all of

    * pace collapsed: median speed ≤ ``collapse`` × before (before ≥ 1.8 m/s, i.e. running), down to a
      standstill;
    * the athlete still stepping (median cadence ≥ 20 steps/min): a stop without steps is a planned stop as far
      as the streams can tell;
    * the rhythm broken: the median second-to-second cadence change is at least ``irregular_step`` steps/min
      (hobbling), or the cadence spread (coefficient of variation) is at least ``irregular_cv`` with changes of
      at least half that size. A walk break changes cadence once and then settles (small successive changes), so
      it does not count;
    * heart rate still high: within 8 bpm of before and at least 60 % of heart-rate reserve (an unknown or
      unreliable HR does not block the signature).

    Held for ``hold_s`` seconds of event time after the last detection. It is a signature, not a diagnosis
    (science.md; the cramp itself: seed 000).

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> rng = np.random.default_rng(1)
    >>> spd = np.concatenate([np.full(100, 3.3), np.full(20, 1.2)])
    >>> cad = np.concatenate([np.full(100, 172.0), 110 + rng.normal(0, 25, 20)])
    >>> hr = np.full(120, 168.0)
    >>> compute("acute_cramp", Window.from_arrays(t=np.arange(120.0), hr=hr, speed=spd, cadence=cad))
    True
    """

    symbol = "acute_cramp"
    name = "Acute cramp signature"
    units = "bool"
    source = "science.md / seed 000 (cramp: sudden painful contraction that stops the runner)"
    depends = ("clean", "hr_unreliable")

    def __init__(
        self,
        recent_s: int = 15,
        collapse: float = 0.6,
        irregular_step: float = 6.0,
        irregular_cv: float = 0.08,
        hold_s: float = 60.0,
    ) -> None:
        if not 5 <= recent_s <= 20:
            raise ValueError("recent_s must be within 5..20 s")
        if not 0 < collapse < 1 or irregular_step <= 0 or irregular_cv <= 0 or hold_s < 0:
            raise ValueError("need 0 < collapse < 1, irregular_step > 0, irregular_cv > 0, hold_s >= 0")
        self.recent_s = recent_s
        self.collapse = collapse
        self.irregular_step = irregular_step
        self.irregular_cv = irregular_cv
        self.hold_s = hold_s
        self._last_seen: float | None = None
        self._value = False

    def _detect(self, ctx: Context) -> bool:
        tail: CleanTail = ctx.results["clean"]
        if len(tail) < 60:
            return False
        r = slice(-self.recent_s, None)
        b = slice(-60, -20)
        half = self.recent_s // 2
        v_now = recent_median(tail.speed, self.recent_s, min_count=half)
        if v_now is None:
            return False
        before = tail.speed[b]
        top = float(np.maximum.reduce(before))  # before.max() without its Python wrapper; NaN if any second is NaN
        if v_now > self.collapse * top:  # then also above collapse x the median (<= top): no collapse, no sort
            return False
        v_before = nanmedian(before, min_count=20)
        if v_before is None or v_before < 1.8 or v_now > self.collapse * v_before:
            return False
        c = tail.cadence_rough[r]
        c = c[np.isfinite(c)]
        if c.size < half:
            return False
        c_now = median(c)
        if c_now < 20.0:
            return False  # no steps: a stop
        step = median(np.abs(np.diff(c)))
        cv = float(c.std()) / c_now
        if not (step >= self.irregular_step or (cv >= self.irregular_cv and step >= self.irregular_step / 2)):
            return False
        if not ctx.results["hr_unreliable"]:
            h_before = nanmedian(tail.hr[b], min_count=20)
            h_now = nanmedian(tail.hr[r], min_count=half)
            if h_before is not None and h_now is not None:
                hrr = heart_rate_reserve_of(h_now, ctx.profile)
                if h_now < h_before - 8.0 or hrr < 0.6:
                    return False
        return True

    def update(self, ctx: Context) -> None:
        now = ctx.window.now
        if self._detect(ctx):
            self._last_seen = now
        self._value = self._last_seen is not None and 0 <= now - self._last_seen <= self.hold_s

    def get(self) -> bool:
        return self._value

    def state_dict(self) -> dict[str, Any]:
        return {"last_seen": self._last_seen}

    def load_state(self, state: dict[str, Any]) -> None:
        v = state.get("last_seen")
        self._last_seen = None if v is None else float(v)


register(AcuteCramp)

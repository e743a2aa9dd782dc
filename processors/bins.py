"""The session's history in 10-second bins (sums and counts), for indicators that look back minutes or
hours."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from processors._util import MOVING_MIN_SPEED, FloatArray
from processors.clean import CleanTail
from processors.registry import Context, Processor, register

# column layout of a bin row
N_HR, S_HR = 0, 1  # seconds with a (reliable) HR, sum of HR
N_P, S_P_SPD, S_P_HR = 2, 3, 4  # moving seconds with both speed and HR: count, sum speed, sum HR
# moving seconds with cadence: count, Σcadence, Σcadence², Σspeed, Σstep length
N_C, S_C, SS_C, S_C_SPD, S_STEP = 5, 6, 7, 8, 9
N_M, S_M = 10, 11  # moving seconds: count, sum speed
N_T, S_T = 12, 13  # seconds with temperature
N_FIELDS = 14
#: Below this many steps/min nobody is running: such cadence seconds are not used for gait.
MIN_STEP_RATE = 30.0


class BinStore:
    """Growable ``(n_bins, N_FIELDS)`` array; bin ``k`` covers elapsed seconds ``[k·bin_s, (k+1)·bin_s)``."""

    def __init__(self, bin_s: int) -> None:
        self.bin_s = bin_s
        self._rows = np.zeros((0, N_FIELDS))
        self.n = 0

    def ensure(self, n_bins: int) -> None:
        if n_bins > self._rows.shape[0]:
            cap = max(n_bins, 2 * self._rows.shape[0], 64)
            grown = np.zeros((cap, N_FIELDS))
            grown[: self.n] = self._rows[: self.n]
            self._rows = grown
        self.n = max(self.n, n_bins)

    @property
    def rows(self) -> FloatArray:
        return self._rows[: self.n]

    def between(self, e0: float, e1: float) -> FloatArray:
        """Rows of the bins whose start lies in elapsed ``[e0, e1)`` (seconds since session start)."""
        k0 = max(0, math.ceil(e0 / self.bin_s))
        k1 = self.n if e1 == math.inf else min(self.n, max(0, math.ceil(e1 / self.bin_s)))
        return self._rows[k0:k1] if k1 > k0 else self._rows[0:0]

    def last(self, span_s: float, elapsed: float) -> FloatArray:
        """Rows of the bins that start within the last ``span_s`` seconds up to ``elapsed`` (the newest bin,
        possibly still filling, included)."""
        return self.between(elapsed - span_s, math.inf)

    def n_complete(self, elapsed: float) -> int:
        """How many bins are complete once grid second ``elapsed`` is in (bin k ends at (k+1)·bin_s − 1)."""
        return max(0, min(self.n, math.floor((elapsed + 1.0) / self.bin_s)))

    def last_complete(self, span_s: float, elapsed: float) -> FloatArray:
        """The complete bins of the last ``span_s`` seconds (the bin still filling is left out, so the result
        changes only every ``bin_s`` seconds and can be cached on :meth:`n_complete`)."""
        k1 = self.n_complete(elapsed)
        k0 = max(0, k1 - math.ceil(span_s / self.bin_s))
        return self._rows[k0:k1]

    def to_lists(self) -> list[list[float]]:
        return [[float(v) for v in row] for row in self.rows.tolist()]

    @classmethod
    def from_lists(cls, bin_s: int, rows: list[list[float]]) -> BinStore:
        store = cls(bin_s)
        if rows:
            arr = np.asarray(rows, dtype=np.float64).reshape(-1, N_FIELDS)
            store.ensure(arr.shape[0])
            store._rows[: arr.shape[0]] = arr
        return store


@register
class Bins(Processor):
    """Integrates each new grid second (cleaned values) into 10-s bins indexed from the session start.

    Only seconds newer than the last tick are added, so overlapping windows never count a second twice. The
    bins are the engine's long memory: drift, decoupling, gait baselines and monotony read them.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> w = Window.from_arrays(t=np.arange(30.0), speed=np.full(30, 3.0), cadence=np.full(30, 180.0))
    >>> store = compute("bins", w)
    >>> store.n, store.rows[:, N_M].tolist(), float(store.rows[0, S_C] / store.rows[0, N_C])
    (3, [10.0, 10.0, 10.0], 180.0)
    """

    symbol = "bins"
    name = "10-second history bins"
    units = "sums and counts"
    source = "crampwatch (aggregation only)"
    depends = ("clean", "hr_unreliable")

    def __init__(self, bin_s: int = 10) -> None:
        if not 1 <= bin_s <= 60:
            raise ValueError("bin_s must be within 1..60 s")
        self.bin_s = bin_s
        self._store = BinStore(bin_s)

    def update(self, ctx: Context) -> None:
        tail: CleanTail = ctx["clean"]
        sl = tail.new
        t = tail.t[sl]
        if t.size == 0:
            return
        e = np.maximum(t - ctx.window.session_start, 0.0)
        k = (e // self.bin_s).astype(np.int64)
        k0 = int(k[0])
        kk = k - k0
        size = int(kk[-1]) + 1
        self._store.ensure(k0 + size)

        hr = tail.hr[sl]
        if ctx["hr_unreliable"]:
            hr = np.full_like(hr, np.nan)
        spd = tail.speed[sl]
        cad = tail.cadence_rough[sl]
        tmp = tail.temp[sl]
        with np.errstate(all="ignore"):
            f_hr = hr == hr  # NaN compares False
            moving = spd >= MOVING_MIN_SPEED
            f_p = moving & f_hr
            f_c = moving & (cad >= MIN_STEP_RATE)
            f_t = tmp == tmp
            step = 60.0 * spd / cad
        one = np.ones_like(spd)
        # columns in the order N_HR, S_HR, N_P, S_P_SPD, S_P_HR, N_C, S_C, SS_C, S_C_SPD, S_STEP, N_M, S_M, N_T, S_T
        v = np.stack((one, hr, one, spd, hr, one, cad, cad * cad, spd, step, one, spd, one, tmp), axis=1)
        mask = np.stack((f_hr, f_hr, f_p, f_p, f_p, f_c, f_c, f_c, f_c, f_c, moving, moving, f_t, f_t), axis=1)
        vals = np.where(mask, v, 0.0)
        if k0 == int(k[-1]):  # the usual case: all new seconds fall into one bin
            self._store._rows[k0] += vals.sum(axis=0)
        else:
            starts = np.flatnonzero(np.diff(kk)) + 1
            firsts = np.concatenate(([0], starts))
            self._store._rows[k0 + kk[firsts]] += np.add.reduceat(vals, firsts, axis=0)

    def get(self) -> BinStore:
        return self._store

    def state_dict(self) -> dict[str, Any]:
        return {"bin_s": self.bin_s, "rows": self._store.to_lists()}

    def load_state(self, state: dict[str, Any]) -> None:
        self._store = BinStore.from_lists(int(state.get("bin_s", self.bin_s)), list(state.get("rows", [])))
        self.bin_s = self._store.bin_s

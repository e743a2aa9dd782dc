"""Cardiac drift: the rise of heart rate at a steady pace."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from processors._drift_groups import DriftGroups, extend_blocks, pairs
from processors._util import FloatArray, fround, median
from processors.bins import N_P, S_P_HR, S_P_SPD, BinStore
from processors.registry import Context, Processor, register


def theil_sen(x: FloatArray, y: FloatArray) -> float:
    """Theil–Sen estimator (Sen 1968): the median of the slopes of all pairs of points with distinct x. Same
    point estimate as ``scipy.stats.theilslopes`` without its confidence interval, which is ~10x slower here.

    >>> theil_sen(np.array([0.0, 1, 2, 3, 4]), np.array([1.0, 3, 5, 7, 100]))
    2.0
    """
    i, j = pairs(x.shape[0])
    dx = x[j] - x[i]
    keep = dx != 0
    if not keep.any():
        return math.nan
    slopes = (y[j] - y[i])[keep] / dx[keep]
    k = slopes.shape[0] // 2
    if slopes.shape[0] % 2:
        return float(np.partition(slopes, k)[k])
    part = np.partition(slopes, (k - 1, k))
    return float(0.5 * (part[k - 1] + part[k]))


def drift_slope(t_s: FloatArray, hr: FloatArray) -> float:
    """Theil–Sen slope of HR over time, in bpm per hour (robust to a minority of outliers).

    A known line of 12 bpm/h with three wild points still gives 12:

    >>> t = np.arange(0.0, 1800.0, 30.0); hr = 150 + 12 * t / 3600
    >>> hr[[5, 20, 40]] = [190.0, 100.0, 185.0]
    >>> round(drift_slope(t, hr), 6)
    12.0
    """
    return theil_sen(t_s, hr) * 3600.0


def steady_blocks(spd: FloatArray, ok: NDArray[np.bool_], tol: float) -> NDArray[np.intp]:
    """Block id of each group (−1: not in a block). A block is a run of consecutive groups with data whose mean
    speeds all lie within ``tol`` of the block's running median; a group outside that band, or without data,
    ends the block (an outside group starts the next one: it may be the new pace).

    >>> spd = np.array([3.0, 3.05, 2.98, 3.4, 3.42, 0.0, 3.41])
    >>> steady_blocks(spd, np.array([1, 1, 1, 1, 1, 0, 1], bool), 0.05).tolist()
    [0, 0, 0, 1, 1, -1, 2]
    """
    out: list[int] = []
    extend_blocks(out, [], -1, spd.tolist(), ok.tolist(), tol)
    return np.array(out, dtype=np.intp)


def blocked_theil_sen(x: FloatArray, y: FloatArray, block: NDArray[np.intp]) -> float:
    """Theil–Sen slope from pairs of points within the same block only (the blocked, "seasonal" Kendall slope
    of Hirsch, Slack & Smith 1982): each block may sit at its own level, only the common slope is estimated.

    Two blocks at different levels, each rising 2 per unit of x:

    >>> x = np.arange(8.0); y = 2 * x + np.array([0, 0, 0, 0, 50, 50, 50, 50.0])
    >>> blocked_theil_sen(x, y, np.array([0, 0, 0, 0, 1, 1, 1, 1]))
    2.0
    """
    slopes = []
    for b in np.unique(block):
        sel = block == b
        if sel.sum() < 2:
            continue
        i, j = pairs(int(sel.sum()))
        xb, yb = x[sel], y[sel]
        dx = xb[j] - xb[i]
        keep = dx != 0
        slopes.append((yb[j] - yb[i])[keep] / dx[keep])
    if not slopes:
        return math.nan
    return median(np.concatenate(slopes))


class CardiacDrift(Processor):
    """HR slope (bpm/h) at steady pace after the warm-up, from 60-s means of the 10-s bins, within steady-pace
    blocks once the HR has settled.

    After about 10 min at a steady effort heart rate rises while stroke volume falls (Coyle & González-Alonso,
    Exerc Sport Sci Rev 2001); heat and dehydration add about 3 bpm per 1 % of body mass lost (Adams et al.
    2014). That is a rise of HR *at a constant effort*: HR still catching up with a faster pace, or recovering
    after a walk break, is not drift. Method: over the last ``span_s`` seconds, take the 60-s means of moving
    seconds with HR and split them into steady-pace blocks (:func:`steady_blocks`: each minute within
    ``steady_tol`` of its block's median speed; a pace change, a walk, a stop or a gap ends a block). Drop the
    first ``settle_s`` of every block (HR settling at the new pace), the warm-up (``warmup_s``) and blocks with
    less than ``min_block_s`` left; with at least ``min_steady_s`` of such data, fit the Theil–Sen slope from
    pairs within the same block (:func:`blocked_theil_sen`). Recomputed every ``every_s`` seconds of event time
    (cached in between). None while HR is unreliable.
    """

    symbol = "cardiac_drift_bpm_h"
    name = "Cardiac drift"
    units = "bpm/h"
    source = "Coyle & González-Alonso 2001; Adams et al. 2014; Theil–Sen (Sen 1968; blocked: Hirsch et al. 1982)"
    depends = ("bins", "hr_unreliable")

    def __init__(
        self,
        warmup_s: float = 600.0,
        span_s: float = 3600.0,
        group_s: int = 60,
        steady_tol: float = 0.05,
        settle_s: float = 180.0,
        min_block_s: float = 300.0,
        min_steady_s: float = 600.0,
        every_s: float = 30.0,
    ) -> None:
        if warmup_s < 0 or span_s < min_steady_s or min_steady_s < 120:
            raise ValueError("need warmup_s >= 0, min_steady_s >= 120 and span_s >= min_steady_s")
        if group_s < 10 or group_s % 10 or not 0 < steady_tol < 0.5 or every_s < 0:
            raise ValueError("group_s must be a multiple of 10 s; 0 < steady_tol < 0.5; every_s >= 0")
        if settle_s < 0 or not 2 * group_s <= min_block_s <= min_steady_s:
            raise ValueError("need settle_s >= 0 and 2 * group_s <= min_block_s <= min_steady_s")
        self.warmup_s = warmup_s
        self.span_s = span_s
        self.group_s = group_s
        self.steady_tol = steady_tol
        self.settle_s = settle_s
        self.min_block_s = min_block_s
        self.min_steady_s = min_steady_s
        self.every_s = every_s
        self._value: float | None = None
        self._computed_at: float | None = None
        self._groups = DriftGroups()

    def _compute(self, store: BinStore, elapsed: float) -> float | None:
        """:meth:`_compute_full`, from what is kept of the complete groups since the last recompute."""
        return self._groups.compute(self, store, elapsed, lambda: self._compute_full(store, elapsed))

    def _compute_full(self, store: BinStore, elapsed: float) -> float | None:
        """The drift of the span ending at ``elapsed`` (bpm/h; None without enough steady data), from scratch."""
        start = max(0.0, elapsed - self.span_s)
        rows = store.between(start, elapsed + 1.0)
        g = self.group_s // store.bin_s
        k0 = int(np.ceil(start / store.bin_s))
        if rows.shape[0] < g:
            return None
        # align groups on multiples of group_s from the session start
        skip = (-k0) % g
        rows = rows[skip:]
        m = (rows.shape[0] // g) * g
        if m == 0:
            return None
        grouped = rows[:m].reshape(-1, g, rows.shape[1]).sum(axis=1)
        n = grouped[:, N_P]
        ok = n >= 0.5 * self.group_s
        if np.add.reduce(ok) * self.group_s < self.min_steady_s:  # ok.sum(): no Python wrapper
            return None
        t0 = (k0 + skip) * store.bin_s + self.group_s * np.arange(grouped.shape[0])  # group starts
        with np.errstate(all="ignore"):
            spd = np.where(ok, grouped[:, S_P_SPD] / np.maximum(n, 1.0), 0.0)
            hr = np.where(ok, grouped[:, S_P_HR] / np.maximum(n, 1.0), np.nan)
        block = steady_blocks(spd, ok, self.steady_tol)
        keep = block >= 0
        if not np.logical_or.reduce(keep):
            return None
        # the start of each group's block; the first block of the span keeps its settle too (conservative)
        first = np.zeros(grouped.shape[0])
        for b in np.unique(block[keep]):
            sel = block == b
            first[sel] = t0[sel][0]
        keep &= (t0 >= first + self.settle_s) & (t0 >= self.warmup_s)
        counts = np.bincount(block[keep], minlength=int(block.max()) + 1)
        keep &= counts[np.maximum(block, 0)] * self.group_s >= self.min_block_s
        if np.add.reduce(keep) * self.group_s < self.min_steady_s:
            return None
        tmid = t0 + 0.5 * self.group_s
        return blocked_theil_sen(tmid[keep], hr[keep], block[keep]) * 3600.0

    def update(self, ctx: Context) -> None:
        if ctx.results["hr_unreliable"]:
            self._value = None
            return
        elapsed = ctx.window.elapsed
        if self._computed_at is not None and 0 <= elapsed - self._computed_at < self.every_s:
            return
        self._computed_at = elapsed
        v = self._compute(ctx.results["bins"], elapsed)
        self._value = None if v is None or not np.isfinite(v) else fround(v, 4)

    def get(self) -> float | None:
        return self._value

    def state_dict(self) -> dict[str, Any]:
        return {"value": self._value, "computed_at": self._computed_at}

    def load_state(self, state: dict[str, Any]) -> None:
        v = state.get("value")
        c = state.get("computed_at")
        self._value = None if v is None else float(v)
        self._computed_at = None if c is None else float(c)


register(CardiacDrift)

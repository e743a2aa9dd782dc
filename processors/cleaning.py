"""Stream cleaning building blocks (pure functions on 1 Hz arrays; NaN = gap).

The order used by :class:`processors.clean.Clean` for heart rate (science.md, "HR stream cleaning"):

1. :func:`in_range` — drop zeros and physiologically impossible values;
2. :func:`hampel` — replace isolated spikes by the local median (Hampel identifier, a robust 3-sigma rule on a
   sliding median and MAD; Pearson 2002, "Outliers in process modeling and identification");
3. :func:`rate_limit` — drop what still changes faster than the body can (HR: 5 bpm per second);
4. :func:`fill_short_gaps` — bridge gaps of at most a few seconds linearly; longer gaps stay gaps;
5. :func:`savgol_runs` — Savitzky–Golay smoothing (Savitzky & Golay 1964) on each gap-free run.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import savgol_coeffs

from processors._util import FloatArray, nanmedian_rows


def in_range(x: FloatArray, lo: float, hi: float) -> FloatArray:
    """A copy of ``x`` with values outside ``[lo, hi]`` (and non-finite ones) set to NaN.

    >>> in_range(np.array([0.0, 150.0, 400.0, np.inf]), 30.0, 230.0).tolist()
    [nan, 150.0, nan, nan]
    """
    out = np.array(x, dtype=np.float64, copy=True)
    with np.errstate(invalid="ignore"):
        bad = ~((out >= lo) & (out <= hi))
    out[bad] = np.nan
    return out


def hampel(x: FloatArray, half_width: int = 5, n_sigmas: float = 3.0, min_scale: float = 0.0) -> FloatArray:
    """Hampel identifier: a value farther than ``n_sigmas`` robust standard deviations (1.4826·MAD, at least
    ``min_scale``) from the median of its ``2·half_width + 1`` neighbourhood is replaced by that median.
    NaN stays NaN (gaps are not filled here).

    >>> x = np.array([150.0, 151, 150, 152, 210, 151, 150, 151, 152])
    >>> hampel(x, half_width=3, min_scale=1.0).tolist()
    [150.0, 151.0, 150.0, 152.0, 151.0, 151.0, 150.0, 151.0, 152.0]
    """
    n = x.shape[0]
    if n == 0:
        return x.copy()
    pad = np.concatenate((np.full(half_width, np.nan), x, np.full(half_width, np.nan)))
    win = sliding_window_view(pad, 2 * half_width + 1)
    med = nanmedian_rows(win)
    mad = nanmedian_rows(np.abs(win - med[:, None]))
    scale = np.maximum(1.4826 * mad, min_scale)
    with np.errstate(invalid="ignore"):
        bad = np.abs(x - med) > n_sigmas * scale
    out = x.copy()
    out[bad] = med[bad]
    return out


def rate_limit(x: FloatArray, max_rate: float) -> FloatArray:
    """Drop (NaN) a value that differs from the last accepted one by more than ``max_rate`` per second of
    separation. The allowance grows with the distance to the last accepted value, so after a genuine change
    the stream is accepted again.

    >>> rate_limit(np.array([150.0, 151.0, 190.0, 152.0, np.nan, 160.0]), 5.0).tolist()
    [150.0, 151.0, nan, 152.0, nan, 160.0]
    """
    out = x.copy()
    vals = x.tolist()
    last_i = -1
    last_v = 0.0
    for i, v in enumerate(vals):
        if v != v:
            continue
        if last_i >= 0 and abs(v - last_v) > max_rate * (i - last_i):
            out[i] = np.nan
            continue
        last_i, last_v = i, v
    return out


def fill_short_gaps(x: FloatArray, max_gap: int = 5) -> FloatArray:
    """Linear interpolation across NaN runs of at most ``max_gap`` seconds that have finite values on both
    sides; longer gaps and leading/trailing gaps stay NaN.

    >>> fill_short_gaps(np.array([1.0, np.nan, 3.0, np.nan, np.nan, np.nan, 7.0]), max_gap=2).tolist()
    [1.0, 2.0, 3.0, nan, nan, nan, 7.0]
    """
    isn = np.isnan(x)
    if not isn.any():
        return x.copy()
    n = x.shape[0]
    idx = np.arange(n)
    good = ~isn
    if good.sum() < 2:
        return x.copy()
    prev = np.maximum.accumulate(np.where(good, idx, -1))
    nxt = np.minimum.accumulate(np.where(good, idx, n)[::-1])[::-1]
    fill = isn & (prev >= 0) & (nxt < n) & (nxt - prev - 1 <= max_gap)
    out = x.copy()
    if fill.any():
        out[fill] = np.interp(idx[fill], idx[good], x[good])
    return out


@lru_cache(maxsize=16)
def _coeffs(window: int, order: int) -> tuple[FloatArray, FloatArray]:
    """Centre coefficients (for ``np.convolve``) and the edge matrix (rows: evaluate the edge fit at pos)."""
    centre = np.asarray(savgol_coeffs(window, order), dtype=np.float64)
    edge = np.stack([np.asarray(savgol_coeffs(window, order, pos=p, use="dot")) for p in range(window)])
    return centre, edge


def _savgol(x: FloatArray, window: int, order: int) -> FloatArray:
    """Savitzky–Golay on a gap-free array, edges fitted like ``scipy.signal.savgol_filter(mode="interp")``."""
    n = x.shape[0]
    centre, edge = _coeffs(window, order)
    h = window // 2
    out = np.empty(n)
    out[h : n - h] = np.convolve(x, centre, mode="valid")
    out[:h] = edge[:h] @ x[:window]
    out[n - h :] = edge[window - h :] @ x[n - window :]
    return out


def savgol_runs(x: FloatArray, window: int = 7, order: int = 2) -> FloatArray:
    """Savitzky–Golay smoothing applied separately to each NaN-free run at least ``window`` long (shorter runs
    are kept as they are). Same result as ``scipy.signal.savgol_filter`` on each run.

    >>> y = savgol_runs(np.array([1.0, 2, 3, 4, 5, 6, 7, np.nan, 9]), window=5, order=2)
    >>> [round(v, 6) for v in y.tolist()]
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, nan, 9.0]
    """
    if window % 2 == 0 or window <= order:
        raise ValueError("savgol window must be odd and larger than the polynomial order")
    n = x.shape[0]
    out = x.copy()
    good = np.isfinite(x)
    if n == 0 or not good.any():
        return out
    edges = np.flatnonzero(np.diff(np.concatenate(([0], good.view(np.int8), [0]))))
    for a, b in zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True):
        if b - a >= window:
            out[a:b] = _savgol(x[a:b], window, order)
    return out


def hold_forward(x: FloatArray, max_hold: float = math.inf, initial: float = math.nan) -> FloatArray:
    """Carry the last finite value forward across NaN for at most ``max_hold`` seconds (``initial`` before the
    first finite value).

    >>> hold_forward(np.array([np.nan, 2.0, np.nan, np.nan, 5.0]), max_hold=1, initial=1.0).tolist()
    [1.0, 2.0, 2.0, nan, 5.0]
    """
    n = x.shape[0]
    if n == 0:
        return x.copy()
    good = np.isfinite(x)
    idx = np.arange(n)
    last = np.maximum.accumulate(np.where(good, idx, -1))
    ext = np.concatenate(([initial], x))
    out: FloatArray = ext[last + 1]
    age = idx - last
    too_old = (last >= 0) & (age > max_hold)
    out[too_old] = np.nan
    return out

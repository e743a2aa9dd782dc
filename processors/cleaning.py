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
from numpy.typing import NDArray

from processors._savgol import SAVGOL_TABLE
from processors._util import FloatArray, nanmedian_rows


def in_range(x: FloatArray, lo: float, hi: float) -> FloatArray:
    """A copy of ``x`` with values outside ``[lo, hi]`` (and non-finite ones) set to NaN.

    >>> in_range(np.array([0.0, 150.0, 400.0, np.inf]), 30.0, 230.0).tolist()
    [nan, 150.0, nan, nan]
    """
    out = np.array(x, dtype=np.float64, copy=True)
    bad = ~((out >= lo) & (out <= hi))  # comparisons with NaN give False without a warning
    out[bad] = np.nan
    return out


@lru_cache(maxsize=64)
def _window_index(n: int, window: int) -> NDArray[np.intp]:
    """``(n − window + 1, window)`` indices of the complete windows of an array of length ``n``."""
    out: NDArray[np.intp] = np.arange(n - window + 1)[:, None] + np.arange(window)[None, :]
    return out


@lru_cache(maxsize=64)
def _reflect_index(n: int, half_width: int) -> NDArray[np.intp]:
    """``(n, 2·half_width + 1)`` indices of each sample's neighbourhood, reflected at both ends."""
    j = np.arange(n)[:, None] + np.arange(-half_width, half_width + 1)[None, :]
    j = np.abs(j)
    j = np.where(j > n - 1, 2 * (n - 1) - j, j)
    out: NDArray[np.intp] = np.clip(j, 0, n - 1)
    return out


def hampel_rows(
    x: FloatArray, half_width: int = 5, n_sigmas: float = 3.0, min_scale: FloatArray | float = 0.0
) -> FloatArray:
    """:func:`hampel` applied to each row of a 2-D array at once (``min_scale`` per row or shared). The
    neighbourhood is reflected at the edges (the newest sample is judged against its older neighbours)."""
    k, n = x.shape
    if n == 0:
        return x.copy()
    w = 2 * half_width + 1
    win = x[:, _reflect_index(n, half_width)]  # (k, n, w)
    if not np.isnan(x).any():  # fast path: no gaps
        s = np.sort(win, axis=2)
        med2 = s[:, :, half_width]
        mad2 = np.sort(np.abs(win - med2[:, :, None]), axis=2)[:, :, half_width]
    else:
        flat = win.reshape(k * n, w)
        med = nanmedian_rows(flat)
        med2 = med.reshape(k, n)
        mad2 = nanmedian_rows(np.abs(flat - med[:, None])).reshape(k, n)
    scale = np.maximum(1.4826 * mad2, np.reshape(min_scale, (-1, 1)))
    with np.errstate(invalid="ignore"):
        bad = np.abs(x - med2) > n_sigmas * scale
    out = x.copy()
    out[bad] = med2[bad]
    return out


def hampel(x: FloatArray, half_width: int = 5, n_sigmas: float = 3.0, min_scale: float = 0.0) -> FloatArray:
    """Hampel identifier: a value farther than ``n_sigmas`` robust standard deviations (1.4826·MAD, at least
    ``min_scale``) from the median of its ``2·half_width + 1`` neighbourhood is replaced by that median.
    NaN stays NaN (gaps are not filled here).

    >>> x = np.array([150.0, 151, 150, 152, 210, 151, 150, 151, 152])
    >>> hampel(x, half_width=3, min_scale=1.0).tolist()
    [150.0, 151.0, 150.0, 152.0, 151.0, 151.0, 150.0, 151.0, 152.0]
    """
    out: FloatArray = hampel_rows(x[None, :], half_width, n_sigmas, min_scale)[0]
    return out


def rate_limit(x: FloatArray, max_rate: float, last_value: float | None = None, last_age: float = 1.0) -> FloatArray:
    """Drop (NaN) a value that differs from the last accepted one by more than ``max_rate`` per second of
    separation. The allowance grows with the distance to the last accepted value, so after a genuine change
    the stream is accepted again. ``last_value`` was accepted ``last_age`` seconds before ``x[0]`` (state carried
    over from the previous call).

    >>> rate_limit(np.array([150.0, 151.0, 190.0, 152.0, np.nan, 160.0]), 5.0).tolist()
    [150.0, 151.0, nan, 152.0, nan, 160.0]
    """
    return np.array(rate_limit_list(x.tolist(), max_rate, last_value, last_age), dtype=np.float64)


def rate_limit_list(
    x: list[float], max_rate: float, last_value: float | None = None, last_age: float = 1.0
) -> list[float]:
    """:func:`rate_limit` on a list of floats."""
    out = list(x)
    last_i = -1.0 if last_value is None else -float(last_age)
    last_v = 0.0 if last_value is None else float(last_value)
    known = last_value is not None
    for i, v in enumerate(x):
        if v != v:
            continue
        if known and abs(v - last_v) > max_rate * (i - last_i):
            out[i] = math.nan
            continue
        last_i, last_v, known = float(i), v, True
    return out


def _flatten_rows(x: FloatArray, sep: int) -> FloatArray:
    """Rows laid end to end with ``sep`` NaN between them (so no gap bridging or smoothing crosses rows)."""
    k, n = x.shape
    flat = np.full((k, n + sep), np.nan)
    flat[:, :n] = x
    return flat.reshape(-1)


def _unflatten_rows(flat: FloatArray, k: int, n: int, sep: int) -> FloatArray:
    return flat.reshape(k, n + sep)[:, :n].copy()


def fill_short_gaps_rows(x: FloatArray, max_gap: int = 5) -> FloatArray:
    """:func:`fill_short_gaps` on each row of a 2-D array."""
    if not np.isnan(x).any():
        return x.copy()
    k, n = x.shape
    sep = max_gap + 1
    return _unflatten_rows(fill_short_gaps(_flatten_rows(x, sep), max_gap), k, n, sep)


def savgol_rows(x: FloatArray, window: int = 7, order: int = 2) -> FloatArray:
    """:func:`savgol_runs` on each row of a 2-D array."""
    k, n = x.shape
    if n >= window and not np.isnan(x).any():  # fast path: every row is one gap-free run
        centre, edge = _coeffs(window, order)
        h = window // 2
        out = np.empty_like(x)
        out[:, h : n - h] = x[:, _window_index(n, window)] @ centre[::-1]
        out[:, :h] = x[:, :window] @ edge[:h].T
        out[:, n - h :] = x[:, n - window :] @ edge[window - h :].T
        return out
    return _unflatten_rows(savgol_runs(_flatten_rows(x, 1), window, order), k, n, 1)


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


def savgol_coeffs(window: int, order: int, pos: float | None = None, use: str = "conv") -> FloatArray:
    """``scipy.signal.savgol_coeffs`` (deriv 0) as SciPy computes it, the same least-squares solve of the same
    design matrix (bit for bit), without importing ``scipy.signal`` (~0.7 s of CPU in every process started).

    >>> bool(np.allclose(savgol_coeffs(5, 2, pos=3), [0.25714286, 0.37142857, 0.34285714, 0.17142857, -0.14285714]))
    True
    """
    from scipy.linalg import lstsq

    at = (window - 1) / 2 if pos is None else pos  # SciPy's default: the centre (between two for an even window)
    x = np.arange(-at, window - at, dtype=np.float64)
    if use == "conv":
        x = x[::-1]
    a = x ** np.arange(order + 1, dtype=np.float64).reshape(-1, 1)
    y = np.zeros(order + 1, dtype=np.float64)
    y[0] = 1.0
    coeffs: FloatArray = lstsq(a, y, cond=np.finfo(np.float64).eps * max(a.shape))[0]
    return coeffs


@lru_cache(maxsize=16)
def _coeffs(window: int, order: int) -> tuple[FloatArray, FloatArray]:
    """Centre coefficients (for ``np.convolve``) and the edge matrix (rows: evaluate the edge fit at pos); the
    default window's from :data:`~processors._savgol.SAVGOL_TABLE` (no ``scipy.linalg`` import)."""
    known = SAVGOL_TABLE.get((window, order))
    if known is not None:
        return np.array(known[0], dtype=np.float64), np.array(known[1], dtype=np.float64)
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


# Plain-float versions for the few seconds a live tick cleans: NumPy's per-call overhead dominates arrays this
# short. Each gives the same bits as its NumPy counterpart (tests/processors/test_cleaning_fast.py asserts it).

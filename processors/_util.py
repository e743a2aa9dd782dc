"""Small NaN-safe helpers shared by the processors (no warnings on empty or all-NaN input)."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
# module-level aliases marked Final: compiled (mypyc), a call reads a C static instead of looking the name up
_sum: Final = sum

#: Up to this many new seconds per tick, cumulative processors loop in plain Python (cheaper than NumPy's
#: per-call overhead on a handful of values); larger chunks (a first tick, a restart) use NumPy. Both paths are
#: tested to agree.
SMALL: Final = 64

#: Slower than 20 min/km (1200 s/km) counts as "not running" (the contract's stop threshold), in m/s.
MOVING_MIN_SPEED: Final = 1000.0 / 1200.0


def clip(x: float, lo: float, hi: float) -> float:
    """``x`` limited to ``[lo, hi]``; NaN becomes ``lo``.

    >>> clip(1.5, 0.0, 1.0), clip(float("nan"), 0.0, 1.0)
    (1.0, 0.0)
    """
    if x != x:
        return lo
    return lo if x < lo else hi if x > hi else x


#: 1.5 * 2**52: (y + ROUND_MAGIC) - ROUND_MAGIC rounds y to an integer (|y| < 2**51)
ROUND_MAGIC: Final = 6755399441055744.0
#: of variable length for mypy: compiled, one tuple object (a fixed-length Final tuple is re-boxed at each read)
_POW10: Final[tuple[float, ...]] = (1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0, 1000000.0)


def fround(x: float, ndigits: int) -> float:
    """``round(x, ndigits)`` bit for bit, ~5x faster on a plain float and 0 <= ndigits <= 6: Python's ``round``
    formats and parses a decimal string (dtoa, snprintf, strtod, ~3 k instructions); away from a decimal tie,
    ``x · 10ⁿ`` rounded in binary and divided back is the same correctly rounded double (both steps exact or
    correctly rounded), the sign of zero kept. Near a tie, for large or non-finite values and for anything but a
    plain float (a NumPy scalar stays a NumPy scalar), ``round`` itself decides (tests/processors/test_fround.py).

    >>> fround(1.23456, 4), fround(-0.00001, 4), fround(2.5, 0), fround(0.15, 1) == round(0.15, 1)
    (1.2346, -0.0, 2.0, True)
    """
    if type(x) is float and 0 <= ndigits <= 6:
        p = _POW10[ndigits]
        y = x * p
        if -2e9 < y < 2e9:  # the product's rounding error is < 2.5e-7 here, far inside the margin below
            r = (y + ROUND_MAGIC) - ROUND_MAGIC
            d = y - r
            if -0.499999 < d < 0.499999:  # not within ~1e-6 of a tie: the exact x · 10ⁿ rounds to r as well
                return r / p if r else 0.0 * x  # 0.0 * x: ±0 like round
    return round(x, ndigits)


def finite_or_none(x: float | None) -> float | None:
    """``x`` as a Python float, or None if it is None/NaN/infinite."""
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def median(x: FloatArray) -> float:
    """``float(np.median(x))`` of a 1-D float array, bit for bit, in one NumPy call: the same partition, and the
    mean of the middle one or two values as ``np.mean`` adds them (from 0.0, then divided by the count); NaN if
    any value is NaN or the array is empty (NumPy warns there). np.median costs ~10 µs more, and its first call
    in a process imports ``numpy.ma`` (~1 M instructions). tests/processors/test_drift_groups.py.

    >>> median(np.array([3.0, 1.0, 2.0, 10.0])), median(np.array([-0.0])), median(np.array([1.0, np.nan]))
    (2.5, 0.0, nan)
    """
    n = x.shape[0]
    if n == 0:
        return math.nan
    k = n // 2
    if n % 2:
        part = np.partition(x, (k, n - 1))
        mid = (0.0 + float(part[k])) / 1.0
    else:
        part = np.partition(x, (k - 1, k, n - 1))
        mid = (0.0 + float(part[k - 1]) + float(part[k])) / 2.0
    return math.nan if part[n - 1] != part[n - 1] else mid  # NaN sorts last


def mean_std(x: FloatArray) -> tuple[float, float]:
    """``(float(x.mean()), float(x.std()))`` of a non-empty 1-D float array, bit for bit, in four NumPy calls
    instead of ~15: the same pairwise sums (``np.add.reduce``), the mean divided by the count, the squared
    deviations from it summed and divided by the count, the square root (tests/processors/test_util_stats.py).

    >>> mean_std(np.array([1.0, 2.0, 3.0, 4.0]))
    (2.5, 1.118033988749895)
    """
    n = x.shape[0]
    mean = float(np.add.reduce(x)) / n
    d = x - mean
    return mean, math.sqrt(float(np.add.reduce(d * d)) / n)


def nanmedian(x: FloatArray, min_count: int = 1) -> float | None:
    """Median of the finite values, or None with fewer than ``min_count`` of them.

    >>> nanmedian(np.array([1.0, np.nan, 3.0, 2.0])), nanmedian(np.array([np.nan]))
    (2.0, None)
    """
    if x.shape[0] <= 64:  # pure Python is faster on short arrays
        return recent_median(x, x.shape[0], min_count)
    v = x[np.isfinite(x)]
    if v.size < max(min_count, 1):
        return None
    return median(v)


def nanmean(x: FloatArray, min_count: int = 1) -> float | None:
    """Mean of the finite values, or None with fewer than ``min_count`` of them."""
    v = x[np.isfinite(x)]
    if v.size < max(min_count, 1):
        return None
    return float(v.mean())


def nanmedian_rows(a: FloatArray) -> FloatArray:
    """Row-wise median ignoring NaN (NaN for an all-NaN row), without numpy's warnings.

    >>> nanmedian_rows(np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [4.0, 2.0, 9.0]])).tolist()
    [2.0, nan, 4.0]
    """
    if a.shape[0] == 0:
        return np.empty(0)
    s = np.sort(a, axis=1)  # NaN sorts last
    cnt = a.shape[1] - np.count_nonzero(np.isnan(a), axis=1)
    lo = np.maximum((cnt - 1) // 2, 0)
    hi = np.maximum(cnt // 2, 0)
    rows = np.arange(a.shape[0])
    out: FloatArray = 0.5 * (s[rows, lo] + s[rows, hi])
    out[cnt == 0] = np.nan
    return out


def logistic(z: float) -> float:
    """The logistic function, safe for large ``|z|``.

    >>> logistic(0.0), round(logistic(40.0), 6), round(logistic(-800.0), 6)
    (0.5, 1.0, 0.0)
    """
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


#: Current values shown in the status are medians of the last this-many cleaned seconds.
RECENT_S: Final = 12


def recent_median(x: FloatArray, seconds: int = RECENT_S, min_count: int = 3) -> float | None:
    """Median of the finite values among the last ``seconds`` samples (None with fewer than ``min_count``).

    Sorted as a list of Python floats up to 64 values (cheaper than NumPy's calls there): a stable sort, as
    NumPy's ``kind="stable"`` one for longer spans, so equal values such as ±0 keep their order either way. A NaN
    is filtered out only when the sum says there is one (a comprehension costs more than the sort of ~12 values).
    tests/processors/test_recent_median.py compares it with the former steps.

    >>> recent_median(np.array([1.0, 2.0, 3.0, np.nan, 9.0]), seconds=3, min_count=2)
    6.0
    """
    if seconds <= 64:
        v: list[float] = x[-seconds:].tolist()
        total: float = _sum(v)
        if total - total != 0.0:  # a NaN (or an infinity, or an overflow) among them: not math.isfinite(total)
            v = [a for a in v if a == a]  # a == a drops NaN
        v.sort()
        k = len(v)
    else:  # longer spans: sorted by NumPy (stable, like list.sort: equal values such as ±0 keep their order)
        s = x[-seconds:].copy()
        s.sort(kind="stable")
        v = s.tolist()
        k = len(v)
        while k and v[k - 1] != v[k - 1]:  # NaN sorts last
            k -= 1
    if k < min_count or not k:
        return None
    mid = k // 2
    return float(v[mid]) if k % 2 else 0.5 * (v[mid - 1] + v[mid])

"""The cleaning steps of :mod:`processors.cleaning` on plain float lists, for the few new seconds of a tick
(:meth:`processors.clean.Clean._clean_small`): the same results as the NumPy versions, bit for bit
(tests/processors/test_cleaning_fast.py), without NumPy's per-call overhead on a handful of values."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Final

import numpy as np

from processors._util import FloatArray
from processors.cleaning import _coeffs, _reflect_index

# module-level aliases marked Final: compiled (mypyc), a call reads a C static instead of looking the name up
_isfinite: Final = math.isfinite
_sum: Final = sum
_lmin: Final = min  # of a list
_lmax: Final = max  # of a list
_frombuffer: Final = np.frombuffer


@lru_cache(maxsize=256)
def _reflect_getters(n: int, half_width: int) -> tuple[Callable[[Sequence[float]], tuple[float, ...]], ...]:
    """Per sample, a getter of its reflected neighbourhood (the rows of :func:`_reflect_index`)."""
    return tuple(itemgetter(*row) for row in _reflect_index(n, half_width).tolist())


def in_range_list(x: list[float], lo: float, hi: float) -> list[float]:
    """:func:`in_range` on a list of floats (``x`` itself when every value is in range)."""
    if _isfinite(_sum(x)) and lo <= _lmin(x) and _lmax(x) <= hi:
        return x
    return [v if lo <= v <= hi else math.nan for v in x]


def hampel_list(x: list[float], start: int, half_width: int, n_sigmas: float, min_scale: float) -> list[float]:
    """``hampel_rows(np.array([x]), half_width, n_sigmas, min_scale)[0, start:]`` on a list of finite or NaN
    floats (a signed zero among zeros may end up elsewhere in the sort than NumPy puts it: the caller checks)."""
    sure = n_sigmas * min_scale  # |x − median| within this is never a spike (the scale is at least min_scale)
    n, h = len(x), half_width
    finite = _isfinite(_sum(x))
    if finite and _lmax(x) - _lmin(x) <= sure:  # every neighbourhood lies within x
        return x[start:]
    # reflected at the right end only: slices (the order within a neighbourhood is moot)
    getters = None if finite and start >= h else _reflect_getters(n, h)
    out: list[float] = []
    for i in range(start, n):
        v = x[i]
        if v != v:
            out.append(v)
            continue
        if getters is None:
            s = sorted(x[i - h : i + h + 1] if i + h < n else x[i - h :] + x[2 * n - 2 - i - h : n - 1])
        else:
            s = sorted([u for u in getters[i](x) if u == u])
        lo, hi = (len(s) - 1) // 2, len(s) // 2
        med = 0.5 * (s[lo] + s[hi])
        if -sure <= v - med <= sure:
            out.append(v)
            continue
        d = sorted([abs(u - med) for u in s])
        scale = max(1.4826 * (0.5 * (d[lo] + d[hi])), min_scale)
        out.append(med if abs(v - med) > n_sigmas * scale else v)
    return out


def fill_short_gaps_list(x: list[float], max_gap: int = 5) -> list[float]:
    """:func:`fill_short_gaps` on a list of floats."""
    out = list(x)
    prev = -1
    for i, v in enumerate(x):
        if v == v:
            if prev >= 0 and 1 < i - prev <= max_gap + 1:
                a = x[prev]
                slope = (v - a) / float(i - prev)
                for j in range(prev + 1, i):
                    out[j] = slope * float(j - prev) + a
            prev = i
    return out


def _dots(x: list[float], a: int, b: int, c: tuple[float, ...]) -> list[float]:
    """``x[i : i + len(c)] · c`` for i in ``[a, b)``, each summed left to right from 0.0 (as NumPy's unblocked
    matmul and its convolve do)."""
    if len(c) == 7:  # the default window, unrolled; a loop, not a comprehension (whose closure costs 8 cells)
        c0, c1, c2, c3, c4, c5, c6 = c
        dots: list[float] = []
        for i in range(a, b):
            dots.append(
                0.0
                + x[i] * c0
                + x[i + 1] * c1
                + x[i + 2] * c2
                + x[i + 3] * c3
                + x[i + 4] * c4
                + x[i + 5] * c5
                + x[i + 6] * c6
            )
        return dots
    out: list[float] = []
    for i in range(a, b):
        s = 0.0
        for u, w in zip(x[i : i + len(c)], c, strict=True):
            s += u * w
        out.append(s)
    return out


def savgol_rows_tail(
    rows: list[list[float]], keep: int, window: int = 7, order: int = 2, finite: bool | None = None
) -> list[list[float]]:
    """``savgol_rows(np.array(rows), window, order)[:, n - keep:]`` on lists of finite or NaN floats (rows of
    equal length n; ``finite``: whether no row has a NaN, if the caller knows). The edge fits still go through
    NumPy (BLAS sums them in its own order)."""
    n = len(rows[0])
    lo, h = n - keep, window // 2
    c, left_t, right_t = _tail_coeffs(window, order)
    if finite is None:
        finite = True
        for r in rows:
            if not _isfinite(_sum(r)):
                finite = False
                break
    if n < window or not finite:
        return [_savgol_runs_tail(r, lo, window, c, _coeffs(window, order)[1]) for r in rows]
    # loops, not comprehensions: those would close over the locals (a cell each), once a tick
    k = len(rows)
    flat: list[float] = []
    for r in rows:
        flat += r[n - window :]
    right: list[list[float]] = (floats_array(flat).reshape(k, window) @ right_t).tolist()
    a, b = (lo if lo > h else h) - h, n - 2 * h
    skip = lo - (n - h) if lo > n - h else 0
    out: list[list[float]] = []
    for i in range(k):
        out.append(_dots(rows[i], a, b, c) + right[i][skip:])
    if lo < h:
        heads = floats_array([v for r in rows for v in r[:window]]).reshape(k, window)
        left: list[list[float]] = (heads @ left_t).tolist()
        out = [left[i][lo:] + out[i] for i in range(k)]
    return out


@lru_cache(maxsize=64)
def _packer(n: int) -> Callable[..., bytes]:
    """``struct`` packer of ``n`` native doubles."""
    return struct.Struct(f"{n}d").pack


def floats_array(x: list[float]) -> FloatArray:
    """``np.array(x)`` for a list of floats, read-only: packed by ``struct`` (each double copied as is, NaN and
    signed zeros included) and read by ``np.frombuffer``, about half the cost of NumPy's per-element type and
    shape discovery for the few dozen values of a tick."""
    out: FloatArray = _frombuffer(_packer(len(x))(*x))  # float64, np.frombuffer's default dtype
    return out


@lru_cache(maxsize=16)
def _tail_coeffs(window: int, order: int) -> tuple[tuple[float, ...], FloatArray, FloatArray]:
    """The reversed centre coefficients and the transposed left and right edge matrices (as savgol_rows uses)."""
    (centre, edge), h = _coeffs(window, order), window // 2
    return tuple(centre[::-1].tolist()), edge[:h].T, edge[window - h :].T


def _savgol_runs_tail(x: list[float], lo: int, window: int, c: tuple[float, ...], edge: FloatArray) -> list[float]:
    """``savgol_runs(np.array(x), window)[lo:]`` on a list of floats (``c``: reversed centre coefficients)."""
    n, h = len(x), window // 2
    out = x[lo:]
    a = 0
    while a < n:
        if x[a] != x[a]:
            a += 1
            continue
        b = a + 1
        while b < n and x[b] == x[b]:
            b += 1
        if b - a >= window and b > lo:
            first = max(lo, a + h)
            if first < b - h:
                out[first - lo : b - h - lo] = _dots(x, first - h, b - window + 1, c)
            if lo < a + h:
                vals: list[float] = (edge[:h] @ np.array(x[a : a + window])).tolist()
                for i in range(max(lo, a), a + h):
                    out[i - lo] = vals[i - a]
            vals = (edge[window - h :] @ np.array(x[b - window : b])).tolist()
            for i in range(max(lo, b - h), b):
                out[i - lo] = vals[i - (b - h)]
        a = b
    return out

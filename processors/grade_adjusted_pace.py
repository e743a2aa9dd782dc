"""Grade-adjusted pace (post-run, from a recording's altitude): the flat pace that would cost the same energy.

Not a live indicator: the v1 contract's streams (hr, pace, cadence, temp) carry no altitude, so only
``analyze``/``report`` compute it, from the altitude a FIT/TCX/GPX file records beside the frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from processors._util import MOVING_MIN_SPEED, FloatArray, fround

#: Minetti et al. 2002 measured −45 … +45 % grades; the polynomial is not valid beyond, so grades are clipped.
MAX_GRADE = 0.45
#: Minetti et al. 2002, running: C(i) coefficients of i⁵ … i⁰ (J kg⁻¹ m⁻¹); C(0) = 3.6.
MINETTI_RUNNING = (155.4, -30.4, -43.3, 46.3, 19.5, 3.6)
#: Grade is the slope of altitude over this much distance (m), centred on each sample (local linear fit).
GRADE_WINDOW_M = 60.0
#: Samples in the running median that removes altitude spikes before the fit (odd).
SPIKE_MEDIAN = 7
#: Fewer samples than this, or a distance span under ``GRADE_WINDOW_M / 4``, in a window: grade unknown (flat).
MIN_FIT_SAMPLES = 3
#: Intervals longer than this (s) are pauses (as in the run summary) unless the caller says which are held.
HOLD_LIMIT_S = 10.0
#: Climb and descent count altitude changes of the smoothed profile beyond this hysteresis (m).
CLIMB_HYSTERESIS_M = 2.0
#: Less than this share of the moving time with a known grade: no grade-adjusted pace (too little altitude).
MIN_GRADED_SHARE = 0.5


def minetti_cost(grade: float) -> float:
    """Energy cost of running (J per kg per m) on ``grade`` (rise/run, −0.45 … +0.45), Minetti, Moia, Roi,
    Susta & Ferretti 2002, "Energy cost of walking and running at extreme uphill and downhill slopes", J Appl
    Physiol 93:1039–1046, eq. for running: C(i) = 155.4 i⁵ − 30.4 i⁴ − 43.3 i³ + 46.3 i² + 19.5 i + 3.6.

    Worked example: C(0) = 3.6; C(0.05) = 4.6852 (+30.1 %); C(−0.05) = 2.7459 (−23.7 %).

    >>> minetti_cost(0.0), round(minetti_cost(0.05), 4), round(minetti_cost(-0.05), 4)
    (3.6, 4.6852, 2.7459)
    """
    return float(np.polyval(MINETTI_RUNNING, grade))


def cost_ratio(grade: FloatArray) -> FloatArray:
    """C(i) / C(0) per grade (clipped to ±:data:`MAX_GRADE`); NaN grade (unknown) counts as flat (1.0)."""
    i = np.clip(np.nan_to_num(grade, nan=0.0), -MAX_GRADE, MAX_GRADE)
    out: FloatArray = np.asarray(np.polyval(MINETTI_RUNNING, i), dtype=np.float64) / MINETTI_RUNNING[-1]
    return out


@dataclass(frozen=True, slots=True)
class GradeAdjusted:
    """``gap_s_per_km``: moving time / flat-equivalent distance; ``moving_pace_s_per_km``: moving time / distance
    (the same seconds, so the two compare directly); ``climb_m`` / ``descent_m``: totals of the smoothed
    altitude profile; ``graded_share``: share of the moving time with a known grade."""

    gap_s_per_km: float | None
    moving_pace_s_per_km: float | None
    moving_s: float
    distance_m: float
    flat_equivalent_m: float
    climb_m: float
    descent_m: float
    graded_share: float


def _path(t: FloatArray, speed: FloatArray, distance: FloatArray | None) -> FloatArray:
    """Distance covered in each interval: the file's own counter where it rises, else speed × time."""
    dt = np.diff(t)
    by_speed = np.nan_to_num(speed[:-1], nan=0.0) * dt
    if distance is None:
        return np.maximum(by_speed, 0.0)
    dd = np.diff(distance)
    ok = np.isfinite(dd) & (dd >= 0)
    return np.where(ok, dd, np.maximum(by_speed, 0.0))


def _despike(alt: FloatArray) -> FloatArray:
    """Running median of :data:`SPIKE_MEDIAN` samples over the finite altitudes (edges padded with the end
    values), so a few-sample glitch (a barometer reset, a GPS jump) does not become a hill."""
    out = np.full(alt.shape[0], np.nan)
    ok = np.flatnonzero(np.isfinite(alt))
    if ok.size == 0:
        return out
    half = SPIKE_MEDIAN // 2
    padded = np.pad(alt[ok], half, mode="edge")
    out[ok] = np.median(sliding_window_view(padded, SPIKE_MEDIAN), axis=1)
    return out


def smoothed_profile(pos: FloatArray, alt: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(grade, smoothed altitude) at each sample: least-squares line of the de-spiked altitude against distance
    over the samples within ±``GRADE_WINDOW_M``/2 of it (a first-order Savitzky–Golay fit on the distance axis,
    so stopped seconds add no slope). NaN where the window has too few samples or too short a span.

    Worked example: altitude rising 5 m per 100 m → grade 0.05 everywhere, altitude unchanged.

    >>> pos = np.arange(0.0, 1000.0, 3.0)
    >>> g, a = smoothed_profile(pos, 0.05 * pos)
    >>> bool(np.allclose(g, 0.05)), bool(np.allclose(a, 0.05 * pos))
    (True, True)
    """
    a = _despike(alt)
    ok = np.isfinite(a) & np.isfinite(pos)
    x = np.where(ok, pos, 0.0)
    y = np.where(ok, a, 0.0)
    x0 = float(x[ok][0]) if bool(ok.any()) else 0.0
    x = np.where(ok, x - x0, 0.0)  # centred: smaller sums, less cancellation

    def csum(v: FloatArray) -> FloatArray:
        return np.concatenate(([0.0], np.cumsum(v)))

    n_c, x_c, y_c = csum(ok.astype(np.float64)), csum(x), csum(y)
    xx_c, xy_c = csum(x * x), csum(x * y)
    lo = np.searchsorted(pos, pos - GRADE_WINDOW_M / 2.0, side="left")
    hi = np.searchsorted(pos, pos + GRADE_WINDOW_M / 2.0, side="right")
    n = n_c[hi] - n_c[lo]
    sx, sy = x_c[hi] - x_c[lo], y_c[hi] - y_c[lo]
    sxx, sxy = xx_c[hi] - xx_c[lo], xy_c[hi] - xy_c[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        var = n * sxx - sx * sx
        slope = (n * sxy - sx * sy) / var
        mean_x, mean_y = sx / n, sy / n
    span = pos[np.maximum(hi - 1, lo)] - pos[lo]
    good = (n >= MIN_FIT_SAMPLES) & (span >= GRADE_WINDOW_M / 4.0) & (var > 0)
    grade = np.where(good, slope, np.nan)
    level = np.where(good, mean_y + slope * (pos - x0 - mean_x), np.nan)
    return grade, level


def climb_descent(level: FloatArray, hysteresis: float = CLIMB_HYSTERESIS_M) -> tuple[float, float]:
    """Total climb and descent (m) of an altitude profile: every new high while climbing (every new low while
    descending) counts; the direction turns only after a change of more than ``hysteresis`` from the last
    extreme, so the noise of a flat course adds nothing.

    >>> climb_descent(np.array([0.0, 1.0, 0.0, 5.0, 10.0, 9.5, 10.3, 4.0, 4.5]))
    (10.3, 6.3)
    """
    climb = descent = 0.0
    ref = math.nan
    going = 0  # +1 climbing, -1 descending, 0 not yet known
    for v in level[np.isfinite(level)].tolist():
        if math.isnan(ref):
            ref = v
        elif (going == 1 and v > ref) or (going <= 0 and v >= ref + hysteresis):
            climb, ref, going = climb + v - ref, v, 1
        elif (going == -1 and v < ref) or (going >= 0 and v <= ref - hysteresis):
            descent, ref, going = descent + ref - v, v, -1
    return fround(climb, 3), fround(descent, 3)


def grade_adjusted_pace(
    t: FloatArray,
    speed: FloatArray,
    altitude: FloatArray,
    distance: FloatArray | None = None,
    held: NDArray[np.bool_] | None = None,
) -> GradeAdjusted | None:
    """Grade-adjusted pace of a whole recording (post-run). ``t`` s (non-decreasing), ``speed`` m/s,
    ``altitude`` m (NaN: not recorded), ``distance`` the cumulative counter (m) if the file has one, ``held``
    which of the ``len(t) - 1`` intervals count as recorded time (default: those of at most 10 s).

    Grade i: the slope of the de-spiked altitude against distance over a :data:`GRADE_WINDOW_M` window
    (:func:`smoothed_profile`), clipped to ±45 %. Each held, moving interval (≥ 1000/1200 m/s: stopped seconds
    count for nothing) adds its time to the moving time and its distance × C(i)/C(0) (Minetti et al. 2002,
    :func:`minetti_cost`; grade at the interval's midpoint) to the flat-equivalent distance; GAP = 1000 ×
    moving time / flat-equivalent distance (s/km). None without altitude, or with a known grade over less than
    half of the moving time.

    Worked example: 3.0 m/s (333.3 s/km) up a steady 5 % → flat-equivalent speed 3.0 × 4.6852/3.6 = 3.904 m/s,
    GAP = 333.3 / 1.3014 = 256.1 s/km.

    >>> t = np.arange(0.0, 600.0)
    >>> g = grade_adjusted_pace(t, np.full(600, 3.0), 0.05 * 3.0 * t, 3.0 * t)
    >>> round(g.gap_s_per_km, 1), round(g.moving_pace_s_per_km, 1), g.climb_m, g.descent_m
    (256.1, 333.3, 89.85, 0.0)
    """
    n = t.shape[0]
    if n < 2 or altitude.shape[0] != n or not bool(np.isfinite(altitude).any()):
        return None
    dt = np.diff(t)
    step = _path(t, speed, distance)
    pos = np.concatenate(([0.0], np.cumsum(step)))
    grade, level = smoothed_profile(pos, altitude)
    keep = (dt > 0) & (dt <= HOLD_LIMIT_S) if held is None else held & (dt > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        moving = keep & (step / dt >= MOVING_MIN_SPEED)
    mid = _midpoint(grade)
    moving_s = float(dt[moving].sum())
    dist = float(step[moving].sum())
    flat = float((step * cost_ratio(mid))[moving].sum())
    graded = float(dt[moving & np.isfinite(mid)].sum())
    climb, descent = climb_descent(level)
    share = graded / moving_s if moving_s > 0 else 0.0
    if moving_s <= 0 or dist <= 0 or flat <= 0 or share < MIN_GRADED_SHARE:
        return None
    return GradeAdjusted(
        gap_s_per_km=1000.0 * moving_s / flat,
        moving_pace_s_per_km=1000.0 * moving_s / dist,
        moving_s=moving_s,
        distance_m=dist,
        flat_equivalent_m=flat,
        climb_m=climb,
        descent_m=descent,
        graded_share=share,
    )


def _midpoint(grade: FloatArray) -> FloatArray:
    """Grade of each interval: the mean of its two ends, or the one end known (NaN when neither is)."""
    a, b = grade[:-1], grade[1:]
    out: FloatArray = np.where(np.isfinite(a) & np.isfinite(b), (a + b) / 2.0, np.where(np.isfinite(a), a, b))
    return out

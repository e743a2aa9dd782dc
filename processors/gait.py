"""Gait summaries over a span of bins (shared by the baseline and recent-gait processors)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from processors._util import FloatArray
from processors.bins import N_C, S_C, S_C_SPD, S_STEP, SS_C, BinStore, column_sums

#: Cadence grows with speed roughly as v^0.25 at distance-running speeds, step length as v^0.75 (the two
#: exponents add up to 1 because speed = cadence · step / 60); e.g. Cavanagh & Kram, MSSE 1989: runners
#: lengthen the step more than they quicken it as they speed up.
CADENCE_SPEED_EXPONENT = 0.25
#: Below this mean step rate a 10-s bin is not running gait: walking is ~100–130 steps/min, running (even a slow
#: jog) ~150 and up; the walk–run transition lies in between.
RUN_MIN_CADENCE = 140.0
#: A bin counts as steady when its mean speed is within this fraction of the median bin speed of its span.
STEADY_SPEED_TOL = 0.10


@dataclass(frozen=True, slots=True, init=False)
class Gait:
    """Means over moving seconds with cadence: speed (m/s), cadence (steps/min), step length (m), and the
    coefficient of variation of cadence within 10-s bins (second-to-second irregularity)."""

    speed: float
    cadence: float
    step: float
    cadence_cv: float
    seconds: float

    def __init__(self, speed: float, cadence: float, step: float, cadence_cv: float, seconds: float) -> None:
        """The dataclass's ``__init__`` written out (``init=False``): compiled, ``object.__setattr__`` on a field is a
        direct store, while the generated one runs as Python (~1 k instructions more each)."""
        object.__setattr__(self, "speed", speed)
        object.__setattr__(self, "cadence", cadence)
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "cadence_cv", cadence_cv)
        object.__setattr__(self, "seconds", seconds)

    def expected_cadence(self, speed: float) -> float:
        """This gait's cadence scaled to another speed (v^0.25)."""
        return float(self.cadence * (speed / self.speed) ** CADENCE_SPEED_EXPONENT)

    def expected_step(self, speed: float) -> float:
        """This gait's step length scaled to another speed (v^0.75)."""
        return float(self.step * (speed / self.speed) ** (1.0 - CADENCE_SPEED_EXPONENT))


def steady_gait(rows: FloatArray, bin_s: int, min_s: float) -> Gait | None:
    """:func:`gait_of` over the steady-running bins of ``rows`` only (:func:`steady_running_bins`): walk breaks,
    stops, surges and the bins next to them change cadence and step length on purpose, not from fatigue
    (science.md, gait), so the fatigue measures compare steady running with steady running."""
    if rows.shape[0] < 3:
        return None
    return gait_of(rows[steady_running_bins(rows, bin_s)], min_s)


def gait_of(rows: FloatArray, min_s: float, sums: list[float] | None = None) -> Gait | None:
    """Summarise bins (None with fewer than ``min_s`` moving seconds with cadence); ``sums``: their
    :func:`~processors.bins.column_sums`, if the caller has them."""
    if rows.shape[0] == 0:
        return None
    if sums is None:
        sums = column_sums(rows)
    total = sums[N_C]
    if total < min_s:
        return None
    spd = sums[S_C_SPD] / total
    cad = sums[S_C] / total
    step = sums[S_STEP] / total
    if cad <= 0 or spd <= 0:
        return None
    n = rows[:, N_C]
    ok = n >= 2
    if np.logical_and.reduce(ok):  # steady bins have >= 2 s each: no copy (ok.all() without its Python wrapper)
        sub, n_sum = rows, total
    elif np.logical_or.reduce(ok):
        sub = rows[ok]
        n_sum = float(np.add.reduce(sub[:, N_C]))
    else:
        return None
    n_ok = sub[:, N_C]
    mean_b = sub[:, S_C] / n_ok
    var_b = np.maximum(sub[:, SS_C] / n_ok - mean_b * mean_b, 0.0)
    within = float(np.add.reduce(var_b * n_ok)) / n_sum
    cv = math.sqrt(within) / cad
    return Gait(speed=spd, cadence=cad, step=step, cadence_cv=cv, seconds=total)


def steady_running_bins(
    rows: FloatArray, bin_s: int, tol: float = STEADY_SPEED_TOL, min_cadence: float = RUN_MIN_CADENCE
) -> np.ndarray:
    """Mask of the bins of steady running: every second moving with a cadence (no stop, no gap, no walk slower
    than 20 min/km), mean cadence of running gait (≥ ``min_cadence``), mean speed within ``tol`` of the median
    speed of such bins, and both neighbours steady too (a bin next to a walk, a stop, a surge or a gap may hold
    the transition itself).

    >>> from processors.bins import N_FIELDS
    >>> rows = np.zeros((6, N_FIELDS))
    >>> rows[:, N_C] = 10; rows[:, S_C] = 10 * 170.0; rows[:, S_C_SPD] = 10 * 3.0
    >>> rows[3, S_C] = 10 * 120.0; rows[3, S_C_SPD] = 10 * 1.4   # a walking bin
    >>> steady_running_bins(rows, 10).tolist()
    [False, True, False, False, False, False]
    """
    n = rows[:, N_C]
    nn = np.maximum(n, 1.0)
    spd = rows[:, S_C_SPD] / nn
    running = (n >= bin_s) & (rows[:, S_C] / nn >= min_cadence)
    ok = np.zeros(rows.shape[0], dtype=bool)
    if rows.shape[0] < 3:
        return ok
    v = sorted(spd[running].tolist())
    if not v:  # no running bin
        return ok
    h = len(v) // 2
    med = v[h] if len(v) % 2 else 0.5 * (v[h - 1] + v[h])
    steady = running & (np.abs(spd - med) <= tol * med)
    # guards: both neighbours must be steady too (the first and last bins of a span have an unknown neighbour)
    ok[1:-1] = steady[1:-1] & steady[:-2] & steady[2:]
    return ok


def steady_rows_of_complete(store: BinStore, rows: FloatArray, elapsed: float) -> tuple[FloatArray, list[float]]:
    """The steady-running bins (:func:`steady_running_bins`) of ``rows``, the complete bins of a recent span
    (``store.last_complete(span_s, elapsed)``), and their :func:`~processors.bins.column_sums`, selected once per
    bin range while the bins are unchanged (:meth:`~processors.bins.BinStore.memo`): recent gait and the cadence
    variability ratio read the same bins each time one completes. Read-only (shared).

    >>> store = BinStore(10)
    >>> store.ensure(6)
    >>> rows = store.last_complete(310.0, 59.0)
    >>> steady, sums = steady_rows_of_complete(store, rows, 59.0)
    >>> rows.shape[0], steady.shape[0], sums[N_C], steady_rows_of_complete(store, rows, 59.0)[0] is steady
    (6, 0, 0.0, True)
    """

    def select() -> tuple[FloatArray, list[float]]:
        sub = rows[steady_running_bins(rows, store.bin_s)]
        return sub, column_sums(sub)

    return store.memo(("steady_running_bins", store.n_complete(elapsed), rows.shape[0]), select)

"""Live aerobic decoupling (Pa:HR), over settled steady running only."""

from __future__ import annotations

import math

import numpy as np

from processors._util import FloatArray, fround, median
from processors.bins import N_M, N_P, S_M, S_P_HR, S_P_SPD, BinStore
from processors.registry import Context, Processor, register


def efficiency_factor(rows: FloatArray, min_s: float) -> float | None:
    """EF = mean speed / mean HR over the moving seconds with HR in these bins (None with < ``min_s`` s)."""
    n = float(np.add.reduce(rows[:, N_P])) if rows.shape[0] else 0.0
    if n < min_s:
        return None
    hr = float(np.add.reduce(rows[:, S_P_HR]))
    return None if hr <= 0 else float(np.add.reduce(rows[:, S_P_SPD])) / hr


def decoupling_pct(ef_ref: float, ef_now: float) -> float:
    """100 · (EF_ref − EF_now) / EF_ref: positive when HR costs more per unit of speed than in the reference.

    Worked example: reference 3.0 m/s at 150 bpm, now 3.0 m/s at 160 bpm → 6.25 %.

    >>> round(decoupling_pct(3.0 / 150, 3.0 / 160), 4)
    6.25
    """
    return 100.0 * (ef_ref - ef_now) / ef_ref


def settled_bins(
    rows: FloatArray, bin_s: int, speed: float, tol: float, settle_bins: int, smooth_bins: int = 6
) -> np.ndarray:
    """Mask of the bins of settled steady running at ``speed``. A bin is steady when it is (almost) all moving,
    has HR for at least half of it, its own mean speed lies within 2 · ``tol`` of ``speed`` (a walk, a stop or a
    big surge breaks the run at once) and the mean speed of such bins among the last ``smooth_bins``
    (60 s by default: a few seconds of surge or GPS noise do not move HR) lies within ``tol`` of ``speed``. It is
    settled when the ``settle_bins`` bins before it were steady too (HR has had time to settle at this pace; a
    stop, a gap, a walk or a pace change restarts the count).

    >>> from processors.bins import N_FIELDS
    >>> rows = np.zeros((8, N_FIELDS))
    >>> rows[:, N_M] = rows[:, N_P] = 10; rows[:, S_M] = 30.0
    >>> rows[3, S_M] = 14.0   # a walking bin
    >>> settled_bins(rows, 10, 3.0, 0.1, 2).astype(int).tolist()
    [0, 0, 1, 0, 0, 0, 1, 1]
    """
    n_m = rows[:, N_M]
    s_m = rows[:, S_M]
    own = s_m / np.maximum(n_m, 1.0)
    run = (n_m >= 0.8 * bin_s) & (rows[:, N_P] >= 0.5 * bin_s) & (np.abs(own - speed) <= 2.0 * tol * speed)
    k = np.ones(max(1, smooth_bins))
    m = rows.shape[0]
    smooth = np.convolve(s_m * run, k)[:m] / np.maximum(np.convolve(n_m * run, k)[:m], 1.0)
    good = run & (np.abs(smooth - speed) <= tol * speed)
    idx = np.arange(m)
    last_bad = np.maximum.accumulate(np.where(good, -1, idx))  # index of the latest bin not steady
    out: np.ndarray = good & (idx - last_bad > settle_bins)
    return out


def _median_speed(rows: FloatArray, bin_s: int) -> float | None:
    full = (rows[:, N_M] >= 0.8 * bin_s) & (rows[:, N_P] >= 0.5 * bin_s)
    if not np.logical_or.reduce(full):
        return None
    return median(rows[full, S_M] / rows[full, N_M])


class Decoupling(Processor):
    """Aerobic decoupling, live: EF = speed/HR over settled steady running in a reference window (minutes 10–20,
    after the warm-up) against EF over settled steady running in the last 10 minutes (complete 10-s bins; recomputed
    every ``every_s`` = 30 s of completed bins, like cardiac drift). Friel: above 5 % on a steady effort means drift
    beyond the aerobic threshold. Decoupling describes one steady effort, so only comparable running counts: the
    reference speed is the median speed of the reference window's moving bins, and a 10-s bin is used (in either
    window) when its mean speed (over 60 s) lies within ``steady_tol`` of it and so did the previous ``settle_s``
    seconds (:func:`settled_bins`: HR has settled after a pace change, a walk or a stop). Needs at least ``min_s``
    seconds of such bins in each window, else None (a cool-down, a walk, a sprint finish, another pace); None before
    minute 20 and while HR is unreliable. The ratio is unit-free (any speed unit gives the same %).
    """

    symbol = "decoupling_pct"
    name = "Aerobic decoupling"
    units = "%"
    source = "Friel, The Cyclist's/Triathlete's Training Bible (Pa:HR decoupling); TrainingPeaks EF"
    depends = ("bins", "hr_unreliable")

    def __init__(
        self,
        ref_start_s: float = 600.0,
        ref_end_s: float = 1200.0,
        now_s: float = 600.0,
        min_s: float = 300.0,
        steady_tol: float = 0.10,
        settle_s: float = 180.0,
        every_s: float = 30.0,
    ) -> None:
        if not 0 <= ref_start_s < ref_end_s or now_s <= 0 or min_s <= 0:
            raise ValueError("need 0 <= ref_start_s < ref_end_s, now_s > 0, min_s > 0")
        if min_s > min(ref_end_s - ref_start_s, now_s):
            raise ValueError("min_s cannot exceed the window lengths")
        if not 0 < steady_tol < 0.5 or settle_s < 0 or every_s < 0:
            raise ValueError("need 0 < steady_tol < 0.5, settle_s >= 0 and every_s >= 0")
        self.ref_start_s = ref_start_s
        self.ref_end_s = ref_end_s
        self.now_s = now_s
        self.min_s = min_s
        self.steady_tol = steady_tol
        self.settle_s = settle_s
        self.every_s = every_s
        self._value: float | None = None
        self._key: tuple[int, bool] | None = None
        # (reference speed, reference EF), fixed once the reference window's bins are complete
        self._ref: tuple[float, float | None] | None = None

    def _reference(self, store: BinStore, settle: int) -> tuple[float, float | None] | None:
        b = store.bin_s
        ref_rows = store.between(self.ref_start_s, self.ref_end_s)
        v_ref = _median_speed(ref_rows, b)
        if v_ref is None:
            return None
        # the bins before the window only tell whether its first bins are settled
        ref_all = store.between(max(0.0, self.ref_start_s - settle * b), self.ref_end_s)
        ref = ref_all[-ref_rows.shape[0] :][
            settled_bins(ref_all, b, v_ref, self.steady_tol, settle)[-ref_rows.shape[0] :]
        ]
        return v_ref, efficiency_factor(ref, self.min_s)

    def _compute(self, store: BinStore, elapsed: float) -> float | None:
        b = store.bin_s
        settle = math.ceil(self.settle_s / b)
        complete = store.n_complete(elapsed) * b >= self.ref_end_s
        reference = self._ref if self._ref is not None and complete else self._reference(store, settle)
        if complete:
            self._ref = reference
        if reference is None:
            return None
        v_ref, ef_ref = reference
        n_now = math.ceil(self.now_s / b)
        now_all = store.last_complete(self.now_s + settle * b, elapsed)
        mask = settled_bins(now_all, b, v_ref, self.steady_tol, settle)[-n_now:]
        n, spd, hr = mask.astype(np.float64) @ now_all[-n_now:, N_P : S_P_HR + 1]
        ef_now = None if n < self.min_s or hr <= 0 else float(spd / hr)
        if ef_ref is None or ef_now is None or ef_ref <= 0:
            return None
        return decoupling_pct(ef_ref, ef_now)

    def update(self, ctx: Context) -> None:
        elapsed = ctx.window.elapsed
        store: BinStore = ctx.results["bins"]
        # recomputed every ``every_s`` of completed bins, on the bins up to a multiple of it (so a restored engine
        # gives the same values as one that never stopped)
        k = store.n_complete(elapsed)
        k -= k % max(1, round(self.every_s / store.bin_s))
        key = (k, bool(ctx.results["hr_unreliable"]))
        if key == self._key:
            return
        self._key = key
        self._value = None
        if ctx.results["hr_unreliable"] or elapsed < self.ref_end_s or k * store.bin_s < self.ref_end_s:
            return
        v = self._compute(store, k * store.bin_s - 1.0)
        self._value = fround(v, 4) if v is not None and np.isfinite(v) else None

    def get(self) -> float | None:
        return self._value


register(Decoupling)

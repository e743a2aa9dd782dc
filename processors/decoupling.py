"""Live aerobic decoupling (Pa:HR)."""

from __future__ import annotations

import math

import numpy as np

from processors._util import FloatArray
from processors.bins import N_P, S_P_HR, S_P_SPD, BinStore
from processors.registry import Context, Processor, register


def efficiency_factor(rows: FloatArray, min_s: float) -> float | None:
    """EF = mean speed / mean HR over the moving seconds with HR in these bins (None with < ``min_s`` s)."""
    n = float(rows[:, N_P].sum()) if rows.shape[0] else 0.0
    if n < min_s:
        return None
    hr = float(rows[:, S_P_HR].sum())
    return None if hr <= 0 else float(rows[:, S_P_SPD].sum()) / hr


def decoupling_pct(ef_ref: float, ef_now: float) -> float:
    """100 · (EF_ref − EF_now) / EF_ref: positive when HR costs more per unit of speed than in the reference.

    Worked example: reference 3.0 m/s at 150 bpm, now 3.0 m/s at 160 bpm → 6.25 %.

    >>> round(decoupling_pct(3.0 / 150, 3.0 / 160), 4)
    6.25
    """
    return 100.0 * (ef_ref - ef_now) / ef_ref


@register
class Decoupling(Processor):
    """Aerobic decoupling, live: EF = speed/HR in a reference window (minutes 10–20, after the warm-up)
    against EF over the last 10 minutes (complete 10-s bins; recomputed as each bin completes). Friel: above 5 % on a
    steady effort means drift beyond the aerobic threshold. Needs at least ``min_s`` seconds of moving data with HR
    in each window; None before minute 20 and while HR is unreliable. Decoupling describes one steady effort: when
    the recent mean speed differs from the reference by more than ``max_speed_change`` (a walk, a cool-down, a
    sprint finish) it is None rather than a misleading number. The ratio is unit-free (any speed unit gives the
    same %).
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
        max_speed_change: float = 0.2,
    ) -> None:
        if not 0 <= ref_start_s < ref_end_s or now_s <= 0 or min_s <= 0:
            raise ValueError("need 0 <= ref_start_s < ref_end_s, now_s > 0, min_s > 0")
        if min_s > min(ref_end_s - ref_start_s, now_s):
            raise ValueError("min_s cannot exceed the window lengths")
        self.ref_start_s = ref_start_s
        self.ref_end_s = ref_end_s
        self.now_s = now_s
        self.min_s = min_s
        if not 0 < max_speed_change < 1:
            raise ValueError("max_speed_change must be within (0, 1)")
        self.max_speed_change = max_speed_change
        self._value: float | None = None
        self._key: tuple[int, bool] | None = None

    def update(self, ctx: Context) -> None:
        elapsed = ctx.window.elapsed
        store: BinStore = ctx["bins"]
        key = (store.n_complete(elapsed), bool(ctx["hr_unreliable"]))
        if key == self._key:
            return
        self._key = key
        self._value = None
        if ctx["hr_unreliable"] or elapsed < self.ref_end_s:
            return
        ref = store.between(self.ref_start_s, self.ref_end_s)
        now = store.last_complete(self.now_s, elapsed)
        ef_ref = efficiency_factor(ref, self.min_s)
        ef_now = efficiency_factor(now, self.min_s)
        if ef_ref is None or ef_now is None or ef_ref <= 0:
            return
        v_ref = float(ref[:, S_P_SPD].sum() / ref[:, N_P].sum())
        v_now = float(now[:, S_P_SPD].sum() / now[:, N_P].sum())
        if abs(math.log(v_now / v_ref)) > math.log1p(self.max_speed_change):
            return  # not the same effort (a walk, a cool-down, a sprint finish): no comparison
        v = decoupling_pct(ef_ref, ef_now)
        self._value = round(v, 4) if np.isfinite(v) else None

    def get(self) -> float | None:
        return self._value

"""Rising cadence (stride-rate) variability, over steady running only."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from processors._util import FloatArray, fround
from processors.bins import N_C, S_C, S_C_SPD, SS_C, BinStore, column_sums
from processors.gait import steady_rows_of_complete, steady_running_bins
from processors.registry import Context, Processor, register

#: Floor of the baseline coefficient of variation (watches report cadence in whole steps; 0.5 % ≈ 1 step/min).
MIN_BASELINE_CV = 0.005
#: Recent and baseline steady speeds must match within this fraction: stride-rate variability depends on speed
#: itself (lowest near the preferred speed, higher when jogging slowly; Jordan, Challis & Newell 2007), so a
#: cool-down jog is not compared with the early race pace (the same ±20 % as aerobic decoupling).
MAX_SPEED_CHANGE = 0.20


class _HasCadenceCv(Protocol):
    @property
    def cadence_cv(self) -> float: ...

    @property
    def speed(self) -> float: ...


@dataclass(frozen=True, slots=True, init=False)
class SteadyCadence:
    """Cadence variability over the steady-running seconds of a span: within-10-s coefficient of variation,
    mean cadence (steps/min), mean speed (m/s) and how many seconds it is computed from."""

    cadence_cv: float
    cadence: float
    speed: float
    seconds: float

    def __init__(self, cadence_cv: float, cadence: float, speed: float, seconds: float) -> None:
        """The dataclass's ``__init__`` written out (``init=False``): compiled, ``object.__setattr__`` on a field is a
        direct store, while the generated one runs as Python (~1 k instructions more each)."""
        object.__setattr__(self, "cadence_cv", cadence_cv)
        object.__setattr__(self, "cadence", cadence)
        object.__setattr__(self, "speed", speed)
        object.__setattr__(self, "seconds", seconds)


def steady_cadence(rows: FloatArray, bin_s: int, min_s: float) -> SteadyCadence | None:
    """Pooled within-bin coefficient of variation of cadence over the steady-running bins of ``rows`` (None with
    fewer than ``min_s`` such seconds)."""
    if rows.shape[0] < 3:
        return None
    return _steady_cadence_of(rows[steady_running_bins(rows, bin_s)], min_s)


def _steady_cadence_of(sub: FloatArray, min_s: float, sums: list[float] | None = None) -> SteadyCadence | None:
    """:func:`steady_cadence` of the steady bins ``sub`` (already selected; ``sums``: their
    :func:`~processors.bins.column_sums`, if the caller has them)."""
    if sums is None:
        sums = column_sums(sub)
    n = sub[:, N_C]
    total = sums[N_C]
    if total < min_s or total <= 0:
        return None
    cad = sums[S_C] / total
    spd = sums[S_C_SPD] / total
    # pooled within-bin variance: Σ (Σc² − (Σc)²/n) / Σn
    within = max(0.0, float(np.add.reduce(sub[:, SS_C] - sub[:, S_C] * sub[:, S_C] / n)) / total)
    return SteadyCadence(cadence_cv=math.sqrt(within) / cad, cadence=cad, speed=spd, seconds=total)


class CadenceVariability(Processor):
    """Ratio of the recent within-10-s coefficient of variation of cadence to the early-run baseline one
    (1 = unchanged, 2 = twice as irregular), both over **steady running only** (:func:`steady_running_bins`):
    walk breaks, stops, surges and their transitions change the step rate on purpose and are not the
    stride-to-stride irregularity this ratio looks for. That irregularity rises with fatigue is the project's working
    hypothesis (science.md); Meardon, Hamill & Derrick 2011 found no change of the CV of stride time over a run to
    fatigue, so the fatigue score gives this part the smallest weight.
    Baseline: minutes 5–15 (≥ ``min_base_s`` steady seconds); recent: the last ``span_s`` seconds of complete
    bins (≥ ``min_recent_s``). None without both, and None when the two steady speeds differ by more than
    ``max_speed_change`` (variability depends on speed: :data:`MAX_SPEED_CHANGE`).

    >>> b = SteadyCadence(cadence_cv=0.01, cadence=180.0, speed=3.0, seconds=600)
    >>> cadence_cv_ratio(b, SteadyCadence(cadence_cv=0.02, cadence=178.0, speed=3.0, seconds=300))
    2.0
    """

    symbol = "cadence_cv_ratio"
    name = "Cadence variability ratio"
    units = "ratio"
    source = "project hypothesis (science.md); Meardon, Hamill & Derrick 2011; Jordan et al. 2007 (speed)"
    depends = ("bins",)

    def __init__(
        self,
        base_start_s: float = 300.0,
        base_end_s: float = 900.0,
        min_base_s: float = 300.0,
        span_s: float = 300.0,
        min_recent_s: float = 120.0,
        max_speed_change: float = MAX_SPEED_CHANGE,
    ) -> None:
        if not 0 <= base_start_s < base_end_s or not 0 < min_base_s <= base_end_s - base_start_s:
            raise ValueError("need 0 <= base_start_s < base_end_s and 0 < min_base_s <= base_end_s - base_start_s")
        if not 0 < min_recent_s <= span_s:
            raise ValueError("need 0 < min_recent_s <= span_s")
        if not 0 < max_speed_change < 1:
            raise ValueError("need 0 < max_speed_change < 1")
        self.max_speed_change = max_speed_change
        self.base_start_s = base_start_s
        self.base_end_s = base_end_s
        self.min_base_s = min_base_s
        self.span_s = span_s
        self.min_recent_s = min_recent_s
        self._base: SteadyCadence | None = None
        self._base_final = False
        self._recent: SteadyCadence | None = None
        self._key: int | None = None
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        store: BinStore = ctx.results["bins"]
        elapsed = ctx.window.elapsed
        changed = False
        if not self._base_final and elapsed >= self.base_end_s:
            # one guard bin either side of the span, so its edge bins are judged like the others
            rows = store.between(self.base_start_s - store.bin_s, self.base_end_s + store.bin_s)
            self._base = steady_cadence(rows, store.bin_s, self.min_base_s)
            self._base_final = elapsed >= self.base_end_s + 2 * store.bin_s
            changed = True
        key = store.n_complete(elapsed)
        if key != self._key:  # complete bins only: recomputed every 10 s
            changed = True
            self._key = key
            rows = store.last_complete(self.span_s + store.bin_s, elapsed)
            if rows.shape[0] < 3:
                self._recent = None
            else:  # the same bins and steady selection as gait_recent (computed once)
                steady, sums = steady_rows_of_complete(store, rows, elapsed)
                self._recent = _steady_cadence_of(steady, self.min_recent_s, sums)
        if changed:
            self._value = cadence_cv_ratio(self._base, self._recent, self.max_speed_change)

    def get(self) -> float | None:
        return self._value


def cadence_cv_ratio(
    base: _HasCadenceCv | None, now: _HasCadenceCv | None, max_speed_change: float | None = None
) -> float | None:
    """``now.cadence_cv / base.cadence_cv`` (baseline floored at :data:`MIN_BASELINE_CV`); None without both, or
    when ``max_speed_change`` is given and the speeds differ by more than that fraction."""
    if base is None or now is None:
        return None
    if max_speed_change is not None and abs(now.speed / base.speed - 1.0) > max_speed_change:
        return None
    return fround(now.cadence_cv / max(base.cadence_cv, MIN_BASELINE_CV), 4)


register(CadenceVariability)

"""Efficiency factor: speed per heartbeat over the last minutes."""

from __future__ import annotations

from processors._span import RecentSums
from processors._util import fround
from processors.bins import N_P, S_P_HR, S_P_SPD
from processors.registry import Context, register


def efficiency_factor_m_min(speed_sum: float, hr_sum: float) -> float | None:
    """EF = mean speed (m/min) / mean HR (bpm), from sums over the same seconds.

    Worked example: 3.0 m/s (180 m/min) at 150 bpm → 1.2.

    >>> efficiency_factor_m_min(600 * 3.0, 600 * 150.0)
    1.2
    """
    return None if hr_sum <= 0 else fround(60.0 * speed_sum / hr_sum, 4)


class EfficiencyFactor(RecentSums[float]):
    """``efficiency_factor`` = mean speed (m/min) / mean HR over the moving seconds with a reliable HR of the
    last ``span_s`` seconds (complete 10-s bins; None with fewer than ``min_s`` of them). Friel's efficiency
    factor (TrainingPeaks; for running, speed or normalised graded pace over average HR): a rising EF at the same
    effort means better aerobic fitness; within a run, a falling EF at a steady pace is the decoupling that
    ``decoupling_pct`` and ``decoupling_friel_pct`` measure. Units: metres per minute per beat per minute (typical
    recreational running: 1.0–1.8).

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> w = Window.from_arrays(t=np.arange(700.0), hr=np.full(700, 150.0), speed=np.full(700, 3.0))
    >>> compute("efficiency_factor", w)
    1.2
    """

    symbol = "efficiency_factor"
    name = "Efficiency factor (speed / HR)"
    units = "m/min per bpm"
    source = "Friel, The Triathlete's Training Bible; TrainingPeaks efficiency factor (EF = pace / avg HR)"
    depends = ("bins",)

    def __init__(self, span_s: float = 600.0, min_s: float = 300.0) -> None:
        super().__init__(span_s, min_s)

    def compute_sums(self, sums: list[float], ctx: Context) -> float | None:
        if sums[N_P] < self.min_s:
            return None
        return efficiency_factor_m_min(sums[S_P_SPD], sums[S_P_HR])


register(EfficiencyFactor)

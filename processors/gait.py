"""Gait summaries over a span of bins (shared by the baseline and recent-gait processors)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from processors._util import FloatArray
from processors.bins import N_C, S_C, S_C_SPD, S_STEP, SS_C

#: Cadence grows with speed roughly as v^0.25 at distance-running speeds, step length as v^0.75 (the two
#: exponents add up to 1 because speed = cadence · step / 60); e.g. Cavanagh & Kram, MSSE 1989: runners
#: lengthen the step more than they quicken it as they speed up.
CADENCE_SPEED_EXPONENT = 0.25


@dataclass(frozen=True, slots=True)
class Gait:
    """Means over moving seconds with cadence: speed (m/s), cadence (steps/min), step length (m), and the
    coefficient of variation of cadence within 10-s bins (second-to-second irregularity)."""

    speed: float
    cadence: float
    step: float
    cadence_cv: float
    seconds: float

    def expected_cadence(self, speed: float) -> float:
        """This gait's cadence scaled to another speed (v^0.25)."""
        return float(self.cadence * (speed / self.speed) ** CADENCE_SPEED_EXPONENT)

    def expected_step(self, speed: float) -> float:
        """This gait's step length scaled to another speed (v^0.75)."""
        return float(self.step * (speed / self.speed) ** (1.0 - CADENCE_SPEED_EXPONENT))


def gait_of(rows: FloatArray, min_s: float) -> Gait | None:
    """Summarise bins (None with fewer than ``min_s`` moving seconds with cadence)."""
    if rows.shape[0] == 0:
        return None
    n = rows[:, N_C]
    total = float(n.sum())
    if total < min_s:
        return None
    spd = float(rows[:, S_C_SPD].sum()) / total
    cad = float(rows[:, S_C].sum()) / total
    step = float(rows[:, S_STEP].sum()) / total
    ok = n >= 2
    if not ok.any() or cad <= 0 or spd <= 0:
        return None
    mean_b = rows[ok, S_C] / n[ok]
    var_b = (rows[ok, SS_C] / n[ok] - mean_b * mean_b).clip(min=0.0)
    within = float((var_b * n[ok]).sum() / n[ok].sum())
    cv = math.sqrt(within) / cad
    return Gait(speed=spd, cadence=cad, step=step, cadence_cv=cv, seconds=total)

"""Rising cadence (stride-rate) variability."""

from __future__ import annotations

from processors.gait import Gait
from processors.registry import Context, Processor, register

#: Floor of the baseline coefficient of variation (watches report cadence in whole steps; 0.5 % ≈ 1 step/min).
MIN_BASELINE_CV = 0.005


@register
class CadenceVariability(Processor):
    """Ratio of the recent within-10-s coefficient of variation of cadence to the early-run baseline one
    (1 = unchanged, 2 = twice as irregular). Stride-rate variability rises with fatigue (science.md, gait
    under fatigue). None without both.

    >>> b = Gait(speed=3.0, cadence=180.0, step=1.0, cadence_cv=0.01, seconds=600)
    >>> cadence_cv_ratio(b, Gait(speed=3.0, cadence=178.0, step=1.0, cadence_cv=0.02, seconds=300))
    2.0
    """

    symbol = "cadence_cv_ratio"
    name = "Cadence variability ratio"
    units = "ratio"
    source = "science.md (stride-rate variability rises with fatigue); Hanley et al. 2020"
    depends = ("gait_baseline", "gait_recent")

    def __init__(self) -> None:
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        self._value = cadence_cv_ratio(ctx["gait_baseline"], ctx["gait_recent"])

    def get(self) -> float | None:
        return self._value


def cadence_cv_ratio(base: Gait | None, now: Gait | None) -> float | None:
    if base is None or now is None:
        return None
    return round(now.cadence_cv / max(base.cadence_cv, MIN_BASELINE_CV), 4)

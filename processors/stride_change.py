"""Stride (step) length change against the athlete's early-run baseline at a similar speed."""

from __future__ import annotations

from processors._gait_change import GaitChange, comparable
from processors._util import fround
from processors.gait import Gait
from processors.registry import register


def stride_change_pct(base: Gait | None, now: Gait | None, max_speed_change: float) -> float | None:
    """100 · (now − expected) / expected with expected = baseline step length scaled to the recent speed.

    >>> b = Gait(speed=3.0, cadence=180.0, step=1.0, cadence_cv=0.01, seconds=600)
    >>> stride_change_pct(b, Gait(speed=3.0, cadence=171.4, step=1.05, cadence_cv=0.01, seconds=300), 0.15)
    5.0
    """
    if base is None or now is None or not comparable(base, now, max_speed_change):
        return None
    expected = base.expected_step(now.speed)
    return fround(100.0 * (now.step - expected) / expected, 4)


class StrideChange(GaitChange):
    """% change of the recent step length (= stride/2) against the baseline step length scaled to the recent
    speed (step ∝ v^0.75). Positive = longer strides than early in the run at this speed (over-striding; the
    advice then is to shorten the stride, seed 002); negative = shortened. At a matched speed this mirrors the
    cadence decline (speed = cadence · step / 60), so the fatigue score uses only the cadence side; the alert
    layer uses this for its stride message. None outside ±``max_speed_change`` of the baseline speed.
    """

    symbol = "stride_change_pct"
    name = "Stride length change"
    units = "%"
    source = "UW Medicine Sports Medicine (seed 002); Hanley et al. 2020"

    def change(self, base: Gait | None, now: Gait | None) -> float | None:
        return stride_change_pct(base, now, self.max_speed_change)


register(StrideChange)

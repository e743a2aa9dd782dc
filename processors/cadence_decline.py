"""Cadence decline against the athlete's early-run baseline at a similar speed."""

from __future__ import annotations

from processors._gait_change import GaitChange, comparable
from processors._util import fround
from processors.gait import Gait
from processors.registry import register


class CadenceDecline(GaitChange):
    """% by which the recent cadence (last 5 min) is below the baseline cadence (minutes 5–15) scaled to the
    recent speed (cadence ∝ v^0.25). Positive = slower step rate than the athlete's own early run at this
    speed. Only when the recent speed is within ±``max_speed_change`` of the baseline speed (no
    extrapolation); else None.

    >>> b = Gait(speed=3.0, cadence=180.0, step=1.0, cadence_cv=0.01, seconds=600)
    >>> r = Gait(speed=3.0, cadence=171.0, step=1.05, cadence_cv=0.01, seconds=300)
    >>> cadence_decline_pct(b, r, 0.15)
    5.0
    """

    symbol = "cadence_decline_pct"
    name = "Cadence decline"
    units = "%"
    source = "Hanley, Bissas & Merlino 2020 (cadence falls late in the marathon)"

    def change(self, base: Gait | None, now: Gait | None) -> float | None:
        return cadence_decline_pct(base, now, self.max_speed_change)


def cadence_decline_pct(base: Gait | None, now: Gait | None, max_speed_change: float) -> float | None:
    """100 · (expected − now) / expected with expected = baseline cadence at the recent speed."""
    if base is None or now is None or not comparable(base, now, max_speed_change):
        return None
    expected = base.expected_cadence(now.speed)
    return fround(100.0 * (expected - now.cadence) / expected, 4)


register(CadenceDecline)

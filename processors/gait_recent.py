"""The athlete's gait over the last few minutes."""

from __future__ import annotations

from processors._span import RecentSpan
from processors._util import FloatArray
from processors.gait import Gait, gait_of
from processors.registry import Context, register


@register
class GaitRecent(RecentSpan[Gait]):
    """Speed, cadence, step length and cadence variability over the last ``span_s`` seconds (complete 10-s bins,
    moving seconds with cadence; None with fewer than ``min_s``).
    """

    symbol = "gait_recent"
    name = "Recent gait"
    units = "m/s, steps/min, m"
    source = "aggregation of cleaned speed and cadence (processors.bins)"

    def __init__(self, span_s: float = 300.0, min_s: float = 120.0) -> None:
        super().__init__(span_s, min_s)

    def compute(self, rows: FloatArray, ctx: Context) -> Gait | None:
        return gait_of(rows, self.min_s)

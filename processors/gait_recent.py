"""The athlete's steady-running gait over the last few minutes."""

from __future__ import annotations

from processors._span import RecentSpan
from processors._util import FloatArray
from processors.gait import Gait, gait_of, steady_rows_of_complete
from processors.registry import Context, register


class GaitRecent(RecentSpan[Gait]):
    """Speed, cadence, step length and cadence variability over the steady running
    (:func:`~processors.gait.steady_running_bins`) of the last ``span_s`` seconds (complete 10-s bins; None with
    fewer than ``min_s`` steady seconds). A walk break, a stop or a surge in the span is left out, with the bins
    next to it, so cadence decline and stride change compare running with running (science.md, gait).
    """

    symbol = "gait_recent"
    name = "Recent gait"
    units = "m/s, steps/min, m"
    source = "aggregation of cleaned speed and cadence (processors.bins); science.md (gait under fatigue)"

    def __init__(self, span_s: float = 310.0, min_s: float = 120.0) -> None:
        super().__init__(span_s, min_s)

    def compute(self, rows: FloatArray, ctx: Context) -> Gait | None:
        """:func:`~processors.gait.steady_gait` of ``rows`` (the last complete bins), with the steady bins shared
        with ``cadence_cv_ratio`` (:func:`~processors.gait.steady_rows_of_complete`)."""
        if rows.shape[0] < 3:
            return None
        steady, sums = steady_rows_of_complete(ctx["bins"], rows, ctx.window.elapsed)
        return gait_of(steady, self.min_s, sums)


register(GaitRecent)

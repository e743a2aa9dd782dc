"""Sustained speed (last 10 min) relative to training speed — the pace input of the risk model."""

from __future__ import annotations

from processors._span import RecentSums, mean_over
from processors._util import fround
from processors.bins import N_M, S_M
from processors.registry import Context, register


class SustainedPaceRatio(RecentSums[float]):
    """Mean moving speed over the last ``span_s`` seconds (complete 10-s bins) / training speed; None without a
    training pace or with less than ``min_s`` seconds of running in the span. Sustained pace, not a surge, is what
    Schwellnus et al. 2011 relate to cramp (racing faster than planned/trained).
    """

    symbol = "pace_ratio_10min"
    name = "Sustained pace over training"
    units = "ratio"
    source = "Schwellnus et al., Br J Sports Med 2011"

    def extra_key(self, ctx: Context) -> tuple[float | None]:
        return (ctx.profile.training_speed,)

    def compute_sums(self, sums: list[float], ctx: Context) -> float | None:
        ts = ctx.profile.training_speed
        if ts is None or ts <= 0:
            return None
        speed = mean_over(sums, N_M, S_M, self.min_s)
        return None if speed is None else fround(speed / ts, 4)


register(SustainedPaceRatio)

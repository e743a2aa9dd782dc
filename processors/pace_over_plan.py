"""Sustained speed (last 10 min) relative to today's reference pace — the pace input of the risk model."""

from __future__ import annotations

from processors._span import RecentSums, mean_over
from processors._util import fround
from processors.bins import N_M, S_M
from processors.registry import Context, register


class SustainedPaceOverPlan(RecentSums[float]):
    """Mean moving speed over the last ``span_s`` seconds (complete 10-s bins) / today's reference speed: the
    session's ``target_pace``, else the profile's ``race_pace``, else the training pace
    (:meth:`processors.profile.SessionPlan.reference_pace`). None without any of them or with less than
    ``min_s`` seconds of running in the span.

    Schwellnus et al. (BJSM 2011) found cramping athletes raced faster than their own *predicted* race pace: a
    tempo or race is meant to be faster than everyday training, so it is judged against its own plan.

    >>> import numpy as np
    >>> from processors.profile import Profile, SessionPlan
    >>> from processors.engine import Engine
    >>> from processors.window import Window
    >>> t = np.arange(0.0, 900.0)
    >>> w = Window.from_arrays(t=t, speed=np.full(900, 1000 / 290), cadence=np.full(900, 180.0))
    >>> Engine(Profile(training_pace=330), SessionPlan("tempo", 290)).tick(w).values["pace_ratio_plan"]
    1.0
    >>> Engine(Profile(training_pace=330)).tick(w).values["pace_ratio_plan"]
    1.1379
    """

    symbol = "pace_ratio_plan"
    name = "Sustained pace over today's reference pace"
    units = "ratio"
    source = "Schwellnus et al., Br J Sports Med 2011 (faster than predicted race pace)"

    def extra_key(self, ctx: Context) -> tuple[float | None]:
        return (ctx.plan.reference_speed(ctx.profile),)

    def compute_sums(self, sums: list[float], ctx: Context) -> float | None:
        ref = ctx.plan.reference_speed(ctx.profile)
        if ref is None or ref <= 0:
            return None
        speed = mean_over(sums, N_M, S_M, self.min_s)
        return None if speed is None else fround(speed / ref, 4)


register(SustainedPaceOverPlan)

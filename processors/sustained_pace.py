"""Sustained speed (last 10 min) relative to training speed — the pace input of the risk model."""

from __future__ import annotations

from processors.bins import N_M, S_M, BinStore
from processors.registry import Context, Processor, register


@register
class SustainedPaceRatio(Processor):
    """Mean moving speed over the last ``span_s`` seconds (complete 10-s bins) / training speed; None without a
    training pace or with less than ``min_s`` seconds of running in the span. Sustained pace, not a surge, is what
    Schwellnus et al. 2011 relate to cramp (racing faster than planned/trained).
    """

    symbol = "pace_ratio_10min"
    name = "Sustained pace over training"
    units = "ratio"
    source = "Schwellnus et al., Br J Sports Med 2011"
    depends = ("bins",)

    def __init__(self, span_s: float = 600.0, min_s: float = 120.0) -> None:
        if not 0 < min_s <= span_s:
            raise ValueError("need 0 < min_s <= span_s")
        self.span_s = span_s
        self.min_s = min_s
        self._value: float | None = None
        self._key: tuple[int, float | None] | None = None

    def update(self, ctx: Context) -> None:
        store: BinStore = ctx["bins"]
        ts = ctx.profile.training_speed
        key = (store.n_complete(ctx.window.elapsed), ts)
        if key == self._key:
            return
        self._key = key
        self._value = None
        if ts is None or ts <= 0:
            return
        rows = store.last_complete(self.span_s, ctx.window.elapsed)
        n = float(rows[:, N_M].sum()) if rows.shape[0] else 0.0
        if n < self.min_s:
            return
        self._value = round(float(rows[:, S_M].sum()) / n / ts, 4)

    def get(self) -> float | None:
        return self._value

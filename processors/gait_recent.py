"""The athlete's gait over the last few minutes."""

from __future__ import annotations

from processors.bins import BinStore
from processors.gait import Gait, gait_of
from processors.registry import Context, Processor, register


@register
class GaitRecent(Processor):
    """Speed, cadence, step length and cadence variability over the last ``span_s`` seconds (complete 10-s bins,
    moving seconds with cadence; None with fewer than ``min_s``).
    """

    symbol = "gait_recent"
    name = "Recent gait"
    units = "m/s, steps/min, m"
    source = "aggregation of cleaned speed and cadence (processors.bins)"
    depends = ("bins",)

    def __init__(self, span_s: float = 300.0, min_s: float = 120.0) -> None:
        if not 0 < min_s <= span_s:
            raise ValueError("need 0 < min_s <= span_s")
        self.span_s = span_s
        self.min_s = min_s
        self._value: Gait | None = None
        self._key: int | None = None

    def update(self, ctx: Context) -> None:
        store: BinStore = ctx["bins"]
        key = store.n_complete(ctx.window.elapsed)
        if key != self._key:  # complete bins only: recomputed every 10 s
            self._key = key
            self._value = gait_of(store.last_complete(self.span_s, ctx.window.elapsed), self.min_s)

    def get(self) -> Gait | None:
        return self._value

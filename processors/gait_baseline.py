"""The athlete's own early-run gait: the reference for cadence and stride changes."""

from __future__ import annotations

from processors.bins import BinStore
from processors.gait import Gait, steady_gait
from processors.registry import Context, Processor, register


class GaitBaseline(Processor):
    """Speed, cadence, step length and cadence variability over the **steady running** of minutes 5–15 of the
    session (:func:`~processors.gait.steady_running_bins`: walk breaks, stops, surges and their edges left out),
    once that span is complete and holds at least ``min_s`` seconds of it. None before.

    Fatigue shows late in a run as falling cadence and step length (Hanley et al. 2020, marathon) and rising
    stride-rate variability; the early minutes, past the first steps but before fatigue, are the athlete's own
    reference. Computed from the bins (which are saved with the engine), cached once final.
    """

    symbol = "gait_baseline"
    name = "Early-run gait baseline"
    units = "m/s, steps/min, m"
    source = "Hanley, Bissas & Merlino 2020 (gait in the marathon); science.md"
    depends = ("bins",)

    def __init__(self, start_s: float = 300.0, end_s: float = 900.0, min_s: float = 300.0) -> None:
        if not 0 <= start_s < end_s or not 0 < min_s <= end_s - start_s:
            raise ValueError("need 0 <= start_s < end_s and 0 < min_s <= end_s - start_s")
        self.start_s = start_s
        self.end_s = end_s
        self.min_s = min_s
        self._value: Gait | None = None
        self._final = False

    def update(self, ctx: Context) -> None:
        store: BinStore = ctx.results["bins"]
        elapsed = ctx.window.elapsed
        if self._final:
            return
        self._value = None
        if elapsed < self.end_s:
            return
        # one guard bin either side of the span, so its edge bins are judged like the others
        rows = store.between(self.start_s - store.bin_s, self.end_s + store.bin_s)
        self._value = steady_gait(rows, store.bin_s, self.min_s)
        # the bins of the span (and its guard) no longer change once two whole bins have passed its end
        self._final = elapsed >= self.end_s + 2 * store.bin_s

    def get(self) -> Gait | None:
        return self._value


register(GaitBaseline)

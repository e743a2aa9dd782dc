"""Recent intensity as a fraction of heart-rate reserve."""

from __future__ import annotations

import numpy as np

from processors.bins import N_HR, S_HR, BinStore
from processors.registry import Context, Processor, register
from processors.trimp import heart_rate_reserve


@register
class Intensity(Processor):
    """Mean heart-rate reserve fraction (Karvonen) over the last ``span_s`` seconds (complete 10-s bins) of reliable
    HR; None with
    less than ``min_s`` seconds of it. High intensity is a cramp risk factor (science.md).

    >>> import numpy as np
    >>> from processors.profile import Profile
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> w = Window.from_arrays(t=np.arange(600.0), hr=np.full(600, 150.0))
    >>> compute("hrr_10min", w, Profile(hr_rest=60, hr_max=180))
    0.75
    """

    symbol = "hrr_10min"
    name = "Intensity (% heart-rate reserve, 10 min)"
    units = "fraction of HRR"
    source = "Karvonen et al. 1957; science.md (high intensity as a risk factor)"
    depends = ("bins",)

    def __init__(self, span_s: float = 600.0, min_s: float = 120.0) -> None:
        if not 0 < min_s <= span_s:
            raise ValueError("need 0 < min_s <= span_s")
        self.span_s = span_s
        self.min_s = min_s
        self._value: float | None = None
        self._key: tuple[int, float, float] | None = None

    def update(self, ctx: Context) -> None:
        store: BinStore = ctx["bins"]
        elapsed = ctx.window.elapsed
        key = (store.n_complete(elapsed), ctx.profile.hr_rest_bpm, ctx.profile.hr_max_bpm)
        if key == self._key:
            return
        self._key = key
        self._value = None
        rows = store.last_complete(self.span_s, elapsed)
        n = float(rows[:, N_HR].sum()) if rows.shape[0] else 0.0
        if n < self.min_s:
            return
        hr = float(rows[:, S_HR].sum()) / n
        self._value = round(float(heart_rate_reserve(np.array([hr]), ctx.profile)[0]), 4)

    def get(self) -> float | None:
        return self._value

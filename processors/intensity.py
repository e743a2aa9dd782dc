"""Recent intensity as a fraction of heart-rate reserve."""

from __future__ import annotations

from processors._span import RecentSums, mean_over
from processors._util import fround
from processors.bins import N_HR, S_HR
from processors.registry import Context, register
from processors.trimp import heart_rate_reserve_of


class Intensity(RecentSums[float]):
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

    def extra_key(self, ctx: Context) -> tuple[float, float]:
        return (ctx.profile.hr_rest_bpm, ctx.profile.hr_max_bpm)

    def compute_sums(self, sums: list[float], ctx: Context) -> float | None:
        hr = mean_over(sums, N_HR, S_HR, self.min_s)
        if hr is None:
            return None
        return fround(heart_rate_reserve_of(hr, ctx.profile), 4)


register(Intensity)

"""Duration relative to the athlete's longest training run."""

from __future__ import annotations

from processors._util import fround
from processors.registry import Context, Processor, register


class DurationVsLongest(Processor):
    """Elapsed time / longest training run (1.0 = as long as the longest run so far); None without
    ``longest_run_min``. Long duration and the last quarter of a race carry most cramps (Schwellnus et al.
    2011: 56 % of Ironman cramps in the last quarter).

    >>> import numpy as np
    >>> from processors.profile import Profile
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> w = Window.from_arrays(t=np.arange(0.0, 3601.0))
    >>> compute("duration_vs_longest", w, Profile(longest_run_min=90))
    0.6667
    """

    symbol = "duration_vs_longest"
    name = "Duration vs longest run"
    units = "ratio"
    source = "Schwellnus et al., Br J Sports Med 2011 (duration, last quarter)"
    depends = ()

    def __init__(self) -> None:
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        longest = ctx.profile.longest_run_min
        ok = longest is not None and longest > 0
        e = ctx.window.elapsed
        e = 0.0 if e < 0.0 else e  # max(e, 0.0) as it picks, without the call
        self._value = fround(e / (60.0 * longest), 4) if ok and longest else None

    def get(self) -> float | None:
        return self._value


register(DurationVsLongest)

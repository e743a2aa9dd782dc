"""Red flags that need a person on the spot, as far as the streams can show them."""

from __future__ import annotations

from typing import Any, Final

from processors._util import recent_median
from processors.clean import CleanTail
from processors.gait_state import GaitState
from processors.registry import Context, Processor, register

#: The reasons, in order of precedence, and what each means.
REASONS: Final = {
    "high_hr_stopped": "very high heart rate a minute after stopping",
    "cramp_not_easing": "cramp signs keep returning: the cramp is not easing",
    "high_hr_walking": "very high heart rate at a walk",
}


class RedFlag(Processor):
    """``red_flag``: the reason code of a red flag that needs medical help, or None. The streams cannot show
    confusion, vomiting or a collapse itself; they can show three things that go with them (docs/alerts.md lists
    what crampwatch does not detect):

    * ``high_hr_stopped`` — stopped (no steps) for at least ``stop_s`` and the median HR of the last 30 s still
      at least ``stop_hr_frac`` of HRmax: after a stop HR normally falls 12 bpm or more within the first minute
      (Cole et al., NEJM 1999), so a runner who stands or lies still with HR near maximum is not recovering;
    * ``high_hr_walking`` — walking or stopped for at least ``walk_s`` with the median HR of the last 60 s at
      least ``walk_hr_frac`` of HRmax (heat illness and exhaustion keep HR high after the effort ends);
    * ``cramp_not_easing`` — the acute cramp signature on for at least ``cramp_s`` within the last
      ``cramp_span_s`` (it keeps coming back when the runner tries again: seed 000 advises medical help for cramps
      that last or recur).

    Unreliable HR (cadence lock) blocks the HR flags. HRmax is the one in use (``hr_max_bpm``). A flag, not a
    diagnosis: it tells the coach to look at the runner now.

    >>> import numpy as np
    >>> from processors.profile import Profile
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> spd = np.concatenate([np.full(200, 3.5), np.full(100, 0.0)])
    >>> cad = np.concatenate([np.full(200, 176.0), np.full(100, 0.0)])
    >>> hr = np.full(300, 178.0)  # stays near maximum after the stop
    >>> w = Window.from_arrays(t=np.arange(300.0), hr=hr, speed=spd, cadence=cad)
    >>> compute("red_flag", w, Profile(hr_max=185))
    'high_hr_stopped'
    """

    symbol = "red_flag"
    name = "Medical red flag"
    units = "reason code"
    source = "Cole et al. NEJM 1999 (HR recovery); seed 000 (cramp that lasts); science.md; docs/alerts.md"
    depends = ("clean", "hr_unreliable", "hr_max_bpm", "gait_state", "acute_cramp")

    def __init__(
        self,
        stop_s: float = 60.0,
        stop_hr_frac: float = 0.90,
        walk_s: float = 120.0,
        walk_hr_frac: float = 0.85,
        cramp_s: float = 240.0,
        cramp_span_s: float = 600.0,
    ) -> None:
        if stop_s <= 0 or walk_s <= 0 or cramp_s <= 0 or not cramp_s <= cramp_span_s:
            raise ValueError("need positive durations and cramp_s <= cramp_span_s")
        if not 0.5 <= stop_hr_frac <= 1.0 or not 0.5 <= walk_hr_frac <= 1.0:
            raise ValueError("HR fractions must be within 0.5..1.0 of HRmax")
        self.stop_s = stop_s
        self.stop_hr_frac = stop_hr_frac
        self.walk_s = walk_s
        self.walk_hr_frac = walk_hr_frac
        self.cramp_s = cramp_s
        self.cramp_span_s = cramp_span_s
        self._cramp_ticks: list[list[float]] = []  # [t, seconds] of recent ticks with the acute signature on
        self._last_t: float | None = None
        self._value: str | None = None

    def update(self, ctx: Context) -> None:
        now = ctx.window.now
        if self._last_t is None:
            dt = 5.0
        else:  # min(max(d, 0.0), 10.0) as they pick, without the calls
            dt = now - self._last_t
            dt = 0.0 if dt < 0.0 else dt
            dt = 10.0 if dt > 10.0 else dt
        self._last_t = now
        if ctx.results["acute_cramp"] and dt > 0:
            self._cramp_ticks.append([now, dt])
        if self._cramp_ticks:  # (empty: the same empty list; its sum 0 is below cramp_s > 0)
            self._cramp_ticks = [x for x in self._cramp_ticks if now - x[0] < self.cramp_span_s]
        self._value = self._hr_flag(ctx, now)
        if self._value is None and self._cramp_ticks and sum(x[1] for x in self._cramp_ticks) >= self.cramp_s:
            self._value = "cramp_not_easing"

    def _hr_flag(self, ctx: Context, now: float) -> str | None:
        if ctx.results["hr_unreliable"]:
            return None
        gait: GaitState = ctx.results["gait_state"]
        tail: CleanTail = ctx.results["clean"]
        hr_max = float(ctx.results["hr_max_bpm"])
        held = gait.seconds(now)
        if gait.mode == "stopped" and held >= self.stop_s:
            hr = recent_median(tail.hr, 30, 20)
            if hr is not None and hr >= self.stop_hr_frac * hr_max:
                return "high_hr_stopped"
        if gait.mode in ("walking", "stopped") and held >= self.walk_s:
            hr = recent_median(tail.hr, 60, 40)
            if hr is not None and hr >= self.walk_hr_frac * hr_max:
                return "high_hr_walking"
        return None

    def get(self) -> str | None:
        return self._value

    def state_dict(self) -> dict[str, Any]:
        return {"cramp_ticks": [list(x) for x in self._cramp_ticks], "last_t": self._last_t}

    def load_state(self, state: dict[str, Any]) -> None:
        self._cramp_ticks = [[float(a), float(b)] for a, b in state.get("cramp_ticks", [])]
        v = state.get("last_t")
        self._last_t = None if v is None else float(v)


register(RedFlag)

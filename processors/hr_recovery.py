"""Heart-rate recovery: how far HR falls in the minute after a hard effort ends."""

from __future__ import annotations

from itertools import accumulate
from typing import Any

import numpy as np

from processors._util import FloatArray, fround, nanmedian
from processors.registry import Context, Processor, register


def recovery_at(
    hr: FloatArray, speed: FloatArray, e: int, hard_hr: float, min_speed: float, ease: float
) -> float | None:
    """HRR60 at index ``e`` if a hard effort ends there: the minute before it moving at ≥ ``min_speed`` m/s with
    the median HR of its last 30 s ≥ ``hard_hr``; the 10 s and the minute after it at most ``ease`` × that speed.
    HRR60 = median HR of [e−5, e] − median HR of [e+55, e+60]. ``hr``/``speed`` must cover [e−60, e+60].

    Worked example: 3.5 m/s at 172 bpm, then a walk during which HR falls to 140 within 50 s → 32 bpm.

    >>> spd = np.r_[np.full(61, 3.5), np.full(60, 1.2)]
    >>> hr = np.r_[np.full(61, 172.0), np.linspace(170.0, 141.0, 50), np.full(10, 140.0)]
    >>> recovery_at(hr, spd, 60, hard_hr=160.0, min_speed=2.0, ease=0.7)
    32.0
    """
    if e < 60 or e + 60 >= hr.shape[0]:
        return None
    before = speed[e - 60 : e]
    v_before = float(np.nanmean(before)) if np.isfinite(before).sum() >= 45 else None
    if v_before is None or v_before < min_speed:
        return None
    h_hard = nanmedian(hr[e - 30 : e], min_count=20)
    if h_hard is None or h_hard < hard_hr:
        return None
    soon, after = speed[e + 1 : e + 11], speed[e + 1 : e + 61]
    if np.isfinite(after).sum() < 45 or not np.isfinite(soon).any():
        return None
    if float(np.nanmean(soon)) > ease * v_before or float(np.nanmean(after)) > ease * v_before:
        return None
    h_end, h_60 = nanmedian(hr[e - 5 : e + 1], min_count=3), nanmedian(hr[e + 55 : e + 61], min_count=3)
    return None if h_end is None or h_60 is None else fround(h_end - h_60, 1)


class HrRecovery(Processor):
    """``hr_recovery_bpm``: the drop of HR in the 60 s after the latest hard effort ended (HRR60): the minute
    before the end moving at ≥ 2 m/s with HR ≥ ``hard_frac`` of HRmax (``hr_max_bpm``), then an easing to at most
    ``ease`` × that speed (a walk, a jog, a stop) — the end of an interval, a hill or a race. Cole et al. (NEJM
    1999) measured it after exercise tests: a fall of 12 bpm or less in the first minute went with a poorer
    prognosis; in training a faster recovery at the same effort means better fitness. Read from the window's
    heart rate (5-s medians at both ends, so spikes do not count); held until the next hard effort ends. None
    before the first one.

    >>> from processors.profile import Profile
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> spd = np.r_[np.full(300, 3.5), np.full(65, 1.2)]
    >>> hr = np.r_[np.full(300, 172.0), np.linspace(170.0, 141.0, 50), np.full(15, 140.0)]
    >>> compute("hr_recovery_bpm", Window.from_arrays(t=np.arange(365.0), hr=hr, speed=spd), Profile(hr_max=185))
    32.0
    """

    symbol = "hr_recovery_bpm"
    name = "Heart-rate recovery (60 s)"
    units = "bpm"
    source = "Cole, Blackstone, Pashkow, Snader & Lauer, NEJM 1999 (HR recovery in the first minute)"
    depends = ("hr_max_bpm", "hr_unreliable")

    def __init__(self, hard_frac: float = 0.85, ease: float = 0.7, min_speed: float = 2.0) -> None:
        if not 0.5 <= hard_frac <= 1.0 or not 0 < ease < 1 or min_speed <= 0:
            raise ValueError("need 0.5 <= hard_frac <= 1, 0 < ease < 1, min_speed > 0")
        self.hard_frac = hard_frac
        self.ease = ease
        self.min_speed = min_speed
        self._checked: float | None = None  # the latest end time examined
        self._last_end: float | None = None
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        w = ctx.window
        res = ctx.results
        n = w.t.shape[0]  # len(w)
        if n < 122 or res["hr_unreliable"]:
            return
        hard_hr = self.hard_frac * float(res["hr_max_bpm"])
        last_e = n - 61  # the newest end time with a full minute after it
        first_e = last_e - 120  # a fresh start looks two minutes back
        if self._checked is not None:
            first_e = last_e - round(float(w.t[last_e]) - self._checked) + 1  # only end times not yet examined
        first_e = max(60, first_e)
        for e in self._eased(w.speed, first_e, last_e):
            t_e = float(w.t[e])
            if self._last_end is not None and t_e - self._last_end < 60:
                continue  # the same effort's end, or its recovery minute
            v = recovery_at(w.hr, w.speed, e, hard_hr, self.min_speed, self.ease)
            if v is not None:
                self._value, self._last_end = v, t_e
        self._checked = float(w.t[last_e])

    def _eased(self, speed: FloatArray, first_e: int, last_e: int) -> list[int]:
        """The candidate ends (``first_e..last_e``) where the 10 s after are at most ``ease`` × the minute before,
        moving at ``min_speed`` or more before: prefix sums in plain Python over ~75 values (a steady run costs a
        few microseconds; NumPy's call overhead would dominate)."""
        if last_e < first_e:
            return []
        seg: list[float] = speed[first_e - 60 : last_e + 11].tolist()
        cs: list[float] = list(accumulate(seg, initial=0.0))
        # the usual case, no gap: the count of known seconds up to i is i (60 before, 10 soon)
        gaps = cs[-1] != cs[-1]  # a NaN (a gap) somewhere makes the last sum NaN
        cn: list[int] = []
        if gaps:  # gaps count as zero and not known
            ok = [v == v for v in seg]  # NaN compares False
            cs = list(accumulate([v if k else 0.0 for v, k in zip(seg, ok, strict=True)], initial=0.0))
            cn = list(accumulate([1 if k else 0 for k in ok], initial=0))
        min_speed, ease = self.min_speed, self.ease
        out: list[int] = []
        for i in range(60, 61 + last_e - first_e):
            n_before, n_soon = 60, 10
            if gaps:
                n_before, n_soon = cn[i] - cn[i - 60], cn[i + 11] - cn[i + 1]
                if n_before < 45 or n_soon == 0:
                    continue
            before = (cs[i] - cs[i - 60]) / n_before
            if before >= min_speed and (cs[i + 11] - cs[i + 1]) / n_soon <= ease * before:
                out.append(first_e + i - 60)
        return out

    def get(self) -> float | None:
        return self._value

    def state_dict(self) -> dict[str, Any]:
        return {"checked": self._checked, "last_end": self._last_end, "value": self._value}

    def load_state(self, state: dict[str, Any]) -> None:
        c, e, v = state.get("checked"), state.get("last_end"), state.get("value")
        self._checked = None if c is None else float(c)
        self._last_end = None if e is None else float(e)
        self._value = None if v is None else float(v)


register(HrRecovery)

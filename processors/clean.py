"""Cleaned recent streams (the tail of the window that this tick needs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from processors._util import FloatArray
from processors.cleaning import fill_short_gaps, hampel, hold_forward, in_range, rate_limit, savgol_runs
from processors.registry import Context, Processor, register

#: Plausible ranges after which a value is dropped (HR: zero and sensor garbage; the wire already rejects
#: hr outside 25–250, here the physiological 30–230 bpm applies).
HR_RANGE = (30.0, 230.0)
SPEED_RANGE = (0.0, 10.0)  # m/s; 10 m/s = 100 s/km, the fastest pace the wire accepts
CADENCE_RANGE = (0.0, 260.0)
TEMP_RANGE = (-30.0, 60.0)


@dataclass(frozen=True, slots=True)
class CleanTail:
    """The cleaned last part of a window.

    ``new_from`` indexes the first second (within these arrays) that the engine has not integrated yet.
    ``hr_raw``/``cadence_raw`` are range-checked only (for the cadence-lock test); ``cadence_rough`` is
    de-spiked but not smoothed (for cadence variability); the others are fully cleaned and smoothed.
    """

    t: FloatArray
    hr: FloatArray
    speed: FloatArray
    cadence: FloatArray
    cadence_rough: FloatArray
    temp: FloatArray
    hr_raw: FloatArray
    cadence_raw: FloatArray
    new_from: int

    @property
    def new(self) -> slice:
        return slice(self.new_from, None)

    def __len__(self) -> int:
        return int(self.t.shape[0])


@register
class Clean(Processor):
    """Range check, Hampel de-spiking, HR rate limit, short-gap bridging and Savitzky–Golay smoothing of the
    last ``context_s`` seconds before the new ones (plus the new ones). Only this tail is cleaned each tick,
    so the cost does not grow with the window.

    Sources: Hampel identifier (Pearson 2002); Savitzky & Golay, Anal. Chem. 1964; HR cleaning steps as listed
    in science.md. Gaps longer than ``max_gap_s`` are never bridged.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> hr = np.full(60, 150.0); hr[30] = 0.0; hr[40] = 215.0
    >>> tail = compute("clean", Window.from_arrays(t=np.arange(60.0), hr=hr))
    >>> float(np.nanmax(tail.hr)) < 152 and bool(np.isfinite(tail.hr).all())
    True
    """

    symbol = "clean"
    name = "Cleaned streams"
    units = "bpm, m/s, steps/min, °C"
    source = "Hampel identifier (Pearson 2002); Savitzky & Golay 1964; science.md HR stream cleaning"
    depends = ()

    def __init__(
        self,
        context_s: int = 120,
        hampel_half_width: int = 5,
        hampel_sigmas: float = 3.0,
        hr_max_rate: float = 5.0,
        max_gap_s: int = 5,
        savgol_window: int = 7,
        savgol_order: int = 2,
    ) -> None:
        if context_s < 60:
            raise ValueError("context_s must be at least 60 s (cadence lock and acute cramp look back 60 s)")
        if hampel_half_width < 1 or hampel_sigmas <= 0:
            raise ValueError("hampel_half_width must be >= 1 and hampel_sigmas > 0")
        if hr_max_rate <= 0:
            raise ValueError("hr_max_rate must be positive (bpm per second)")
        if not 0 <= max_gap_s <= 10:
            raise ValueError("max_gap_s must be within 0..10 s: longer gaps stay gaps")
        if savgol_window % 2 == 0 or savgol_window <= savgol_order or savgol_order < 0:
            raise ValueError("savgol_window must be odd and larger than savgol_order >= 0")
        self.context_s = context_s
        self.hampel_half_width = hampel_half_width
        self.hampel_sigmas = hampel_sigmas
        self.hr_max_rate = hr_max_rate
        self.max_gap_s = max_gap_s
        self.savgol_window = savgol_window
        self.savgol_order = savgol_order
        self._value: CleanTail | None = None

    def _despike(self, x: FloatArray, min_scale: float) -> FloatArray:
        return hampel(x, self.hampel_half_width, self.hampel_sigmas, min_scale)

    def _smooth(self, x: FloatArray) -> FloatArray:
        return savgol_runs(fill_short_gaps(x, self.max_gap_s), self.savgol_window, self.savgol_order)

    def update(self, ctx: Context) -> None:
        w = ctx.window
        n = len(w)
        first_new = min(max(ctx.first_new, 0), n)
        start = max(0, first_new - self.context_s)
        hr_raw = in_range(w.hr[start:], *HR_RANGE)
        cad_raw = in_range(w.cadence[start:], *CADENCE_RANGE)
        spd = in_range(w.speed[start:], *SPEED_RANGE)
        tmp = in_range(w.temp[start:], *TEMP_RANGE)

        hr = rate_limit(self._despike(hr_raw, 2.0), self.hr_max_rate)
        cad_rough = self._despike(cad_raw, 3.0)
        speed = self._smooth(self._despike(spd, 0.15))
        self._value = CleanTail(
            t=w.t[start:],
            hr=self._smooth(hr),
            speed=np.maximum(speed, 0.0),
            cadence=np.maximum(self._smooth(cad_rough), 0.0),
            cadence_rough=fill_short_gaps(cad_rough, self.max_gap_s),
            temp=hold_forward(self._despike(tmp, 0.5), max_hold=300.0),
            hr_raw=hr_raw,
            cadence_raw=cad_raw,
            new_from=first_new - start,
        )

    def get(self) -> CleanTail:
        assert self._value is not None, "update() first"
        return self._value

"""Cleaned recent streams (the tail of the window that this tick needs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from processors._util import FloatArray
from processors.cleaning import (
    fill_short_gaps_rows,
    hampel_rows,
    hold_forward,
    in_range,
    rate_limit,
    savgol_rows,
)
from processors.registry import Context, Processor, register
from processors.window import Window

#: Plausible ranges after which a value is dropped (HR: zero and sensor garbage; the wire already rejects
#: hr outside 25–250, here the physiological 30–230 bpm applies).
HR_RANGE = (30.0, 230.0)
SPEED_RANGE = (0.0, 10.0)  # m/s; 10 m/s = 100 s/km, the fastest pace the wire accepts
CADENCE_RANGE = (0.0, 260.0)
TEMP_RANGE = (-30.0, 60.0)
_LO = np.array([[HR_RANGE[0]], [SPEED_RANGE[0]], [CADENCE_RANGE[0]]])
_HI = np.array([[HR_RANGE[1]], [SPEED_RANGE[1]], [CADENCE_RANGE[1]]])
#: Smallest robust scale of the Hampel test per stream (HR bpm, speed m/s, cadence steps/min), so a flat
#: stretch (MAD 0) does not turn every small wiggle into an "outlier".
_MIN_SCALE = np.array([2.0, 0.15, 3.0])


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


def _to_json(a: FloatArray) -> list[list[float | None]] | list[float | None]:
    """NaN-free JSON form (NaN → None) of a 1-D or 2-D array."""
    if a.ndim == 2:
        return [[None if v != v else float(v) for v in row] for row in a.tolist()]
    return [None if v != v else float(v) for v in a.tolist()]


def _from_json(x: Any) -> FloatArray:
    return np.array(x if x else [], dtype=np.float64)


@register
class Clean(Processor):
    """Range check, Hampel de-spiking, HR rate limit, short-gap bridging and Savitzky–Golay smoothing.

    Incremental: each tick cleans only the grid seconds it has not seen (with the raw neighbours and the
    already-cleaned previous seconds as left context) and appends them to a buffer of the last ``context_s``
    cleaned seconds, so the cost does not grow with the window. A cleaned second is never revised later. The
    output tail holds the buffer plus the new seconds. When the new seconds do not follow the buffer (first
    tick, restored engine without buffer, a jump), the last ``context_s`` seconds before them are cleaned from
    the window afresh.

    Steps, per stream (science.md, HR stream cleaning): drop values out of range (HR 30–230 bpm, speed 0–10 m/s,
    cadence 0–260 steps/min, temperature −30–60 °C); Hampel identifier on an 11-s neighbourhood, 3 robust
    standard deviations (at least 2 bpm, 0.15 m/s, 3 steps/min); HR only: drop changes faster than
    ``hr_max_rate`` bpm/s; bridge gaps of at most ``max_gap_s`` seconds linearly (longer gaps stay gaps);
    Savitzky–Golay smoothing (7 s, quadratic) of each gap-free run. Temperature: range check and
    sample-and-hold for up to 5 min. Sources: Hampel identifier (Pearson 2002); Savitzky & Golay, Anal. Chem.
    1964.

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
        context_s: int = 60,
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
        #: how many already-cleaned seconds are prepended as left context for gap bridging and smoothing
        self._left = max_gap_s + savgol_window
        self._value: CleanTail | None = None
        # buffer of the last context_s cleaned seconds
        self._t_last: float | None = None
        self._pre = np.zeros((3, 0))  # after range check, Hampel, HR rate limit (before gap bridging)
        self._smooth = np.zeros((3, 0))  # final hr, speed, cadence
        self._rough = np.zeros(0)  # cadence de-spiked, gaps bridged, not smoothed
        self._raw = np.zeros((2, 0))  # range-checked hr and cadence
        self._hr_last: float | None = None  # rate limiter: last accepted HR
        self._hr_last_t = 0.0

    def _clean_region(self, w: Window, r0: int, contiguous: bool) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Clean window seconds ``[r0, n)``: returns (pre, raw hr/cadence, smooth) for that region."""
        n = len(w)
        h = self.hampel_half_width
        a = max(0, r0 - h)
        raw = np.stack((w.hr[a:], w.speed[a:], w.cadence[a:]))
        raw[~((raw >= _LO) & (raw <= _HI))] = np.nan  # NaN compares False (no warning)
        pre = hampel_rows(raw, h, self.hampel_sigmas, _MIN_SCALE)[:, r0 - a :]
        region_t0 = float(w.t[r0]) if n > r0 else 0.0
        if contiguous and self._hr_last is not None:
            pre[0] = rate_limit(pre[0], self.hr_max_rate, self._hr_last, region_t0 - self._hr_last_t)
        else:
            pre[0] = rate_limit(pre[0], self.hr_max_rate)
        good = np.flatnonzero(np.isfinite(pre[0]))
        if good.size:
            self._hr_last = float(pre[0, good[-1]])
            self._hr_last_t = region_t0 + float(good[-1])
        k = self._left if contiguous else 0
        ext = np.concatenate((self._pre[:, -k:], pre), axis=1) if k else pre
        filled = fill_short_gaps_rows(ext, self.max_gap_s)
        smooth = savgol_rows(filled, self.savgol_window, self.savgol_order)
        m = pre.shape[1]
        smooth = smooth[:, smooth.shape[1] - m :]
        np.maximum(smooth[1:], 0.0, out=smooth[1:])
        rough = filled[2, filled.shape[1] - m :]
        return pre, np.stack((raw[0, r0 - a :], raw[2, r0 - a :], rough)), smooth

    def update(self, ctx: Context) -> None:
        w = ctx.window
        n = len(w)
        first_new = min(max(ctx.first_new, 0), n)
        m = n - first_new
        prev_t = float(w.t[first_new - 1]) if first_new > 0 else None
        contiguous = (
            self._t_last is not None and prev_t is not None and prev_t == self._t_last and self._smooth.shape[1] > 0
        )
        if contiguous:
            r0 = first_new
        else:
            r0 = max(0, min(first_new, n - self.context_s))
            self._pre = np.zeros((3, 0))
            self._smooth = np.zeros((3, 0))
            self._rough = np.zeros(0)
            self._raw = np.zeros((2, 0))
            self._hr_last = None
        if n > r0:
            pre, raw_rough, smooth = self._clean_region(w, r0, contiguous)
            self._pre = np.concatenate((self._pre, pre), axis=1)
            self._smooth = np.concatenate((self._smooth, smooth), axis=1)
            self._raw = np.concatenate((self._raw, raw_rough[:2]), axis=1)
            self._rough = np.concatenate((self._rough, raw_rough[2]))
        # the tail: the new seconds and up to context_s before them, never older than the window
        size = min(self.context_s + m, self._smooth.shape[1], n)
        ts = n - size
        cut = self._smooth.shape[1] - size
        temp = in_range(w.temp[ts:], *TEMP_RANGE)
        if np.isnan(temp).any():  # hold the last reading for up to 5 min across gaps
            t0 = max(0, ts - 300)
            temp = hold_forward(in_range(w.temp[t0:], *TEMP_RANGE), max_hold=300.0)[ts - t0 :]
        self._value = CleanTail(
            t=w.t[ts:].copy(),  # not a view: the tail outlives the tick, the window must not
            hr=self._smooth[0, cut:],
            speed=self._smooth[1, cut:],
            cadence=self._smooth[2, cut:],
            cadence_rough=self._rough[cut:],
            temp=temp,
            hr_raw=self._raw[0, cut:],
            cadence_raw=self._raw[1, cut:],
            new_from=first_new - ts,
        )
        c = self.context_s
        # keep only what the next tick needs
        self._pre = self._pre[:, -c:]
        self._smooth = self._smooth[:, -c:]
        self._rough = self._rough[-c:]
        self._raw = self._raw[:, -c:]
        self._t_last = float(w.t[-1]) if n else self._t_last

    def get(self) -> CleanTail:
        assert self._value is not None, "update() first"
        return self._value

    def state_dict(self) -> dict[str, Any]:
        return {
            "t_last": self._t_last,
            "pre": _to_json(self._pre),
            "smooth": _to_json(self._smooth),
            "rough": _to_json(self._rough),
            "raw": _to_json(self._raw),
            "hr_last": self._hr_last,
            "hr_last_t": self._hr_last_t,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        t_last = state.get("t_last")
        self._t_last = None if t_last is None else float(t_last)
        self._pre = _from_json(state.get("pre")).reshape(3, -1)
        self._smooth = _from_json(state.get("smooth")).reshape(3, -1)
        self._rough = _from_json(state.get("rough")).reshape(-1)
        self._raw = _from_json(state.get("raw")).reshape(2, -1)
        hl = state.get("hr_last")
        self._hr_last = None if hl is None else float(hl)
        self._hr_last_t = float(state.get("hr_last_t", 0.0))

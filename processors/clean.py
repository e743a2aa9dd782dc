"""Cleaned recent streams (the tail of the window that this tick needs)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from processors._cleaning_lists import fill_short_gaps_list, floats_array, hampel_list, in_range_list, savgol_rows_tail
from processors._util import FloatArray
from processors.cleaning import (
    fill_short_gaps_rows,
    hampel_rows,
    hold_forward,
    in_range,
    rate_limit,
    rate_limit_list,
    savgol_rows,
)
from processors.registry import Context, Processor, register
from processors.window import Window

#: Plausible ranges after which a value is dropped (HR: zero and sensor garbage; the wire already rejects
#: hr outside 25–250, here the physiological 30–230 bpm applies).
HR_RANGE = (30.0, 230.0)
SPEED_RANGE = (0.0, 10.0)  # m/s; 10 m/s = 100 s/km, the fastest pace the wire accepts
CADENCE_RANGE = (0.0, 260.0)
_TEMP_LO: Final = -30.0
_TEMP_HI: Final = 60.0
TEMP_RANGE = (_TEMP_LO, _TEMP_HI)
_LO = np.array([[HR_RANGE[0]], [SPEED_RANGE[0]], [CADENCE_RANGE[0]]])
_HI = np.array([[HR_RANGE[1]], [SPEED_RANGE[1]], [CADENCE_RANGE[1]]])
#: Smallest robust scale of the Hampel test per stream (HR bpm, speed m/s, cadence steps/min), so a flat
#: stretch (MAD 0) does not turn every small wiggle into an "outlier".
_MIN_SCALES = (2.0, 0.15, 3.0)
_MIN_SCALE = np.array(_MIN_SCALES)
_RANGES = (HR_RANGE, SPEED_RANGE, CADENCE_RANGE)
_ROW_PARAMS = tuple((lo, hi, ms) for (lo, hi), ms in zip(_RANGES, _MIN_SCALES, strict=True))
#: rows of the buffer of cleaned seconds
_PRE, _SMOOTH, _ROUGH, _RAW = slice(0, 3), slice(3, 6), slice(6, 7), slice(7, 9)
#: a contiguous tick with at most this many new seconds is cleaned in plain floats (processors._cleaning_lists)
_SMALL = 32
# module-level aliases marked Final: compiled (mypyc), a call reads a C static instead of looking the name up
_min: Final[Callable[[FloatArray], float]] = np.minimum.reduce  # of a 1-D array: a NumPy float (NaN if any)
_max: Final[Callable[[FloatArray], float]] = np.maximum.reduce
_sum: Final = sum
_lmin: Final = min  # of a list
_setattr: Final = object.__setattr__  # of a frozen dataclass


@dataclass(frozen=True, slots=True, init=False)
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

    def __init__(
        self,
        t: FloatArray,
        hr: FloatArray,
        speed: FloatArray,
        cadence: FloatArray,
        cadence_rough: FloatArray,
        temp: FloatArray,
        hr_raw: FloatArray,
        cadence_raw: FloatArray,
        new_from: int,
    ) -> None:
        """The frozen dataclass's own ``__init__`` (an ``object.__setattr__`` per field), written out: compiled by
        mypyc with the rest of the module (the generated one runs as Python bytecode), once a tick."""
        _setattr(self, "t", t)
        _setattr(self, "hr", hr)
        _setattr(self, "speed", speed)
        _setattr(self, "cadence", cadence)
        _setattr(self, "cadence_rough", cadence_rough)
        _setattr(self, "temp", temp)
        _setattr(self, "hr_raw", hr_raw)
        _setattr(self, "cadence_raw", cadence_raw)
        _setattr(self, "new_from", new_from)

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


def _negative_zero(x: list[float]) -> bool:
    return any(v == 0.0 and math.copysign(1.0, v) < 0.0 for v in x)


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
        self._t_last: float | None = None
        # Buffer of the last context_s cleaned seconds: columns [_b0, _b1) of _buf, rows _PRE (after range check,
        # Hampel, HR rate limit; before gap bridging), _SMOOTH (final hr, speed, cadence), _ROUGH (cadence
        # de-spiked, gaps bridged, not smoothed), _RAW (range-checked hr and cadence). Append-only: a column
        # once written is never overwritten (a full buffer is replaced by a new one), so the tails handed out
        # (views into it) stay valid.
        self._buf = np.empty((9, 0))
        self._rows: list[FloatArray] = list(self._buf)  # its rows (1-D views)
        self._b0 = self._b1 = 0
        self._ctx: list[list[float]] | None = None  # the last _left pre seconds as floats (None: read _buf)
        self._hr_last: float | None = None  # rate limiter: last accepted HR
        self._hr_last_t = 0.0

    def _clean_region(
        self, w: Window, r0: int, contiguous: bool, ext_pre: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Clean window seconds ``[r0, n)`` with NumPy (``ext_pre``: the left context): returns (pre, raw
        hr/cadence and rough cadence, smooth) for that region."""
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
        ext = np.concatenate((ext_pre, pre), axis=1) if ext_pre.shape[1] else pre
        filled = fill_short_gaps_rows(ext, self.max_gap_s)
        smooth = savgol_rows(filled, self.savgol_window, self.savgol_order)
        m = pre.shape[1]
        smooth = smooth[:, smooth.shape[1] - m :]
        np.maximum(smooth[1:], 0.0, out=smooth[1:])
        rough = filled[2, filled.shape[1] - m :]
        return pre, np.stack((raw[0, r0 - a :], raw[2, r0 - a :], rough)), smooth

    def _clean_small(self, w: Window, r0: int, n: int) -> list[float] | None:
        """:meth:`_clean_region` (contiguous) in plain floats for a short region (``n``: the window's length):
        the new seconds' buffer rows laid end to end; None when a signed zero would make the sort order (and so
        a median) differ. Written out for three rows (no zip, no two-argument min/max): it runs every tick."""
        h = self.hampel_half_width
        a = r0 - h if r0 > h else 0
        i0 = r0 - a
        raw: list[list[float]] = []
        pre: list[list[float]] = []
        for i in range(3):
            x = w.hr if i == 0 else w.speed if i == 1 else w.cadence
            lo, hi, ms = _ROW_PARAMS[i]
            row: list[float] = x[a:n].tolist()
            # without NaN the sorted row's ends are its smallest and largest values (one sort of ~10 values costs
            # half of min() and max(); an end may be the other zero of ±0, which no comparison below tells apart)
            total: float = _sum(row)
            s = sorted(row) if total - total == 0.0 else None  # = math.isfinite(total) (inf − inf, NaN: NaN)
            if s is not None and lo <= s[0] and s[-1] <= hi:
                if s[-1] - s[0] <= self.hampel_sigmas * ms:  # hampel_list's own shortcut: no spike possible
                    raw.append(row)
                    pre.append(row[i0:])
                    continue
            else:
                row = in_range_list(row, lo, hi)
            if i and 0.0 in row and _negative_zero(row):
                return None
            raw.append(row)
            pre.append(hampel_list(row, i0, h, self.hampel_sigmas, ms))
        region_t0: float = w.t.item(r0)
        hr = pre[0] = rate_limit_list(pre[0], self.hr_max_rate, self._hr_last, region_t0 - self._hr_last_t)
        for j in range(len(hr) - 1, -1, -1):
            if hr[j] == hr[j]:
                self._hr_last, self._hr_last_t = hr[j], region_t0 + float(j)
                break
        if self._ctx is None:
            b0 = self._b1 - self._left
            self._ctx = self._buf[_PRE, b0 if b0 > self._b0 else self._b0 : self._b1].tolist()
        c: list[list[float]] = self._ctx  # typed: compiled, list operations (the attribute is Optional)
        e0, e1, e2 = c[0] + pre[0], c[1] + pre[1], c[2] + pre[2]
        k = -self._left
        self._ctx = [e0[k:], e1[k:], e2[k:]]
        g = self.max_gap_s
        # a row without NaN is its own fill (fill_short_gaps_list would copy it)
        t0: float = _sum(e0)  # x − x == 0.0: math.isfinite(x), without a call
        t1: float = _sum(e1)
        t2: float = _sum(e2)
        f0 = e0 if t0 - t0 == 0.0 else fill_short_gaps_list(e0, g)
        f1 = e1 if t1 - t1 == 0.0 else fill_short_gaps_list(e1, g)
        f2 = e2 if t2 - t2 == 0.0 else fill_short_gaps_list(e2, g)
        finite = f0 is e0 and f1 is e1 and f2 is e2
        m = len(hr)
        s0, s1, s2 = savgol_rows_tail([f0, f1, f2], m, self.savgol_window, self.savgol_order, finite or None)
        # np.maximum(x, 0.0) of smoothed speed and cadence (−0.0 → 0.0): nothing to change when the smallest is
        # positive (min() skips a NaN unless it comes first, and then its result is NaN: the comprehension)
        if not _lmin(s1) > 0.0:
            s1 = [v if v > 0.0 or v != v else 0.0 for v in s1]
        if not _lmin(s2) > 0.0:
            s2 = [v if v > 0.0 or v != v else 0.0 for v in s2]
        return [*pre[0], *pre[1], *pre[2], *s0, *s1, *s2, *f2[-m:], *raw[0][i0:], *raw[2][i0:]]

    def _append(self, block: FloatArray, m: int) -> None:
        """Append ``m`` cleaned seconds (9 rows in buffer order) to the buffer."""
        if self._b1 + m > self._buf.shape[1]:  # full: a new buffer (the old one may back handed-out tails)
            keep = min(self._b1 - self._b0, self.context_s)
            buf = np.empty((9, 2 * (self.context_s + m)))
            buf[:, :keep] = self._buf[:, self._b1 - keep : self._b1]
            self._buf, self._rows, self._b0, self._b1 = buf, list(buf), 0, keep
        self._buf[:, self._b1 : self._b1 + m] = block
        self._b1 += m

    def update(self, ctx: Context) -> None:
        w = ctx.window
        n = len(w)
        first_new = ctx.first_new
        first_new = 0 if first_new < 0 else n if first_new > n else first_new  # clipped to [0, n]
        m = n - first_new
        prev_t = w.t.item(first_new - 1) if first_new > 0 else None
        contiguous = self._t_last is not None and prev_t is not None and prev_t == self._t_last and self._b1 > self._b0
        if contiguous:
            r0 = first_new
        else:
            r0 = max(0, min(first_new, n - self.context_s))
            self._b0 = self._b1  # empty (no column is overwritten: the next ones are appended after it)
            self._hr_last = None
            self._ctx = None
        if n > r0:
            small = self._clean_small(w, r0, n) if contiguous and n - r0 <= _SMALL else None
            if small is not None:
                self._append(floats_array(small).reshape(9, n - r0), n - r0)
            else:
                ext = self._buf[_PRE, max(self._b0, self._b1 - self._left) : self._b1 if contiguous else self._b0]
                pre, raw_rough, smooth = self._clean_region(w, r0, contiguous, ext)
                self._append(np.concatenate((pre, smooth, raw_rough[2:], raw_rough[:2])), n - r0)
                self._ctx = None
        # the tail: the new seconds and up to context_s before them, never older than the window
        b0, b1 = self._b0, self._b1
        size = self.context_s + m
        size = b1 - b0 if b1 - b0 < size else size
        size = n if n < size else size  # min(context_s + m, b1 - b0, n)
        ts = n - size
        cut = b1 - size
        temp = w.temp[ts:]
        if size and _min(temp) >= _TEMP_LO and _max(temp) <= _TEMP_HI:  # NaN compares False
            temp = temp.copy()  # = in_range(temp)
        else:  # hold the last reading for up to 5 min across gaps
            t0 = max(0, ts - 300)
            temp = hold_forward(in_range(w.temp[t0:], *TEMP_RANGE), max_hold=300.0)[ts - t0 :]
        rows = self._rows
        cols = slice(cut, b1)
        self._value = CleanTail(
            w.t[ts:].copy(),  # t — not a view: the tail outlives the tick, the window must not
            rows[3][cols],  # hr
            rows[4][cols],  # speed
            rows[5][cols],  # cadence
            rows[6][cols],  # cadence_rough
            temp,
            rows[7][cols],  # hr_raw
            rows[8][cols],  # cadence_raw
            first_new - ts,  # new_from
        )
        keep = b1 - self.context_s
        self._b0 = keep if keep > b0 else b0  # keep only what the next tick needs
        self._t_last = w.now if n else self._t_last

    def get(self) -> CleanTail:
        assert self._value is not None, "update() first"
        return self._value

    def state_dict(self) -> dict[str, Any]:
        buf = self._buf[:, self._b0 : self._b1]
        return {
            "t_last": self._t_last,
            "pre": _to_json(buf[_PRE]),
            "smooth": _to_json(buf[_SMOOTH]),
            "rough": _to_json(buf[6]),
            "raw": _to_json(buf[_RAW]),
            "hr_last": self._hr_last,
            "hr_last_t": self._hr_last_t,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        t_last = state.get("t_last")
        self._t_last = None if t_last is None else float(t_last)
        pre = _from_json(state.get("pre")).reshape(3, -1)
        smooth = _from_json(state.get("smooth")).reshape(3, -1)
        rough = _from_json(state.get("rough")).reshape(1, -1)
        raw = _from_json(state.get("raw")).reshape(2, -1)
        k = min(pre.shape[1], smooth.shape[1], rough.shape[1], raw.shape[1])  # equal unless the state is corrupt
        self._buf = np.concatenate([x[:, x.shape[1] - k :] for x in (pre, smooth, rough, raw)])
        self._rows, self._b0, self._b1, self._ctx = list(self._buf), 0, k, None
        hl = state.get("hr_last")
        self._hr_last = None if hl is None else float(hl)
        self._hr_last_t = float(state.get("hr_last_t", 0.0))


register(Clean)

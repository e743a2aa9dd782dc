"""Optical "cadence lock": the wrist sensor reports the step rate as heart rate."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from processors._util import FloatArray
from processors.clean import CleanTail
from processors.registry import Context, Processor, register


class CadenceLock(Processor):
    """``True`` while heart rate looks like a copy of cadence (or of half of it).

    Over the last ``window_s`` seconds, with at least ``min_pairs`` seconds where both streams are known and
    the athlete steps (cadence ≥ 100 steps/min), HR is *locked* when

    * it sits within ``tolerance_bpm`` of cadence (or of cadence/2) in at least ``enter_share`` of them, and
    * it moves *with* cadence: the second-to-second changes correlate (r ≥ 0.6), or, both frozen, it is an
      exact copy (within 1 bpm in 90 % of the seconds).

    The second condition separates a lock from a real HR that merely crosses the cadence value while drifting.
    Hysteresis: once locked, the flag clears when the share falls below ``leave_share`` or HR stops moving with
    cadence (a real HR that happens to sit near the cadence value does not keep the flag on). While locked,
    HR-based indicators ignore the HR stream (they report None or stop integrating). On the project's simulated
    runs (optical artefacts of 60–240 s) this flags 77 % of the locked seconds, none outside a lock (40 s
    window). Source: science.md (HR stream cleaning, cadence lock).

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> cad = 170 + np.round(np.sin(np.arange(120) / 3.0) * 3)
    >>> compute("hr_unreliable", Window.from_arrays(t=np.arange(120.0), hr=cad + 1, cadence=cad))
    True
    >>> compute("hr_unreliable", Window.from_arrays(t=np.arange(120.0), hr=np.full(120, 140.0), cadence=cad))
    False
    """

    symbol = "hr_unreliable"
    name = "HR unreliable (cadence lock)"
    units = "bool"
    source = "science.md: optical HR cadence lock (HR ≈ cadence for a while)"
    depends = ("clean",)

    def __init__(
        self,
        window_s: int = 40,
        min_pairs: int = 25,
        tolerance_bpm: float = 3.0,
        enter_share: float = 0.7,
        leave_share: float = 0.3,
    ) -> None:
        if window_s < 20 or min_pairs < 10 or min_pairs > window_s:
            raise ValueError("need window_s >= 20 and 10 <= min_pairs <= window_s")
        if tolerance_bpm <= 0:
            raise ValueError("tolerance_bpm must be positive")
        if not 0.0 < leave_share < enter_share <= 1.0:
            raise ValueError("need 0 < leave_share < enter_share <= 1")
        self.window_s = window_s
        self.min_pairs = min_pairs
        self.tolerance_bpm = tolerance_bpm
        self.enter_share = enter_share
        self.leave_share = leave_share
        self._locked = False
        # the last tick's seconds: HR and cadence as bytes, one code per second (bit 0: cadence >= 100 with an HR,
        # bit 1: HR on cadence, bit 2: HR on half of it), and the three counts over them
        self._seen_hr = self._seen_cad = b""
        self._codes: list[int] = []
        self._n = (0, 0, 0)

    def _counts(self, hr: FloatArray, cad: FloatArray, m: int) -> tuple[int, int, int]:
        """How many seconds have a cadence >= 100 and an HR, and of them how many an HR within the tolerance of
        the cadence and of half of it (the comparisons of the NumPy code this replaced: NaN compares False,
        cad · 1.0 is cad). Each tick adds ``m`` seconds to the ~40 of the last one: when the seconds before them
        are the very same bits as last tick's last ones, their codes are kept and only the new seconds counted
        (and those that fell out taken off); otherwise all are counted (tests/processors/test_plain_float_paths.py)."""
        hb: bytes = hr.tobytes()
        cb: bytes = cad.tobytes()
        k: int = hr.shape[0]
        old = k - m
        seen = len(self._codes)
        n_ok, on_full, on_half = self._n
        if (
            0 < old <= seen
            and hb[: 8 * old] == self._seen_hr[8 * (seen - old) :]
            and cb[: 8 * old] == (self._seen_cad[8 * (seen - old) :])
        ):
            codes = self._codes
            for code in codes[: seen - old]:  # fell out of the window
                n_ok -= code & 1
                on_full -= (code >> 1) & 1
                on_half -= code >> 2
            del codes[: seen - old]
            start = old
        else:
            codes = []
            n_ok = on_full = on_half = 0
            start = 0
        tol = self.tolerance_bpm
        hs: list[float] = hr[start:].tolist()
        cs: list[float] = cad[start:].tolist()
        if len(hs) != len(cs):  # zip(..., strict=True)'s check, once
            raise ValueError("_counts: hr and cadence differ in length")
        for h, c in zip(hs, cs):  # noqa: B905 (checked above; compiled, a C loop without the keyword)
            if c >= 100.0 and h == h:
                full = abs(h - c) <= tol
                half = abs(h - c * 0.5) <= tol
                codes.append(1 | full << 1 | half << 2)
                n_ok += 1
                on_full += full
                on_half += half
            else:
                codes.append(0)
        self._seen_hr, self._seen_cad, self._codes, self._n = hb, cb, codes, (n_ok, on_full, on_half)
        return n_ok, on_full, on_half

    def _tracks(self, hr: FloatArray, cad: FloatArray) -> bool:
        """Does HR move with cadence (second-to-second changes correlated), or sit exactly on a frozen cadence?"""
        dh, dc = np.diff(hr), np.diff(cad)
        dh -= dh.mean()
        dc -= dc.mean()
        vh, vc = float(dh @ dh), float(dc @ dc)  # n x variance: the std and Pearson's r without np.corrcoef's cost
        n = max(dh.shape[0], 1)
        sh, sc = math.sqrt(vh / n), math.sqrt(vc / n)
        if sh < 0.5 and sc < 0.5:
            # both nearly frozen: only an exact copy counts (a real HR near a steady cadence is common)
            return bool(int(np.count_nonzero(np.abs(hr - cad) <= 1.0)) >= 0.9 * hr.shape[0])
        if sh == 0 or sc == 0:
            return False
        return float(dh @ dc) / math.sqrt(vh * vc) >= 0.6

    def update(self, ctx: Context) -> None:
        tail: CleanTail = ctx.results["clean"]
        hr = tail.hr_raw[-self.window_s :]
        cad = tail.cadence_raw[-self.window_s :]
        n_ok, on_full, on_half = self._counts(hr, cad, len(tail) - tail.new_from)
        if n_ok < self.min_pairs:
            return  # not enough evidence either way: keep the current state
        best_share, best_mult = 0.0, 1.0  # the higher share of HR on cadence (x1.0) or on half of it (x0.5)
        share = on_full / n_ok
        if share > best_share:
            best_share, best_mult = share, 1.0
        share = on_half / n_ok
        if share > best_share:
            best_share, best_mult = share, 0.5
        if not self._locked and best_share < self.enter_share:
            return
        ok = (cad >= 100.0) & (hr == hr)
        hr, cad = hr[ok], cad[ok]
        if self._locked:  # stays locked while HR still sits on cadence and moves with it
            self._locked = best_share >= self.leave_share and self._tracks(hr, cad * best_mult)
        elif best_share >= self.enter_share:
            self._locked = self._tracks(hr, cad * best_mult)

    def get(self) -> bool:
        return self._locked

    def state_dict(self) -> dict[str, Any]:
        return {"locked": self._locked}

    def load_state(self, state: dict[str, Any]) -> None:
        self._locked = bool(state.get("locked", False))


register(CadenceLock)

"""Friel's aerobic decoupling: the first half of the steady running against the second half."""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np

from processors._util import FloatArray, fround
from processors._util import median as median_of
from processors.bins import N_FIELDS, N_M, N_P, S_M, S_P_HR, S_P_SPD, BinStore
from processors.decoupling import decoupling_pct
from processors.registry import Context, Processor, register

#: Minutes of rows allocated when a session starts (4 h: 9.6 KB), so the state does not grow in a usual run; a
#: longer one doubles it.
PREALLOCATED_MIN: Final = 240


def halves_decoupling(rows: FloatArray, min_half_s: float) -> float | None:
    """Pa:HR decoupling of the selected bins: split them in two halves of equal moving-with-HR time, EF = Σspeed/ΣHR
    of each, 100 · (EF₁ − EF₂) / EF₁. None with fewer than ``min_half_s`` seconds in a half.

    Worked example: 20 min at 3.0 m/s and 150 bpm, then 20 min at 3.0 m/s and 156 bpm → 100·(1 − 150/156) = 3.85 %.

    >>> rows = np.zeros((240, N_FIELDS)); rows[:, N_P] = 10; rows[:, S_P_SPD] = 30.0
    >>> rows[:120, S_P_HR] = 1500.0; rows[120:, S_P_HR] = 1560.0
    >>> round(halves_decoupling(rows, 600), 2)
    3.85
    """
    n = rows[:, N_P]
    total = float(np.add.reduce(n))  # .sum() without its Python wrapper (here and below)
    if total < 2 * min_half_s:
        return None
    cum = np.cumsum(n)
    first = cum <= total / 2.0
    a, b = rows[first], rows[~first]
    if float(np.add.reduce(a[:, N_P])) < min_half_s or float(np.add.reduce(b[:, N_P])) < min_half_s:
        return None
    hr_a, hr_b = float(np.add.reduce(a[:, S_P_HR])), float(np.add.reduce(b[:, S_P_HR]))
    if hr_a <= 0 or hr_b <= 0:
        return None
    ef_a, ef_b = float(np.add.reduce(a[:, S_P_SPD])) / hr_a, float(np.add.reduce(b[:, S_P_SPD])) / hr_b
    return None if ef_a <= 0 else decoupling_pct(ef_a, ef_b)


#: The minute rows this processor keeps: moving seconds, Σspeed over them, moving seconds with HR, Σspeed, ΣHR.
_M_N, _M_S, _P_N, _P_SPD, _P_HR = range(5)


def steady_minutes(rows: FloatArray, tol: float, settle: int) -> np.ndarray:
    """Mask of the settled steady minutes: (almost) all moving, HR for at least half of it, mean speed within
    ``tol`` of the median speed of such minutes, and the ``settle`` minutes before it steady too (HR has settled
    after a pace change, a walk or a stop).

    >>> rows = np.zeros((8, 5)); rows[:, _M_N] = rows[:, _P_N] = 60; rows[:, _M_S] = rows[:, _P_SPD] = 180.0
    >>> rows[3, _M_S] = 90.0  # a walking minute
    >>> steady_minutes(rows, 0.1, 1).astype(int).tolist()
    [0, 1, 1, 0, 0, 1, 1, 1]
    """
    n = rows[:, _M_N]
    full = (n >= 48) & (rows[:, _P_N] >= 30)
    ok = np.zeros(rows.shape[0], dtype=bool)
    if not np.logical_or.reduce(full):
        return ok
    speed = rows[:, _M_S] / np.maximum(n, 1.0)
    median = median_of(speed[full])
    good = full & (np.abs(speed - median) <= tol * median)
    idx = np.arange(rows.shape[0])
    last_bad = np.maximum.accumulate(np.where(good, -1, idx))
    out: np.ndarray = good & (idx - last_bad > settle)
    return out


class DecouplingFriel(Processor):
    """``decoupling_friel_pct``: aerobic decoupling as Friel defines it — EF (speed/HR) of the first half against
    the second half of the steady running so far, after the warm-up (the first ``warmup_s`` left out). Steady:
    minutes of running within ±``steady_tol`` of the median speed of the session's moving minutes after the
    warm-up, with the ``settle_s`` before them steady too (:func:`steady_minutes`: walk breaks, stops, surges and
    the minutes after a pace change left out). At the end of a run it is the post-run figure ``analyze`` reports;
    under 5 % on a steady aerobic run means the effort stayed below the aerobic threshold (Friel). The live
    ``decoupling_pct`` compares a reference window with the last 10 min instead (science.md). Kept as one small row
    per minute of the whole session (so a restart loses nothing); None with fewer than ``min_half_s`` steady
    seconds in either half, and while HR is unreliable.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> t = np.arange(3000.0); hr = 150.0 + 8.0 * t / 3000.0  # HR creeps up at a steady 3.0 m/s
    >>> # steady from minute 13 (10 warm-up + 3 settling): halves average 153.6 and 156.5 bpm
    >>> round(compute("decoupling_friel_pct", Window.from_arrays(t=t, hr=hr, speed=np.full(3000, 3.0))), 1)
    1.9
    """

    symbol = "decoupling_friel_pct"
    name = "Aerobic decoupling, first vs second half (Friel)"
    units = "%"
    source = "Friel, The Triathlete's Training Bible (Pa:HR decoupling, first half vs second half, 5 % mark)"
    depends = ("bins", "hr_unreliable")

    def __init__(
        self, warmup_s: float = 600.0, min_half_s: float = 600.0, steady_tol: float = 0.10, settle_s: float = 180.0
    ) -> None:
        if warmup_s < 0 or min_half_s <= 0 or not 0 < steady_tol < 0.5 or settle_s < 0:
            raise ValueError("need warmup_s >= 0, min_half_s > 0, 0 < steady_tol < 0.5 and settle_s >= 0")
        self.warmup_s = warmup_s
        self.min_half_s = min_half_s
        self.steady_tol = steady_tol
        self.settle_s = settle_s
        self._minutes = np.zeros((PREALLOCATED_MIN, 5))  # one row per minute, preallocated (issue 11: flat)
        self._n = 0  # rows used
        self._bins_used = 0
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        store: BinStore = ctx.results["bins"]
        per = max(1, round(60 / store.bin_s))
        k = store.n_complete(ctx.window.elapsed)
        grown = False
        while self._bins_used + per <= k:
            r = store.between(self._bins_used * store.bin_s, (self._bins_used + per) * store.bin_s)
            self._append(r[:, [N_M, S_M, N_P, S_P_SPD, S_P_HR]].sum(axis=0))
            self._bins_used += per
            grown = True
        if ctx.results["hr_unreliable"]:
            self._value = None
        elif grown:
            self._value = self._compute()

    def _append(self, row: FloatArray) -> None:
        if self._n == self._minutes.shape[0]:  # past the preallocated hours: double
            self._minutes = np.concatenate([self._minutes, np.zeros_like(self._minutes)])
        self._minutes[self._n] = row
        self._n += 1

    def _compute(self) -> float | None:
        rows = self._minutes[math.ceil(self.warmup_s / 60.0) : self._n]
        if rows.shape[0] * 60 < 2 * self.min_half_s:
            return None
        sel = rows[steady_minutes(rows, self.steady_tol, math.ceil(self.settle_s / 60.0))]
        as_bins = np.zeros((sel.shape[0], N_FIELDS))
        as_bins[:, [N_P, S_P_SPD, S_P_HR]] = sel[:, [_P_N, _P_SPD, _P_HR]]
        v = halves_decoupling(as_bins, self.min_half_s)
        return None if v is None or not math.isfinite(v) else fround(v, 4)

    def get(self) -> float | None:
        return self._value

    def state_dict(self) -> dict[str, Any]:
        minutes = self._minutes[: self._n].tolist()
        return {"minutes": minutes, "bins_used": self._bins_used, "value": self._value}

    def load_state(self, state: dict[str, Any]) -> None:
        rows = [[float(x) for x in m] for m in state.get("minutes", [])]
        self._minutes = np.zeros((max(PREALLOCATED_MIN, len(rows)), 5))
        if rows:
            self._minutes[: len(rows)] = rows
        self._n = len(rows)
        self._bins_used = int(state.get("bins_used", 0))
        v = state.get("value")
        self._value = None if v is None else float(v)


register(DecouplingFriel)

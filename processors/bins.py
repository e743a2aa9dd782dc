"""The session's history in 10-second bins (sums and counts), for indicators that look back minutes or
hours."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Any, Final, TypeVar

import numpy as np
from numpy.typing import NDArray

from processors._util import MOVING_MIN_SPEED, SMALL, FloatArray
from processors.clean import CleanTail
from processors.registry import Context, Processor, register

# column layout of a bin row (Final: compiled, each use is the literal, here and in the modules importing them)
N_HR: Final = 0  # seconds with a (reliable) HR
S_HR: Final = 1  # sum of HR
N_P: Final = 2  # moving seconds with both speed and HR: count, sum speed, sum HR
S_P_SPD: Final = 3
S_P_HR: Final = 4
N_C: Final = 5  # moving seconds with cadence: count, Σcadence, Σcadence², Σspeed, Σstep length
S_C: Final = 6
SS_C: Final = 7
S_C_SPD: Final = 8
S_STEP: Final = 9
N_M: Final = 10  # moving seconds: count, sum speed
S_M: Final = 11
N_T: Final = 12  # seconds with temperature
S_T: Final = 13
N_FIELDS: Final = 14
#: What a saved state keeps: the bins of the first HEAD_KEEP_S seconds (gait baseline minutes 5-15, decoupling
#: reference minutes 10-20) and of the last TAIL_KEEP_S seconds (drift looks back 60 min; the rest less).
HEAD_KEEP_S = 1200.0
TAIL_KEEP_S = 3700.0
#: Below this many steps/min nobody is running: such cadence seconds are not used for gait.
MIN_STEP_RATE: Final = 30.0
#: Longest plausible step (m): half of :data:`processors.stride.MAX_STRIDE_M`. Seconds with a longer step come
#: from a GPS speed spike and count for no gait sum (cadence, step length).
MAX_STEP_M: Final = 2.0
# Each bin column as (mask, value) of the masks @ values product in Bins.update: masks hr, paired, cadence,
# moving, temperature; values 1, hr, speed, cadence, cadence², step, temperature.
_PICK = {
    N_HR: (0, 0), S_HR: (0, 1),
    N_P: (1, 0), S_P_SPD: (1, 2), S_P_HR: (1, 1),
    N_C: (2, 0), S_C: (2, 3), SS_C: (2, 4), S_C_SPD: (2, 2), S_STEP: (2, 5),
    N_M: (3, 0), S_M: (3, 2),
    N_T: (4, 0), S_T: (4, 6),
}  # fmt: skip
_PICK_ROW = np.array([_PICK[c][0] for c in range(N_FIELDS)])
_PICK_COL = np.array([_PICK[c][1] for c in range(N_FIELDS)])

T = TypeVar("T")
# _sums_small builds its row in this column order
assert tuple(range(14)) == (N_HR, S_HR, N_P, S_P_SPD, S_P_HR, N_C, S_C, SS_C, S_C_SPD, S_STEP, N_M, S_M, N_T, S_T)


def _sums_small(hr: list[float], spd: list[float], cad: list[float], tmp: list[float]) -> list[float]:
    """One bin row of sums for a few seconds, in plain Python (same as the NumPy path in :class:`Bins`): each sum in
    a local float (the same additions in the same order as into a row list, without an item access per sum)."""
    n_hr = s_hr = n_p = s_p_spd = s_p_hr = n_c = s_c = ss_c = s_c_spd = s_step = n_m = s_m = n_t = s_t = 0.0
    moving_min = MOVING_MIN_SPEED  # (compiled: one module-dict lookup, not one a second)
    if not len(hr) == len(spd) == len(cad) == len(tmp):  # zip(..., strict=True)'s check, once
        raise ValueError("_sums_small: the four streams differ in length")
    # without keywords, compiled, the zip is a C loop over the lists
    for h, v, c, tc in zip(hr, spd, cad, tmp):  # noqa: B905 (lengths checked above)
        has_hr = h == h  # NaN compares False
        if has_hr:
            n_hr += 1.0
            s_hr += h
        if v >= moving_min:
            n_m += 1.0
            s_m += v
            if has_hr:
                n_p += 1.0
                s_p_spd += v
                s_p_hr += h
            if c >= MIN_STEP_RATE and 60.0 * v <= MAX_STEP_M * c:
                n_c += 1.0
                s_c += c
                ss_c += c * c
                s_c_spd += v
                s_step += 60.0 * v / c
        if tc == tc:
            n_t += 1.0
            s_t += tc
    return [n_hr, s_hr, n_p, s_p_spd, s_p_hr, n_c, s_c, ss_c, s_c_spd, s_step, n_m, s_m, n_t, s_t]


def column_sums(rows: FloatArray) -> list[float]:
    """``[float(rows[:, c].sum()) for c in range(rows.shape[1])]`` bit for bit in one NumPy call: each column,
    copied contiguous, is summed in the same pairwise order (tests/processors/test_bin_sums.py).

    >>> column_sums(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    [9.0, 12.0]
    """
    out: list[float] = np.add.reduce(np.ascontiguousarray(rows.T), axis=1).tolist()  # .sum(axis=1), no wrapper
    return out


class BinStore:
    """The session's 10-s bins in a preallocated ``(capacity, N_FIELDS)`` array; bin ``k`` covers elapsed seconds
    ``[k·bin_s, (k+1)·bin_s)``.

    Memory is flat from the start: the store keeps the first ``HEAD_KEEP_S`` seconds (baselines, decoupling
    reference) and at least the last ``TAIL_KEEP_S`` seconds (drift, monotony, recent windows); when the session
    outgrows the array, the bins in between are dropped (they read as zeros, exactly as after restoring a saved
    state, which never held them). Reads return contiguous rows without copying unless they span dropped bins.

    >>> store = BinStore(10)
    >>> store.ensure(2000)  # 5.5 h of bins
    >>> store.n, store.capacity < 2000, store.between(0, 50).shape, store.last(100, 19_999).shape
    (2000, True, (5, 14), (10, 14))
    """

    def __init__(self, bin_s: int) -> None:
        self.bin_s = bin_s
        self.head = math.ceil(HEAD_KEEP_S / bin_s)
        self.keep = math.ceil(TAIL_KEEP_S / bin_s)
        self.capacity = self.head + self.keep + max(16, self.keep // 6)
        self._rows = np.zeros((self.capacity, N_FIELDS))
        self._off = 0  # bins dropped between the head and the tail: bin k >= head + _off is row k - _off
        self.n = 0
        # the last n_complete answer and its inputs
        self._nc_elapsed: float = math.nan
        self._nc_n = -1
        self._nc = 0
        #: Bumped by every write (:meth:`touch`): what :meth:`memo` keeps is dropped when it changes.
        self.version = 0
        self._memo: dict[Hashable, Any] = {}
        self._memo_version = 0
        #: Bumped by a write that may change a bin below the newest one (``n - 1``): :meth:`put`, and seconds
        #: older than the newest bin. :class:`Bins` writes seconds in time order (only those newer than the engine
        #: has seen), so while this is unchanged every bin below ``n - 1`` keeps its value (as long as
        #: :meth:`as_written`): what is derived from such bins may be kept (processors._drift_groups).
        self.rewrites = 0

    def touch(self) -> None:
        """Note that bins change (every writer calls it before writing)."""
        self.version += 1

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """``make()``, computed once per ``key`` while the bins are unchanged: several processors derive the same
        thing (e.g. the steady-running mask of the same complete bins) in one tick."""
        if self._memo_version != self.version:
            self._memo.clear()
            self._memo_version = self.version
        if key in self._memo:
            return self._memo[key]  # type: ignore[no-any-return]
        value = self._memo[key] = make()
        return value

    def ensure(self, n_bins: int) -> None:
        self.touch()
        if n_bins - self._off > self.capacity:
            off = n_bins - self.head - self.keep
            rows, h = self._rows, self.head
            first = max(self.head + off, h)  # the oldest bin that stays in the tail
            m = max(0, self.n - first)
            if m:
                rows[h : h + m] = rows[first - self._off : self.n - self._off].copy()
            rows[h + m :] = 0.0
            self._off = off
        self.n = max(self.n, n_bins)

    def row(self, k: int) -> int | None:
        """The array row of bin ``k`` (None: dropped or not yet allocated)."""
        if k < self.head:
            return k if k < self.n else None
        return k - self._off if self.head + self._off <= k < self.n else None

    def as_written(self, k0: int, k1: int) -> bool:
        """Whether bins ``[k0, k1)`` all read as written (none of them dropped between the head and the tail)."""
        return self._off == 0 or k1 <= self.head or k0 >= self.head + self._off

    def rows_of(self, ks: NDArray[np.int64]) -> NDArray[np.int64]:
        """Array rows of bins ``ks`` (each kept: the newest bins always are)."""
        return np.where(ks < self.head, ks, ks - self._off)

    def _get(self, k0: int, k1: int) -> FloatArray:
        if k1 <= k0:
            return self._rows[0:0]
        if self._off == 0 or k1 <= self.head:
            return self._rows[k0:k1]
        if k0 >= self.head + self._off:
            return self._rows[k0 - self._off : k1 - self._off]
        out = np.zeros((k1 - k0, N_FIELDS))  # spans dropped bins (zeros)
        for k in range(k0, k1):
            r = self.row(k)
            if r is not None:
                out[k - k0] = self._rows[r]
        return out

    @property
    def rows(self) -> FloatArray:
        """All ``n`` bins (dropped ones as zeros; a copy once bins were dropped)."""
        return self._get(0, self.n)

    def between(self, e0: float, e1: float) -> FloatArray:
        """Rows of the bins whose start lies in elapsed ``[e0, e1)`` (seconds since session start)."""
        k0 = max(0, math.ceil(e0 / self.bin_s))
        k1 = self.n if e1 == math.inf else min(self.n, max(0, math.ceil(e1 / self.bin_s)))
        return self._get(k0, k1)

    def last(self, span_s: float, elapsed: float) -> FloatArray:
        """Rows of the bins that start within the last ``span_s`` seconds up to ``elapsed`` (the newest bin,
        possibly still filling, included)."""
        return self.between(elapsed - span_s, math.inf)

    def n_complete(self, elapsed: float) -> int:
        """How many bins are complete once grid second ``elapsed`` is in (bin k ends at (k+1)·bin_s − 1). Asked ~13
        times a tick with the same ``elapsed``: the last answer is kept with its inputs (``n`` and ``elapsed``; a NaN
        never equals itself, so it is never reused). Computed, ``max(0, min(self.n, k))`` is written as comparisons
        (the builtins' two-argument calls cost ~1 k instructions each; the same int, ``self.n`` being a count)."""
        n = self.n
        if elapsed == self._nc_elapsed and n == self._nc_n:
            return self._nc
        k = math.floor((elapsed + 1.0) / self.bin_s)
        k = n if k > n else k if k > 0 else 0
        self._nc_elapsed, self._nc_n, self._nc = elapsed, n, k
        return k

    def last_complete(self, span_s: float, elapsed: float) -> FloatArray:
        """The complete bins of the last ``span_s`` seconds (the bin still filling is left out, so the result
        changes only every ``bin_s`` seconds and can be cached on :meth:`n_complete`)."""
        k1 = self.n_complete(elapsed)
        k0 = max(0, k1 - math.ceil(span_s / self.bin_s))
        return self._get(k0, k1)

    def complete_sums(self, span_s: float, elapsed: float) -> list[float]:
        """:func:`column_sums` of :meth:`last_complete`, computed once per span while the bins are unchanged
        (:meth:`memo`): the indicators over the last ten minutes read sums of the same bins."""
        key = ("complete_sums", self.n_complete(elapsed), span_s)
        return self.memo(key, lambda: column_sums(self.last_complete(span_s, elapsed)))

    def put(self, k0: int, rows: FloatArray) -> None:
        """Write ``rows`` as bins ``k0, k0+1, …`` (bins that are not kept are skipped)."""
        self.touch()
        self.rewrites += 1
        for i in range(rows.shape[0]):
            r = self.row(k0 + i)
            if r is not None:
                self._rows[r] = rows[i]

    def to_lists(self) -> list[list[float]]:
        return [[float(v) for v in row] for row in self.rows.tolist()]

    @classmethod
    def from_lists(cls, bin_s: int, rows: list[list[float]]) -> BinStore:
        store = cls(bin_s)
        if rows:
            arr = np.asarray(rows, dtype=np.float64).reshape(-1, N_FIELDS)
            store.ensure(arr.shape[0])
            store.put(0, arr)
        return store


class Bins(Processor):
    """Integrates each new grid second (cleaned values) into 10-s bins indexed from the session start.

    Only seconds newer than the last tick are added, so overlapping windows never count a second twice. The
    bins are the engine's long memory: drift, decoupling, gait baselines and monotony read them.

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> w = Window.from_arrays(t=np.arange(30.0), speed=np.full(30, 3.0), cadence=np.full(30, 180.0))
    >>> store = compute("bins", w)
    >>> store.n, store.rows[:, N_M].tolist(), float(store.rows[0, S_C] / store.rows[0, N_C])
    (3, [10.0, 10.0, 10.0], 180.0)
    """

    symbol = "bins"
    name = "10-second history bins"
    units = "sums and counts"
    source = "crampwatch (aggregation only)"
    depends = ("clean", "hr_unreliable")

    def __init__(self, bin_s: int = 10) -> None:
        if not 1 <= bin_s <= 60:
            raise ValueError("bin_s must be within 1..60 s")
        self.bin_s = bin_s
        self._store = BinStore(bin_s)

    def update(self, ctx: Context) -> None:
        res = ctx.results
        tail: CleanTail = res["clean"]
        nf = tail.new_from
        t = tail.t[nf:]
        m = t.shape[0]
        if m == 0:
            return
        ss = ctx.window.session_start
        bs = self.bin_s
        store = self._store
        if m <= SMALL:  # the usual tick: a few seconds in one or two bins, plain Python
            # max(x, 0.0) as it picks, without the call (~1 k instructions each): 0.0 only if above x
            tl: list[float] = t.tolist()
            x0, x1 = tl[0] - ss, tl[-1] - ss
            k0 = int((0.0 if x0 < 0.0 else x0) // bs)
            k_last = int((0.0 if x1 < 0.0 else x1) // bs)
        else:
            k0 = int(max(float(t[0]) - ss, 0.0) // bs)
            k_last = int(max(float(t[-1]) - ss, 0.0) // bs)
        if k0 < store.n - 1:  # an older bin than the newest changes (BinStore.rewrites)
            store.rewrites += 1
        store.ensure(k_last + 1)

        hr = tail.hr[nf:]
        if res["hr_unreliable"]:
            hr = np.full_like(hr, np.nan)
        spd = tail.speed[nf:]
        cad = tail.cadence_rough[nf:]
        tmp = tail.temp[nf:]
        if m <= SMALL:
            h: list[float] = hr.tolist()
            v: list[float] = spd.tolist()
            c: list[float] = cad.tolist()
            tc: list[float] = tmp.tolist()
            if k0 == k_last:  # all in one bin
                r = store.row(k0)
                if r is not None:
                    row = store._rows[r]  # a view: += adds in place (no write back through the 2-D array)
                    row += _sums_small(h, v, c, tc)
                return
            a = 0
            while a < m:  # the seconds of each bin in turn (time order)
                x = tl[a] - ss
                kb = int((0.0 if x < 0.0 else x) // bs)
                b = a + 1
                while b < m and int((0.0 if (x := tl[b] - ss) < 0.0 else x) // bs) == kb:
                    b += 1
                r = store.row(kb)
                if r is not None:
                    row = store._rows[r]
                    row += _sums_small(h[a:b], v[a:b], c[a:b], tc[a:b])
                a = b
            return
        with np.errstate(all="ignore"):
            f_hr = hr == hr  # NaN compares False
            moving = spd >= MOVING_MIN_SPEED
            f_c = moving & (cad >= MIN_STEP_RATE) & (60.0 * spd <= MAX_STEP_M * cad)
            step = np.where(f_c, 60.0 * spd / cad, 0.0)
        # masks (rows) x values (columns); NaN values are zeroed, the masks select what each sum counts
        masks = np.stack((f_hr, moving & f_hr, f_c, moving, tmp == tmp)).astype(np.float64)
        values = np.nan_to_num(
            np.stack((np.ones_like(spd), hr, spd, cad, cad * cad, step, tmp), axis=1), posinf=0.0, neginf=0.0
        )
        if k0 == k_last:
            r = store.row(k0)
            if r is not None:
                store._rows[r] += (masks @ values)[_PICK_ROW, _PICK_COL]
        else:
            k = (np.maximum(t - ss, 0.0) // self.bin_s).astype(np.int64)
            kept = (k < store.head) | (k >= store.head + store._off)  # a long gap may start in dropped bins
            firsts = np.flatnonzero(np.concatenate(([True], np.diff(k) != 0)))
            per_second = masks.T[:, _PICK_ROW] * values[:, _PICK_COL]  # (m, N_FIELDS)
            sums = np.add.reduceat(per_second, firsts, axis=0)
            ok = kept[firsts]
            store._rows[store.rows_of(k[firsts][ok])] += sums[ok]

    def get(self) -> BinStore:
        return self._store

    def state_dict(self) -> dict[str, Any]:
        """The bins the processors can still read: the first 20 min (baselines, decoupling reference) and the
        last hour (drift, monotony, recent windows). Those in between are saved as zeros (left out), so a
        marathon's state stays small."""
        store = self._store
        head = min(store.n, math.ceil(HEAD_KEEP_S / self.bin_s))
        tail_start = max(head, store.n - math.ceil(TAIL_KEEP_S / self.bin_s))
        return {
            "bin_s": self.bin_s,
            "n": store.n,
            "head": [[float(v) for v in row] for row in store._get(0, head).tolist()],
            "tail_start": tail_start,
            "tail": [[float(v) for v in row] for row in store._get(tail_start, store.n).tolist()],
        }

    def load_state(self, state: dict[str, Any]) -> None:
        bin_s = int(state.get("bin_s", self.bin_s))
        if "rows" in state:  # a full list of rows
            self._store = BinStore.from_lists(bin_s, list(state["rows"]))
        else:
            store = BinStore(bin_s)
            store.ensure(int(state.get("n", 0)))
            for start, rows in ((0, state.get("head", [])), (int(state.get("tail_start", 0)), state.get("tail", []))):
                if rows:
                    store.put(start, np.asarray(rows, dtype=np.float64).reshape(-1, N_FIELDS))
            self._store = store
        self.bin_s = self._store.bin_s


register(Bins)

"""Cardiac drift (:mod:`processors.drift`) without redoing the last hour every 30 s: what it derives from the
complete one-minute groups is kept between recomputes and only new groups are added.

The drift of the last hour is recomputed every 30 s of event time; between two recomputes at most one new group
completes, so most of the work was the same as the time before. Kept here, each from the very same operations
on the very same values as the from-scratch computation (``CardiacDrift._compute_full``), so the result is the
same to the bit (tests/processors/test_drift_groups.py compares both over many random sessions):

* each final group's mean speed and HR (the same ``reshape(...).sum(axis=1)`` and divisions, on the new groups'
  rows only; a group is final when all its bins are below the newest bin, :attr:`BinStore.rewrites`);
* the steady-block scan (:func:`extend_blocks`) of the final groups from the span's first group on: while that
  group stays the first (every other recompute) only the new groups are scanned;
* the fit: when the kept groups of the blocks are the same final groups as last time, so is the slope.

The slope itself is the median of the within-block pair slopes (:func:`processors._util.median`: that of
:func:`numpy.median`, bit for bit).
"""

from __future__ import annotations

import math
from array import array
from bisect import insort
from collections.abc import Callable, MutableSequence
from functools import lru_cache
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from processors._util import FloatArray, median
from processors.bins import N_FIELDS, N_P, S_P_HR, S_P_SPD, BinStore


class DriftParams(Protocol):
    """The settings of :class:`processors.drift.CardiacDrift` the computation reads."""

    warmup_s: float
    span_s: float
    group_s: int
    steady_tol: float
    settle_s: float
    min_block_s: float
    min_steady_s: float


def extend_blocks(
    out: MutableSequence[int], members: MutableSequence[float], block: int, spd: list[float], ok: list[bool], tol: float
) -> int:
    """Continue the steady-block scan of :func:`processors.drift.steady_blocks` over more groups: append each
    group's block id to ``out`` (−1: not in a block), keep ``members`` (the sorted speeds of the open block) up to
    date in place, and return the id of the last block opened. Started from ``[], [], -1`` it is that scan.

    >>> out: list[int] = []
    >>> extend_blocks(out, [], -1, [3.0, 3.05, 2.98, 3.4], [True, True, True, True], 0.05), out
    (1, [0, 0, 0, 1])
    """
    for v, good in zip(spd, ok, strict=True):
        if not good:
            del members[:]
            out.append(-1)
            continue
        if members:
            h = len(members) // 2
            med = members[h] if len(members) % 2 else 0.5 * (members[h - 1] + members[h])
            if abs(v / med - 1.0) > tol:
                block += 1
                del members[:]
        else:
            block += 1
        insort(members, v)
        out.append(block)
    return block


def group_values(rows: FloatArray, g: int, group_s: int) -> tuple[NDArray[np.bool_], FloatArray, FloatArray]:
    """Per group of ``g`` bins: whether it has data (moving seconds with HR for half of it), its mean speed (0
    without data) and mean HR (NaN without data), exactly as ``CardiacDrift._compute_full`` derives them."""
    grouped = rows.reshape(-1, g, N_FIELDS).sum(axis=1)
    n = grouped[:, N_P]
    ok = n >= 0.5 * group_s
    with np.errstate(all="ignore"):
        spd = np.where(ok, grouped[:, S_P_SPD] / np.maximum(n, 1.0), 0.0)
        hr = np.where(ok, grouped[:, S_P_HR] / np.maximum(n, 1.0), np.nan)
    return ok, spd, hr


@lru_cache(maxsize=8)
def pairs(n: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The index pairs ``i < j`` of ``n`` points (a block's groups), cached: a process's one cache of them, shared
    with :mod:`processors.drift`'s from-scratch fit, bounded (a block's size takes any value up to the span's
    groups, a few at a time)."""
    i, j = np.triu_indices(n, k=1)
    return i, j


def ranges_slope(ranges: list[tuple[int, int]], group_s: int, hr: FloatArray, q_base: int) -> float:
    """:func:`processors.drift.blocked_theil_sen` of the groups in ``ranges`` (each a block's kept groups
    ``[lo, hi)``, consecutive groups ``group_s`` apart, group ``q``'s HR ``hr[q − q_base]``), in bpm/s."""
    parts = []
    for lo, hi in ranges:
        if hi - lo < 2:
            continue
        i, j = pairs(hi - lo)
        dx = (group_s * (j - i)).astype(np.float64)  # the groups' mid-times apart: whole seconds, so exact
        y = hr[lo - q_base : hi - q_base]
        parts.append((y[j] - y[i]) / dx)
    if not parts:
        return math.nan
    return median(parts[0] if len(parts) == 1 else np.concatenate(parts))


class DriftGroups:
    """What cardiac drift keeps between recomputes (see the module's docstring); :meth:`compute` gives what
    ``CardiacDrift._compute_full`` gives (it calls that where the span reaches bins dropped from the store, or
    groups are not whole bins)."""

    def __init__(self) -> None:
        self._store: BinStore | None = None
        self._rewrites = -1
        # the groups [base, base + len): rows has data (1.0 or 0.0), mean speed, mean HR; preallocated for the
        # whole span at the first recompute, so an athlete's memory does not grow through the first hour
        self._base = self._len = 0
        self._vals: FloatArray = np.empty((3, 0))
        # the block scan of the final groups from group _scan_q0 on
        self._scan_q0 = -1
        # (arrays of C ints and doubles, not lists of Python objects: kept for up to an hour, such objects pinned
        # the allocator's pools and an athlete's memory grew through the first hour)
        self._scan_ids = array("i")
        self._scan_members = array("d")
        self._scan_block = -1
        # the last fit over final groups only: its kept ranges and its slope
        self._fit_key: tuple[tuple[int, int], ...] | None = None
        self._fit_value = math.nan
        self._capacity = 0

    def _reset(self, store: BinStore, base: int) -> None:
        self._store, self._rewrites, self._base, self._len = store, store.rewrites, base, 0
        self._scan_q0 = -1
        self._fit_key = None

    def _groups(self, store: BinStore, qa: int, q_end: int, g: int, group_s: int) -> int:
        """Bring the final groups of ``[qa, q_end)`` into the lists (dropping those before ``qa``); the groups
        from the returned one on are not final: their values are appended too, for this recompute only (the
        caller truncates them)."""
        changed = store is not self._store or store.rewrites != self._rewrites
        if changed or not self._base <= qa <= self._base + self._len:
            self._reset(store, qa)
        elif qa > self._base:
            d = qa - self._base
            vals = self._vals
            vals[:, : self._len - d] = vals[:, d : self._len]  # (NumPy copies through a buffer when they overlap)
            self._len -= d
            self._base = qa
        have = self._base + self._len
        if have > q_end:  # an earlier end than last time (the event time went back): start over
            self._reset(store, qa)
            have = qa
        if have < q_end:
            ok, spd, hr = group_values(store._get(have * g, q_end * g), g, group_s)
            n, m = self._len, ok.shape[0]
            if n + m > self._vals.shape[1]:  # the first recompute (or a longer span than planned for)
                grown = np.empty((3, max(n + m, self._capacity)))
                grown[:, :n] = self._vals[:, :n]
                self._vals = grown
            self._vals[0, n : n + m] = ok
            self._vals[1, n : n + m] = spd
            self._vals[2, n : n + m] = hr
            self._len = n + m
        return min(q_end, max(qa, (store.n - 1) // g))

    def _blocks(self, qa: int, n_final: int, tol: float) -> MutableSequence[int]:
        """Block ids of the span's groups (the lists from ``qa`` on; the first ``n_final`` final)."""
        if self._scan_q0 != qa or len(self._scan_ids) > n_final:
            self._scan_q0, self._scan_ids, self._scan_members, self._scan_block = qa, array("i"), array("d"), -1
        ids = self._scan_ids
        vals = self._vals
        if len(ids) < n_final:
            spd, ok = vals[1, len(ids) : n_final].tolist(), (vals[0, len(ids) : n_final] != 0.0).tolist()
            self._scan_block = extend_blocks(ids, self._scan_members, self._scan_block, spd, ok, tol)
        if n_final == self._len:
            return ids
        out = ids[:]
        spd, ok = vals[1, n_final : self._len].tolist(), (vals[0, n_final : self._len] != 0.0).tolist()
        extend_blocks(out, self._scan_members[:], self._scan_block, spd, ok, tol)
        return out

    def compute(
        self, p: DriftParams, store: BinStore, elapsed: float, full: Callable[[], float | None]
    ) -> float | None:
        b, G = store.bin_s, p.group_s
        self._capacity = int(p.span_s // G) + 3  # the groups a span can hold, the one filling and a spare
        g = G // b
        if g < 1 or G % b:
            return full()
        start = max(0.0, elapsed - p.span_s)
        k0 = max(0, math.ceil(start / b))
        k1 = min(store.n, max(0, math.ceil((elapsed + 1.0) / b)))
        if k1 - k0 < g:
            return None
        a = k0 + (-k0) % g  # groups aligned on multiples of group_s from the session start
        n_groups = (k1 - a) // g
        if n_groups == 0:
            return None
        if not store.as_written(a, a + n_groups * g):
            return full()
        qa = a // g
        q_final = self._groups(store, qa, qa + n_groups, g, G)
        n_final = q_final - qa
        try:
            return self._fit(p, qa, n_groups, n_final, a * b)
        finally:
            self._len = min(self._len, n_final)

    def _fit(self, p: DriftParams, qa: int, n_groups: int, n_final: int, t0_of: int) -> float | None:
        G = p.group_s
        if int(np.count_nonzero(self._vals[0, : self._len])) * G < p.min_steady_s:
            return None
        ids = self._blocks(qa, n_final, p.steady_tol)
        ranges: list[tuple[int, int]] = []
        total = 0
        i = 0
        while i < n_groups:
            bid = ids[i]
            if bid < 0:
                i += 1
                continue
            s = i
            while i < n_groups and ids[i] == bid:
                i += 1
            first = t0_of + G * s  # the block's first group: its settle is left out
            lo = s
            while lo < i and not (t0_of + G * lo >= first + p.settle_s and t0_of + G * lo >= p.warmup_s):
                lo += 1
            if (i - lo) * G >= p.min_block_s:
                ranges.append((qa + lo, qa + i))
                total += i - lo
        if total * G < p.min_steady_s:
            return None
        key = tuple(ranges)
        final = ranges[-1][1] <= qa + n_final
        if final and key == self._fit_key:
            return self._fit_value * 3600.0
        slope = ranges_slope(ranges, G, self._vals[2, : self._len], qa)
        if final:
            self._fit_key, self._fit_value = key, slope
        return slope * 3600.0

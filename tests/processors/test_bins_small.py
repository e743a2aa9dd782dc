"""Bins.update's plain-float path (sums in local floats, the bins of a tick split in one pass) writes the bits of
the code it replaced, over random sessions: ticks of 1-80 new seconds (the plain and the NumPy path), one or more
bins per tick, gaps, NaN, infinities, speed spikes and an unreliable HR."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from processors._util import MOVING_MIN_SPEED, SMALL
from processors.bins import MAX_STEP_M, MIN_STEP_RATE, N_FIELDS, Bins, BinStore, _sums_small
from processors.profile import Profile
from processors.registry import Context
from processors.window import Window


def _reference_sums(hr: list[float], spd: list[float], cad: list[float], tmp: list[float]) -> list[float]:
    """_sums_small as it was written before (a row list, one item access per sum)."""
    acc = [0.0] * N_FIELDS
    for h, v, c, tc in zip(hr, spd, cad, tmp, strict=True):
        has_hr = h == h
        if has_hr:
            acc[0] += 1.0
            acc[1] += h
        if v >= MOVING_MIN_SPEED:
            acc[10] += 1.0
            acc[11] += v
            if has_hr:
                acc[2] += 1.0
                acc[3] += v
                acc[4] += h
            if c >= MIN_STEP_RATE and 60.0 * v <= MAX_STEP_M * c:
                acc[5] += 1.0
                acc[6] += c
                acc[7] += c * c
                acc[8] += v
                acc[9] += 60.0 * v / c
        if tc == tc:
            acc[12] += 1.0
            acc[13] += tc
    return acc


def _reference_small(p: Bins, ctx: Context) -> bool:
    """Bins.update's plain-float path as it was written before; False where it took the NumPy path."""
    tail = ctx["clean"]
    sl = tail.new
    t = tail.t[sl]
    if t.size == 0:
        return True
    ss = ctx.window.session_start
    k0 = int(max(float(t[0]) - ss, 0.0) // p.bin_s)
    k_last = int(max(float(t[-1]) - ss, 0.0) // p.bin_s)
    m = t.shape[0]
    if m > SMALL:
        return False
    if k0 < p._store.n - 1:
        p._store.rewrites += 1
    p._store.ensure(k_last + 1)
    hr = tail.hr[sl]
    if ctx["hr_unreliable"]:
        hr = np.full_like(hr, np.nan)
    h, v, c, tc = hr.tolist(), tail.speed[sl].tolist(), tail.cadence_rough[sl].tolist(), tail.temp[sl].tolist()
    if k0 == k_last:
        r = p._store.row(k0)
        if r is not None:
            p._store._rows[r] += _reference_sums(h, v, c, tc)
        return True
    ks = [int(max(x - ss, 0.0) // p.bin_s) for x in t.tolist()]
    a = 0
    while a < m:
        b = a
        while b < m and ks[b] == ks[a]:
            b += 1
        r = p._store.row(ks[a])
        if r is not None:
            p._store._rows[r] += _reference_sums(h[a:b], v[a:b], c[a:b], tc[a:b])
        a = b
    return True


def _values(rng: np.random.Generator, n: int, base: float, sd: float) -> np.ndarray:
    x = base + rng.normal(0.0, sd, n) * 10.0 ** rng.integers(-3, 2, n)
    x[rng.random(n) < rng.choice([0.0, 0.05, 0.3])] = np.nan
    if n and rng.random() < 0.1:
        x[int(rng.integers(0, n))] = rng.choice([np.inf, -np.inf, 0.0, -0.0])
    return x


def _tick(rng: np.random.Generator, t0: float, m: int, start: float, unreliable: bool) -> Context:
    t = t0 + np.cumsum(rng.choice([1.0, 1.0, 1.0, 2.0, 37.0], m))
    k = int(rng.integers(0, 30))
    full = np.concatenate([t[0] - np.arange(k, 0, -1.0), t])
    n = full.shape[0]
    tail: Any = SimpleNamespace(
        t=full,
        hr=_values(rng, n, 150.0, 10.0),
        speed=_values(rng, n, float(rng.choice([0.5, 1.0, 3.0, 9.0])), 1.0),
        cadence_rough=_values(rng, n, float(rng.choice([20.0, 120.0, 175.0])), 10.0),
        temp=_values(rng, n, 20.0, 2.0),
        new_from=k,
        new=slice(k, None),
    )
    window = Window.from_arrays(t=full, session_start=start)
    return Context(window, Profile(), k, {"clean": tail, "hr_unreliable": unreliable})


@pytest.mark.parametrize("seed", range(12))
def test_bins_small_path_is_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    bin_s = int(rng.choice([1, 7, 10, 60]))
    new, ref = Bins(bin_s), Bins(bin_s)
    start = float(rng.choice([0.0, 1000.5, 1e9]))
    t0 = start + float(rng.choice([-3.0, 0.0, 4.0]))
    for _ in range(150):
        m = int(rng.choice([1, 2, 5, 5, 6, 11, SMALL, SMALL + 1, 80]))
        ctx = _tick(rng, t0, m, start, bool(rng.random() < 0.1))
        t0 = float(ctx["clean"].t[-1])
        if not _reference_small(ref, ctx):
            ref.update(ctx)  # the NumPy path is the same code in both
        new.update(ctx)
        a, b = new.get(), ref.get()
        assert (a.n, a.rewrites, a._off) == (b.n, b.rewrites, b._off)
        assert a._rows.tobytes() == b._rows.tobytes()


def test_sums_small_is_the_reference() -> None:
    rng = np.random.default_rng(7)
    for _ in range(3000):
        m = int(rng.integers(0, 12))
        cols = [_values(rng, m, base, sd).tolist() for base, sd in ((150.0, 9.0), (2.0, 2.0), (150.0, 50.0), (20, 3))]
        want = np.array(_reference_sums(*cols))
        assert np.array(_sums_small(*cols)).tobytes() == want.tobytes()


def test_n_complete_kept_answer_is_the_computed_one() -> None:
    """BinStore.n_complete reuses its last answer while ``elapsed`` and ``n`` are unchanged: the same as computing
    it every time, over random calls with bins added, repeated, negative and huge elapsed times, ints and -0.0."""
    import math

    rng = np.random.default_rng(11)
    for bin_s in (1, 7, 10, 60):
        store = BinStore(bin_s)
        elapsed: float = 0.0
        for _ in range(3000):
            r = rng.random()
            if r < 0.2:
                store.ensure(store.n + int(rng.integers(0, 5)))
            elif r < 0.6:
                elapsed = float(
                    rng.choice([elapsed, elapsed + 5.0, -0.0, 0.0, -30.0, 1e12, float(rng.integers(0, 9999))])
                )
            elif r < 0.7:
                elapsed = int(rng.integers(0, 9999))
            want = max(0, min(store.n, math.floor((elapsed + 1.0) / bin_s)))
            got = store.n_complete(elapsed)
            assert type(got) is type(want) and got == want
        with pytest.raises(ValueError):
            store.n_complete(math.nan)

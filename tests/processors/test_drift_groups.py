"""Cardiac drift's kept groups, scan and fit (processors._drift_groups) give what the from-scratch computation
gives, to the bit, over random sessions: pace changes, walks, gaps, HR that ticks in whole beats, recomputes at
any second (a group still filling), event time going back, bins rewritten, dropped and restored."""

from __future__ import annotations

import math
import struct
import warnings

import numpy as np
import pytest

from processors._drift_groups import extend_blocks
from processors._util import median as median_of
from processors.bins import N_FIELDS, N_P, S_P_HR, S_P_SPD, BinStore
from processors.drift import CardiacDrift, steady_blocks


def _bits(v: float | None) -> object:
    return None if v is None else struct.pack("<d", v)


def _params(rng: np.random.Generator) -> CardiacDrift:
    if rng.random() < 0.4:
        return CardiacDrift()
    min_steady = float(rng.choice([120.0, 300.0, 600.0]))
    min_block = float(rng.choice([120.0, min_steady]))
    return CardiacDrift(
        warmup_s=float(rng.choice([0.0, 300.0, 600.0])),
        span_s=float(rng.choice([min_steady, 1800.0, 3600.0, 7200.0])),  # 7200: reaches dropped bins
        group_s=int(rng.choice([20, 60])),
        steady_tol=float(rng.choice([0.02, 0.05, 0.2])),
        settle_s=float(rng.choice([0.0, 60.0, 180.0])),
        min_block_s=min_block,
        min_steady_s=min_steady,
        every_s=30.0,
    )


def _session(rng: np.random.Generator, seconds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per second: moving with HR, speed, HR."""
    speed = np.empty(seconds)
    pos = 0
    while pos < seconds:  # stretches at one pace (a walk, a surge, a stop, a steady run)
        n = int(rng.integers(30, 900))
        speed[pos : pos + n] = rng.choice([0.0, 1.4, 2.8, 3.0, 3.05, 3.3]) + rng.normal(0.0, rng.choice([0.0, 0.05]))
        pos += n
    hr = 140.0 + 8.0 * np.arange(seconds) / 3600.0 + rng.normal(0.0, 3.0, seconds)
    if rng.random() < 0.5:
        hr = np.round(hr)  # whole beats: many equal pair slopes
    has = (speed > 0.5) & (rng.random(seconds) > rng.choice([0.0, 0.3]))
    has[rng.random(seconds) < 0.002] = False
    return has, speed, hr


@pytest.mark.parametrize("seed", range(40))
def test_kept_groups_give_the_from_scratch_drift(seed: int) -> None:
    rng = np.random.default_rng(seed)
    drift = _params(rng)
    seconds = int(rng.integers(900, 4 * 3600 if seed % 4 == 0 else 7200))
    has, speed, hr = _session(rng, seconds)
    store = BinStore(10)
    t = 0
    while t < seconds:
        step = int(rng.integers(1, 40))
        for s in range(t, min(seconds, t + step)):  # in time order, as Bins writes
            store.ensure(s // 10 + 1)
            if has[s]:
                r = store.row(s // 10)
                assert r is not None
                store._rows[r, [N_P, S_P_SPD, S_P_HR]] += (1.0, speed[s], hr[s])
        t += step
        elapsed = float(t - 1)
        if rng.random() < 0.05:
            elapsed -= float(rng.integers(1, 300))  # an older window
        if rng.random() < 0.01:  # a rewrite (a restored state): what was kept must go
            k = int(rng.integers(0, store.n))
            row = np.zeros((1, N_FIELDS))
            row[0, [N_P, S_P_SPD, S_P_HR]] = (10.0, 30.0, 1500.0)
            store.put(k, row)
        if rng.random() < 0.01:  # a new store object with the same bins
            store = BinStore.from_lists(10, store.to_lists())
        got = drift._compute(store, elapsed)
        want = drift._compute_full(store, elapsed)
        assert _bits(got) == _bits(want), (seed, elapsed, got, want)


def test_a_steady_run_has_its_drift_from_the_kept_groups() -> None:
    """The sessions above with the usual settings and a steady pace: a drift (not only None) every recompute
    after the warm-up, each the from-scratch value."""
    rng = np.random.default_rng(7)
    drift = CardiacDrift()
    store = BinStore(10)
    values = []
    for s in range(3 * 3600):
        store.ensure(s // 10 + 1)
        r = store.row(s // 10)
        assert r is not None
        store._rows[r, [N_P, S_P_SPD, S_P_HR]] += (1.0, 3.0 + rng.normal(0.0, 0.05), 150.0 + 6.0 * s / 3600.0)
        if s % 30 == 17 and s >= 1800:
            got = drift._compute(store, float(s))
            assert _bits(got) == _bits(drift._compute_full(store, float(s)))
            values.append(got)
    assert all(v is not None and 5.0 < v < 7.0 for v in values)


@pytest.mark.parametrize("seed", range(20))
def test_the_scan_continued_in_pieces_is_the_scan_of_the_whole(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 200))
    spd = rng.choice([2.8, 3.0, 3.05, 3.1, 3.4], n) + rng.normal(0.0, 0.03, n)
    ok = rng.random(n) > 0.1
    tol = float(rng.choice([0.02, 0.05, 0.1]))
    out: list[int] = []
    members: list[float] = []
    block = -1
    pos = 0
    while pos < n:
        step = int(rng.integers(1, 20))
        block = extend_blocks(out, members, block, spd[pos : pos + step].tolist(), ok[pos : pos + step].tolist(), tol)
        pos += step
    assert out == steady_blocks(spd, ok, tol).tolist()


@pytest.mark.parametrize("seed", range(30))
def test_median_is_numpys_median(seed: int) -> None:
    """processors._util.median, which the fit and the other processors use instead of np.median."""
    rng = np.random.default_rng(seed)
    for _ in range(200):
        n = int(rng.integers(0, 2000))
        kind = rng.integers(0, 4)
        if kind == 0:
            a = rng.standard_normal(n) * 10.0 ** rng.integers(-300, 300)
        elif kind == 1:
            a = rng.integers(-3, 4, n).astype(np.float64) / 7.0  # many ties
        elif kind == 2:
            a = rng.choice([0.0, -0.0, 1.0, -1.0], n)
        else:
            a = rng.choice([np.nan, np.inf, -np.inf, 1.5, -0.0], n)
        if rng.random() < 0.3:
            a = a[:: int(rng.integers(1, 4))]  # a strided view, as a column of the bins is
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # np.median of nothing
            want = float(np.median(a))
        got = median_of(a)
        assert _bits(got) == _bits(want) or (math.isnan(got) and math.isnan(want)), (a, got, want)

"""processors._util.recent_median (a list sort up to 64 values, the NaN filter only when the sum says there is a
NaN) gives what its former steps gave, bit for bit: NaN gaps, infinities, signed zeros, ties, short arrays."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from processors._util import FloatArray, nanmedian, recent_median


def _former(x: FloatArray, seconds: int, min_count: int) -> float | None:
    """recent_median as it was: a comprehension without NaN up to 16 values, NumPy's stable sort beyond."""
    if seconds <= 16:
        v = [a for a in x[-seconds:].tolist() if a == a]
        k = len(v)
        v.sort()
    else:
        s = x[-seconds:].copy()
        s.sort(kind="stable")
        v = s.tolist()
        k = len(v)
        while k and v[k - 1] != v[k - 1]:
            k -= 1
    if k < max(min_count, 1):
        return None
    mid = k // 2
    return float(v[mid]) if k % 2 else 0.5 * (v[mid - 1] + v[mid])


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return type(a) is type(b) and struct.pack("<d", a) == struct.pack("<d", b)


def _series(rng: np.random.Generator) -> FloatArray:
    n = int(rng.integers(0, 90))
    kind = int(rng.integers(0, 4))
    if kind == 0:  # a smooth stream (HR, speed)
        x = float(rng.choice([150.0, 3.2, 170.0])) + np.cumsum(rng.normal(0.0, 0.3, n))
    elif kind == 1:  # few distinct values: ties
        x = rng.integers(-2, 3, n) / float(rng.choice([1.0, 4.0]))
    elif kind == 2:  # zeros of both signs among ties
        x = rng.choice([0.0, -0.0, 1.0, -1.0], n)
    else:
        x = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4, n)
    p = float(rng.choice([0.0, 0.0, 0.1, 0.5, 1.0]))
    x[rng.random(n) < p] = np.nan
    if n and rng.random() < 0.1:
        x[int(rng.integers(0, n))] = float(rng.choice([np.inf, -np.inf, 1e308]))
    return x


@pytest.mark.parametrize("seed", range(20))
def test_recent_median_matches_former_steps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(500):
        x = _series(rng)
        seconds = int(rng.choice([1, 3, 5, 10, 12, 15, 16, 17, 20, 30, 40, 60, 64, 65, 80, 120]))
        min_count = int(rng.integers(0, 25))
        assert _same(recent_median(x, seconds, min_count), _former(x, seconds, min_count))


@pytest.mark.parametrize("seed", range(5))
def test_nanmedian_short_matches_former_steps(seed: int) -> None:
    """nanmedian of up to 64 values goes through recent_median over the whole array."""
    rng = np.random.default_rng(100 + seed)
    for _ in range(500):
        x = _series(rng)[:64]
        min_count = int(rng.integers(0, 25))
        assert _same(nanmedian(x, min_count), _former(x, x.shape[0], min_count))


def test_signed_zero_median_keeps_order() -> None:
    """Equal values keep their order in either sort: the median of ±0 is the one NumPy's stable sort picks."""
    for n in (3, 12, 20, 40):
        x = np.array([-0.0 if i % 2 else 0.0 for i in range(n)])
        for seconds in (n, n - 1):
            got, want = recent_median(x, seconds, 1), _former(x, seconds, 1)
            assert got is not None and want is not None
            assert math.copysign(1.0, got) == math.copysign(1.0, want)

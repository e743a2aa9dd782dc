"""processors._util.mean_std gives NumPy's mean and standard deviation bit for bit, so the processors that use it
(gait uniformity) keep their outputs."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from processors._util import mean_std


def _bits(*v: float) -> bytes:
    return struct.pack(f"<{len(v)}d", *v)


@pytest.mark.parametrize("seed", range(30))
def test_mean_std_is_numpys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(300):
        n = int(rng.integers(1, 600))
        kind = rng.integers(0, 4)
        if kind == 0:  # 10-s means of speed or cadence, as gait uniformity reads them
            x = rng.choice([3.0, 170.0]) * (1.0 + rng.normal(0.0, 0.05, n))
        elif kind == 1:  # magnitudes far apart: the summation order shows in the last bits
            x = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)
        elif kind == 2:
            x = rng.integers(0, 11, n) / rng.choice([1.0, 3.0, 7.0])
        else:
            x = np.full(n, float(rng.normal()))
        if rng.random() < 0.3:
            x = x[:: int(rng.integers(1, 4))]  # a strided view
        assert _bits(*mean_std(x)) == _bits(float(x.mean()), float(x.std()))

"""BinStore.n_complete (comparisons instead of the builtins max and min) gives ``max(0, min(n, floor(...)))``:
the same int for any elapsed (negative, fractional, exact bin ends, far beyond the bins), count and bin width."""

from __future__ import annotations

import math

import numpy as np
import pytest

from processors.bins import BinStore


@pytest.mark.parametrize("bin_s", [1, 10, 60])
def test_n_complete_matches_max_min(bin_s: int) -> None:
    rng = np.random.default_rng(bin_s)
    store = BinStore(bin_s)
    for _ in range(20000):
        store.n = int(rng.integers(0, 1000))
        kind = int(rng.integers(0, 3))
        if kind == 0:  # whole seconds around the bin ends
            elapsed = float(rng.integers(-30, 12000))
        elif kind == 1:  # fractional session starts
            elapsed = float(rng.uniform(-50.0, 12000.0))
        else:  # exactly at a bin's last second, give or take one ulp
            elapsed = float(rng.integers(-3, 1200)) * bin_s - 1.0
            elapsed = (
                math.nextafter(elapsed, float(rng.choice([-math.inf, math.inf]))) if rng.random() < 0.5 else elapsed
            )
        got = store.n_complete(elapsed)
        want = max(0, min(store.n, math.floor((elapsed + 1.0) / store.bin_s)))
        assert type(got) is type(want) and got == want

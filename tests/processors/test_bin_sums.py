"""Column sums of bins in one NumPy call give the same bits as summing each column on its own (the pairwise
order of ``rows[:, c].sum()``), so the indicators over the last minutes may share them."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.bins import N_FIELDS, BinStore, column_sums


@settings(max_examples=400, deadline=None)
@given(
    st.integers(0, 400),
    st.integers(1, N_FIELDS),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["uniform", "scaled", "counts", "zeros"]),
)
def test_column_sums_are_the_per_column_sums(k: int, width: int, seed: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        rows = rng.uniform(-1e3, 1e3, (k, width))
    elif kind == "scaled":  # magnitudes far apart: the summation order shows in the last bits
        rows = rng.standard_normal((k, width)) * 10.0 ** rng.integers(-8, 9, (k, width))
    elif kind == "counts":
        rows = rng.integers(0, 11, (k, width)).astype(np.float64) * rng.choice([1.0, 0.1], (k, width))
    else:
        rows = rng.choice([0.0, -0.0], (k, width))
    if k and rng.random() < 0.5:  # a fancy-indexed selection, as the steady bins are
        rows = rows[rng.random(k) < 0.7]
    sums = column_sums(rows)
    assert np.array(sums).tobytes() == np.array([rows[:, c].sum() for c in range(width)]).tobytes()


def test_complete_sums_are_computed_once_while_the_bins_are_unchanged() -> None:
    store = BinStore(10)
    store.ensure(70)
    store._rows[:70] = np.arange(70 * N_FIELDS, dtype=np.float64).reshape(70, N_FIELDS) * 0.1
    sums = store.complete_sums(600.0, 699.0)
    rows = store.last_complete(600.0, 699.0)
    assert rows.shape[0] == 60 and sums == column_sums(rows)
    assert store.complete_sums(600.0, 699.0) is sums
    store.touch()
    again = store.complete_sums(600.0, 699.0)
    assert again is not sums and again == sums

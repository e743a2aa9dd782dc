"""hr_recovery's candidate ends (``_eased``) from plain-float prefix sums: the same as with NumPy's gap mask."""

from __future__ import annotations

from itertools import accumulate

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.hr_recovery import HrRecovery


def _eased_numpy(p: HrRecovery, speed: np.ndarray, first_e: int, last_e: int) -> list[int]:
    """The implementation before the plain-float one (NaN found with a mask)."""
    if last_e < first_e:
        return []
    seg = speed[first_e - 60 : last_e + 11]
    ok = seg == seg
    if ok.all():
        cs = list(accumulate(seg.tolist(), initial=0.0))
        cn: list[int] | range = range(seg.shape[0] + 1)
    else:
        cs = list(accumulate(np.where(ok, seg, 0.0).tolist(), initial=0.0))
        cn = list(accumulate(ok.tolist(), initial=0))
    out = []
    for i in range(60, 61 + last_e - first_e):
        n_before, n_soon = cn[i] - cn[i - 60], cn[i + 11] - cn[i + 1]
        if n_before < 45 or n_soon == 0:
            continue
        before = (cs[i] - cs[i - 60]) / n_before
        if before >= p.min_speed and (cs[i + 11] - cs[i + 1]) / n_soon <= p.ease * before:
            out.append(first_e + i - 60)
    return out


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 12), st.sampled_from([0.0, 0.05, 0.3]), st.booleans())
def test_eased_matches_the_numpy_mask(seed: int, span: int, gaps: float, infinite: bool) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    speed = np.where(rng.random(n) < 0.5, 3.5, 1.2) + 0.3 * rng.standard_normal(n)
    speed[rng.integers(100, n, 3)] = rng.uniform(0.5, 1.5, 3)  # a few eased seconds
    speed[rng.random(n) < gaps] = np.nan
    if infinite:
        speed[rng.integers(0, n, 2)] = rng.choice([np.inf, -np.inf], 2)
    p = HrRecovery()
    last_e = n - 61
    first_e = max(60, last_e - span)
    assert p._eased(speed, first_e, last_e) == _eased_numpy(p, speed, first_e, last_e)

"""Steady running needs the last minute without a gap: a NaN anywhere in it, not only where sorted() would put it."""

from __future__ import annotations

import numpy as np
import pytest

from processors.clean import CleanTail
from processors.gait_state import GaitStateNow


def tail(speed: list[float]) -> CleanTail:
    n = len(speed)
    arr = np.array(speed, dtype=np.float64)
    full = np.full(n, 170.0)
    return CleanTail(t=np.arange(float(n)), hr=np.full(n, 150.0), speed=arr, cadence=full, cadence_rough=full,
                     temp=np.full(n, 15.0), hr_raw=np.full(n, 150.0), cadence_raw=full, new_from=0)  # fmt: skip


@pytest.mark.parametrize("where", [0, 1, 30, 58, 59])
def test_a_gap_anywhere_in_the_last_minute_is_not_steady(where: int) -> None:
    speed = [3.0 + 0.01 * (i % 3) for i in range(60)]
    proc = GaitStateNow()
    assert proc._steady(tail(speed))
    speed[where] = float("nan")
    # sorted() leaves a NaN where it stands: [3.0, nan, 1.0] stays as it is, so the last element is no test
    assert not proc._steady(tail(speed))

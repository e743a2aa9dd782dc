"""fround (the processors' rounding) is Python's round(x, n) bit for bit, the sign of zero and the type included."""

from __future__ import annotations

import math
import random

import numpy as np

from processors._util import fround
from tests.rounding import same, values

EDGES = [0.0, -0.0, 1e-5, -1e-5, 4.9999e-5, -4.9999e-5, 5e-5, -5e-5, 1.5e-4, 2.5e-4, 0.5, -0.5, 1.5, 2.5, 0.05, 0.15,
         0.25, 0.35, 1.00005, 2.00005, -2.00005, 199999.99995, -199999.99995, 2e5, -2e5, 2e9, -2e9, 1999.9999995,
         1e300, -1e300, 5e-324, -5e-324, math.inf, -math.inf, 0.1 + 0.2, 151.23455, 3.14159265]  # fmt: skip


def _near_tie(rnd: random.Random) -> float:
    """A tie or near-tie of some decimal."""
    return rnd.randint(-(10**7), 10**7) / 10.0 ** rnd.randint(0, 7) + rnd.choice((5, -5)) * 10.0 ** -rnd.randint(1, 7)


def test_fround_is_round_for_every_digit_count() -> None:
    xs = [*EDGES, *values(7, 60_000, 9, _near_tie)]
    for n in range(7):
        for x in xs:
            assert same(fround(x, n), round(x, n)), (x, n)


def test_fround_leaves_other_types_to_round() -> None:
    for x in (np.float64(1.23456), np.float32(2.5), 3, True):
        assert same(fround(x, 2), round(x, 2)), x
    for n in (-1, 7, 10):  # digit counts outside 0…6 as well
        assert same(fround(123.456789012, n), round(123.456789012, n)), n

"""fround (the processors' rounding) is Python's round(x, n) bit for bit, the sign of zero and the type included."""

from __future__ import annotations

import math
import random

import numpy as np

from processors._util import fround

EDGES = [0.0, -0.0, 1e-5, -1e-5, 4.9999e-5, -4.9999e-5, 5e-5, -5e-5, 1.5e-4, 2.5e-4, 0.5, -0.5, 1.5, 2.5, 0.05, 0.15,
         0.25, 0.35, 1.00005, 2.00005, -2.00005, 199999.99995, -199999.99995, 2e5, -2e5, 2e9, -2e9, 1999.9999995,
         1e300, -1e300, 5e-324, -5e-324, math.inf, -math.inf, 0.1 + 0.2, 151.23455, 3.14159265]  # fmt: skip


def _same(a: float, b: float) -> bool:
    return type(a) is type(b) and ((a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (a != a and b != b))


def test_fround_is_round_for_every_digit_count() -> None:
    rnd = random.Random(7)
    values = [*EDGES, math.nan]
    for _ in range(60_000):
        k = rnd.random()
        if k < 0.3:
            values.append(rnd.uniform(-1e3, 1e3))
        elif k < 0.5:
            values.append(rnd.uniform(-1.0, 1.0) * 10.0 ** rnd.randint(-8, 9))
        elif k < 0.8:  # ties and near-ties of some decimal
            values.append(
                rnd.randint(-(10**7), 10**7) / 10.0 ** rnd.randint(0, 7)
                + rnd.choice((5, -5)) * 10.0 ** -rnd.randint(1, 7)
            )
        else:  # values a watch sends and what the processors make of them
            values.append(round(rnd.uniform(-50.0, 250.0), rnd.randint(0, 6)) * rnd.choice((1.0, 1.0 / 3.0, 0.1, 60.0)))
    for n in range(7):
        for x in values:
            assert _same(fround(x, n), round(x, n)), (x, n)


def test_fround_leaves_other_types_to_round() -> None:
    for x in (np.float64(1.23456), np.float32(2.5), 3, True):
        assert _same(fround(x, 2), round(x, 2)), x
    for n in (-1, 7, 10):  # digit counts outside 0…6 as well
        assert _same(fround(123.456789012, n), round(123.456789012, n)), n

"""round4 (the status's rounding) is Python's round(x, 4) bit for bit, the sign of zero included."""

from __future__ import annotations

import math
import random

from monitor.core.pipeline import round4

EDGES = [0.0, -0.0, 1e-5, -1e-5, 4.9999e-5, -4.9999e-5, 5e-5, -5e-5, 1.5e-4, 2.5e-4, 1.00005, 2.00005, -2.00005,
         199999.99995, -199999.99995, 2e5, -2e5, 1e300, -1e300, math.inf, -math.inf, 0.1 + 0.2, 151.23455,
         3.14159265, 1732400000.0, 1732400000.00005, 6999999999.99995, 7e9, -7e9]  # fmt: skip


def _same(a: float, b: float) -> bool:
    return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (a != a and b != b)


def test_round4_is_round() -> None:
    rnd = random.Random(11)
    values = [*EDGES, math.nan]
    for _ in range(200_000):
        k = rnd.random()
        if k < 0.3:
            values.append(rnd.uniform(-1e3, 1e3))
        elif k < 0.5:
            values.append(rnd.uniform(-1.0, 1.0) * 10.0 ** rnd.randint(-8, 5))
        elif k < 0.8:  # ties and near-ties of the fourth decimal
            values.append(rnd.randint(-(10**7), 10**7) / 10.0 ** rnd.randint(0, 5) + rnd.choice((5e-5, -5e-5)))
        elif k < 0.85:  # event times (Unix seconds, whole, in fractions of a second, near ties), and beyond
            t = rnd.choice((1.7e9, 6.9e9, 7.1e9, -1.7e9, 2e5, 3e7, 1e11, 1e13, 1e15))
            values.append(t + rnd.randint(0, 10**6) / rnd.choice((1.0, 8.0, 1e3, 1e4, 1e5)) + rnd.choice((0.0, 5e-5)))
        else:  # values a watch sends and what the processors make of them
            values.append(round(rnd.uniform(-50.0, 250.0), rnd.randint(0, 6)) * rnd.choice((1.0, 1.0 / 3.0, 0.1)))
    for x in values:
        assert _same(round4(x), round(x, 4)), x

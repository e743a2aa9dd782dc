"""round4 (the status's rounding) is Python's round(x, 4) bit for bit, the sign of zero included."""

from __future__ import annotations

import math
import random

from monitor.core.pipeline import round4
from tests.rounding import same, values

EDGES = [0.0, -0.0, 1e-5, -1e-5, 4.9999e-5, -4.9999e-5, 5e-5, -5e-5, 1.5e-4, 2.5e-4, 1.00005, 2.00005, -2.00005,
         199999.99995, -199999.99995, 2e5, -2e5, 1e300, -1e300, math.inf, -math.inf, 0.1 + 0.2, 151.23455,
         3.14159265, 1732400000.0, 1732400000.00005, 6999999999.99995, 7e9, -7e9]  # fmt: skip


def _near_tie(rnd: random.Random) -> float:
    """A tie or near-tie of the fourth decimal."""
    return rnd.randint(-(10**7), 10**7) / 10.0 ** rnd.randint(0, 5) + rnd.choice((5e-5, -5e-5))


def _event_time(rnd: random.Random) -> float:
    """Event times (Unix seconds, whole, in fractions of a second, near ties), and beyond."""
    t = rnd.choice((1.7e9, 6.9e9, 7.1e9, -1.7e9, 2e5, 3e7, 1e11, 1e13, 1e15))
    return t + rnd.randint(0, 10**6) / rnd.choice((1.0, 8.0, 1e3, 1e4, 1e5)) + rnd.choice((0.0, 5e-5))


def test_round4_is_round() -> None:
    for x in [*EDGES, *values(11, 200_000, 5, _near_tie, _event_time)]:
        assert same(round4(x), round(x, 4)), x

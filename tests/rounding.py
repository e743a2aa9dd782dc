"""Values for the tests of the fast roundings (``processors._util.fround``, ``monitor.core.pipeline.round4``):
each must equal Python's ``round(x, n)`` bit for bit, the sign of zero included."""

from __future__ import annotations

import math
import random
from collections.abc import Callable


def same(a: float, b: float) -> bool:
    """The same value, type and sign of zero (NaN equals NaN)."""
    return type(a) is type(b) and ((a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (a != a and b != b))


def values(
    seed: int,
    count: int,
    max_exp: int,
    ties: Callable[[random.Random], float],
    more: Callable[[random.Random], float] | None = None,
) -> list[float]:
    """``count`` values: uniform ones, ones spread over magnitudes up to 10^``max_exp``, ``ties`` (decimal ties and
    near-ties of the digits under test), ``more`` (5 % of them, when given) and values a watch sends and what the
    processors make of them."""
    rnd = random.Random(seed)
    out = [math.nan]
    for _ in range(count):
        k = rnd.random()
        if k < 0.3:
            out.append(rnd.uniform(-1e3, 1e3))
        elif k < 0.5:
            out.append(rnd.uniform(-1.0, 1.0) * 10.0 ** rnd.randint(-8, max_exp))
        elif k < 0.8:
            out.append(ties(rnd))
        elif k < 0.85 and more is not None:
            out.append(more(rnd))
        else:
            out.append(round(rnd.uniform(-50.0, 250.0), rnd.randint(0, 6)) * rnd.choice((1.0, 1.0 / 3.0, 0.1, 60.0)))
    return out

"""The processors write two-argument ``max``/``min`` as conditional expressions on the tick's path (each builtin call
costs ~1 k instructions): ``max(x, c)`` as ``c if x < c else x`` and ``min(x, c)`` as ``c if x > c else x`` pick
the same object as the builtins for every float, ±0, infinities and NaN included (the builtin keeps its first
argument unless the second compares greater, or smaller)."""

from __future__ import annotations

import itertools
import math

import pytest

VALUES = [-math.inf, -1.5, -0.0, 0.0, 1e-300, 1.0, 10.0, 12.5, math.inf, math.nan]


def same(a: float, b: float) -> bool:
    return (a is b) or (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


@pytest.mark.parametrize(("x", "c"), list(itertools.product(VALUES, [0.0, -0.0, 1.0, 10.0])))
def test_written_out_max_and_min_pick_what_the_builtins_pick(x: float, c: float) -> None:
    assert same(c if x < c else x, max(x, c))
    assert same(c if x > c else x, min(x, c))
    d = x  # gait_state's max(0.0, d): the constant first
    assert same(d if d > c else c, max(c, d))

"""next_level and zone_of with their calls written out (LEVELS.index, min, max; a generator sum) pick what the old
expressions picked: every level, cap and flag, random and boundary risks (NaN raises the same ValueError), the
thresholds overridden too; zones on their bounds, between them, NaN and infinities."""

from __future__ import annotations

import math

import numpy as np
import pytest

import processors.level as level_mod
from processors.indicators import LEVELS, Level
from processors.level import next_level


def _old(current: Level, risk: float, critical_ok: bool = True, cap: Level = "critical") -> Level:
    top = min(3 if critical_ok else 2, LEVELS.index(cap))
    rank = min(LEVELS.index(current), top)
    up = min(max(i for i, th in enumerate(level_mod.ENTER) if risk >= th), top)
    if up >= rank:
        return LEVELS[up]
    while rank > 0 and risk < level_mod.ENTER[rank] - level_mod.LEAVE_MARGIN:
        rank -= 1
    return LEVELS[rank]


@pytest.mark.parametrize("enter", [None, (0.0, 0.2, 0.3, 0.5)])
def test_next_level_is_the_old_expression(
    enter: tuple[float, float, float, float] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if enter is not None:
        monkeypatch.setattr(level_mod, "ENTER", enter)
    rng = np.random.default_rng(5)
    risks = [
        *level_mod.ENTER,
        *(x - 1e-12 for x in level_mod.ENTER),
        *(x - level_mod.LEAVE_MARGIN for x in level_mod.ENTER),
    ]
    risks += [-0.0, 1.0, -1.0, math.inf, *rng.uniform(-0.1, 1.1, 300).tolist()]
    for risk in risks:
        for current in LEVELS:
            for cap in LEVELS:
                for ok in (True, False):
                    try:
                        want = _old(current, risk, ok, cap)
                    except ValueError:  # below every threshold: max() of nothing
                        with pytest.raises(ValueError, match="empty sequence"):
                            next_level(current, risk, ok, cap)
                        continue
                    assert next_level(current, risk, ok, cap) == want
    for bad in (math.nan, -math.inf):
        with pytest.raises(ValueError, match="empty sequence"):
            next_level("low", bad)
    with pytest.raises(ValueError):
        next_level("low", 0.5, cap="nope")  # type: ignore[arg-type]


def test_zone_of_counts_as_the_generator_did() -> None:
    """hr_zone.zone_of's loop gives the generator sum's zone on bounds, between them, NaN and infinities."""
    from processors.hr_zone import ZONE_PCT_BOUNDS, zone_of

    values = [*ZONE_PCT_BOUNDS, *(b - 1e-9 for b in ZONE_PCT_BOUNDS), math.nan, math.inf, -math.inf, -0.0, 0.0]
    values += np.random.default_rng(2).uniform(-10.0, 130.0, 500).tolist()
    for p in values:
        want = 1 + sum(1 for bound in ZONE_PCT_BOUNDS if p >= bound)
        got = zone_of(p)
        assert type(got) is int and got == want

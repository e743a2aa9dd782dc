"""RecentMedian skips ``known`` and RecentSpan skips ``extra_key`` only where a class keeps the base's method (always
True, always ``()``): the flags set per class agree with what the methods return, for every registered
processor, so the values and the cache keys are the former ones."""

from __future__ import annotations

import numpy as np

import processors.cadence
import processors.efficiency_factor
import processors.gait_recent
import processors.heart_rate
import processors.intensity
import processors.pace_over_plan
import processors.speed
import processors.sustained_pace
import processors.temperature  # noqa: F401  (the subclasses of RecentMedian and RecentSpan)
from processors._recent import RecentMedian
from processors._span import RecentSpan
from processors.profile import Profile
from processors.registry import Context
from processors.window import Window


def _subclasses(cls: type) -> list[type]:
    out, todo = [], [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            out.append(sub)
            todo.append(sub)
    return out


def test_flags_match_the_methods() -> None:
    ctx = Context(Window.from_arrays(t=np.arange(30.0)), Profile(hr_max=190), 0)
    medians, spans = _subclasses(RecentMedian), _subclasses(RecentSpan)
    assert medians and spans
    assert any(c._vetoes for c in medians) and any(not c._vetoes for c in medians)
    assert any(c._no_extra_key for c in spans) and any(not c._no_extra_key for c in spans)
    for c in medians:
        assert c._vetoes == (c.known is not RecentMedian.known)
        if not c._vetoes:
            assert c.known(c(), ctx) is True  # type: ignore[call-arg]
    for c in spans:
        assert c._no_extra_key == (c.extra_key is RecentSpan.extra_key)
        if c._no_extra_key:
            assert c.extra_key(c(), ctx) == ()  # type: ignore[call-arg]

"""The engine's status skips the second rounding of values their processor already rounded (monitor.core.status):
a value rounded to <= 4 decimals is its own round4, and on real ticks every skipped value is such a value and
the status is the one the full rounding builds, bit for bit."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import orjson
import pytest

from monitor.core.pipeline import AthletePipeline, encode_status, round4
from monitor.core.status import (
    FIELDS_CHECKED,
    FIELDS_REUSED,
    PREROUNDED_CONTAINERS,
    PREROUNDED_FIELDS,
    PREROUNDED_VALUES,
    VALUES_AS_IS,
    VALUES_CHECKED,
    VALUES_ROUNDED,
    EngineStatus,
)
from processors._util import fround
from processors.indicators import Indicators
from processors.profile import Profile, SessionPlan
from tests.rounding import same, values
from tests.runs import EASY_PROFILE, HOT_PROFILE, easy_cool_run, hot_fast_run, hot_then_walk_run


def _tie(rnd: random.Random) -> float:
    """A decimal tie (or a value next to one) of 1 to 5 decimals."""
    d = rnd.randint(1, 5)
    x = (rnd.randint(-(10**6), 10**6) + 0.5) / 10.0**d
    return x + rnd.choice((0.0, 0.0, 1e-12, -1e-12))


@pytest.mark.parametrize("digits", [0, 1, 2, 3, 4])
def test_a_value_rounded_to_at_most_4_decimals_is_its_own_round4(digits: int) -> None:
    for v in values(seed=digits, count=40_000, max_exp=9, ties=_tie):
        if not math.isfinite(v):
            continue
        for x in (fround(v, digits), round(v, digits), float(np.round(np.float64(v), digits))):
            assert same(round4(x), x), (v, digits, x)
            assert same(round(x, 4), x), (v, digits, x)


def _ticks(
    frames: list[Any], profile: Profile, plan: SessionPlan | None = None, later: Profile | None = None
) -> list[tuple[Indicators, Any, Any]]:
    """(indicators, the status _tick published, the full build's status) of every tick of a run; ``later``: a
    profile set halfway through."""
    pipe = AthletePipeline("club", "ann", profile)
    pipe.start(frames[0].t, plan)
    seen: list[tuple[Indicators, Any, Any]] = []
    status = AthletePipeline._status

    def capture(self: AthletePipeline, ind: Indicators, from_engine: bool = False) -> dict[str, Any]:
        out = status(self, ind, from_engine)
        seen.append((ind, out, status(self, ind)))
        return out

    AthletePipeline._status = capture  # type: ignore[method-assign]
    try:
        for i, f in enumerate(frames):
            if later is not None and i == len(frames) // 2:
                pipe.set_profile(later)
            pipe.add_many((name, f.t, v) for name, v in f.streams().items())
        pipe.flush()
    finally:
        AthletePipeline._status = status  # type: ignore[method-assign]
    return seen


LATER = Profile(name="Later", age=52, hr_max=None, hr_rest=55, training_pace=347.123456, race_pace=318.5)
RUNS = [
    (lambda: hot_fast_run(minutes=40), HOT_PROFILE, None, None),
    (lambda: hot_then_walk_run(minutes=30, walk_minutes=10), HOT_PROFILE, SessionPlan("tempo", None), LATER),
    (lambda: easy_cool_run(minutes=30), EASY_PROFILE, SessionPlan("intervals", 301.25), LATER),
]


def _is_prerounded(x: object) -> bool:
    return x.__class__ is float and math.isfinite(x) and same(round4(x), x)  # type: ignore[arg-type]


@pytest.mark.parametrize("run", range(len(RUNS)))
def test_skipped_values_of_real_ticks_are_rounded_and_the_status_is_the_same(run: int) -> None:
    make, profile, plan, later = RUNS[run]
    seen = _ticks(make(), profile, plan, later)
    assert len(seen) > 300
    skipped = 0
    for ind, fast, full in seen:
        assert orjson.dumps(fast) == orjson.dumps(full) and encode_status(fast) == encode_status(full)
        assert list(fast) == list(full) and list(fast["values"]) == list(full["values"])
        for key in PREROUNDED_FIELDS:
            v = getattr(ind, key)
            assert v is None or v.__class__ is bool or _is_prerounded(v), (key, v)
            skipped += v.__class__ is float
        for key in PREROUNDED_CONTAINERS:
            c = getattr(ind, key)
            for x in (c or {}).values() if isinstance(c, dict) else c or []:
                assert _is_prerounded(x), (key, x)
                skipped += 1
        for key in FIELDS_CHECKED:
            assert _is_prerounded(getattr(ind, key)), key
        assert _is_prerounded(ind.t) and ind.t % 1.0 == 0.0  # a grid second
        assert set(ind.values) == set(VALUES_AS_IS + VALUES_CHECKED + VALUES_ROUNDED)  # every entry is handled
        for key in VALUES_AS_IS:
            assert ind.values[key] is None or ind.values[key].__class__ is float
        for key in PREROUNDED_VALUES:
            x = ind.values[key]
            assert x is None or _is_prerounded(x), (key, x)
            skipped += x is not None
    assert skipped > 40 * len(seen)  # most of the status's floats were skipped


def test_a_kept_rounding_is_reused_only_for_the_same_nonzero_value() -> None:
    es = EngineStatus(("hr",))
    assert FIELDS_REUSED and VALUES_ROUNDED
    for x in (330.123456, 330.123456, 330.12346, 0.0, -0.0, -0.0, 0.0, 1e-9, -1e-9, math.nan, None, 2.00005, 2.00005):
        assert (
            same(es.round("k", x), round4(x)) if isinstance(x, float) and math.isfinite(x) else es.round("k", x) is None
        )
    assert es.round("k", np.float64(1.23456)) == 1.2346 and es.round("k", True) is True


@pytest.mark.parametrize(
    "factors",
    [
        {},
        {"heat": 0.1235, "pace": 0.5},
        {"heat": 0.1235, "pace": math.nan},
        {"heat": math.inf, "pace": -math.inf},
        {"n": np.float64(2.5), "m": 1.0},
        {"big": 1e308, "bigger": 1e308},
        {"b": True, "i": 3},
    ],
)
def test_containers_with_awkward_values_are_the_full_builds(factors: dict[str, Any]) -> None:
    pipe = AthletePipeline("club", "ann", HOT_PROFILE)
    pipe.add("hr", 1000.0, 150.0)
    zones = list(factors.values())
    ind = Indicators(t=1005.0, elapsed_s=5.0, factors=dict(factors), fatigue_parts=dict(factors), hr_zone_s=zones)
    fast, full = pipe._status(ind, from_engine=True), pipe._status(ind)
    for key in ("factors", "fatigue_parts", "hr_zone_s"):
        assert orjson.dumps(fast[key], option=orjson.OPT_SERIALIZE_NUMPY) == orjson.dumps(
            full[key], option=orjson.OPT_SERIALIZE_NUMPY
        )
        assert [type(x) for x in (fast[key].values() if isinstance(fast[key], dict) else fast[key])] == [
            type(x) for x in (full[key].values() if isinstance(full[key], dict) else full[key])
        ]
        assert fast[key] is not getattr(ind, key)  # a copy

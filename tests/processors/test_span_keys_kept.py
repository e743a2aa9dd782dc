"""The processors over the last complete bins that also depend on the profile or the plan (hrr_10min,
pace_ratio_plan, pace_ratio_10min) keep their extra key while the Profile and SessionPlan are the very same
(immutable) objects: every tick's key equals the one computed afresh, value and type, over random sequences of
profiles and plans (the same objects, equal new ones, changed ones)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from processors.intensity import Intensity
from processors.pace_over_plan import SustainedPaceOverPlan
from processors.profile import Profile, SessionPlan
from processors.registry import Context
from processors.sustained_pace import SustainedPaceRatio
from processors.window import Window


def _profile(rng: np.random.Generator) -> Profile:
    return Profile(
        age=[None, 30.0, 61.0][int(rng.integers(0, 3))],
        hr_max=[None, 170, 191.5][int(rng.integers(0, 3))],
        hr_rest=[None, 45, 60.5][int(rng.integers(0, 3))],
        training_pace=[None, 300, 333.3][int(rng.integers(0, 3))],
        race_pace=[None, 280.0][int(rng.integers(0, 2))],
    )


def _plan(rng: np.random.Generator) -> SessionPlan:
    return SessionPlan(
        plan=[None, "race", "easy", "long", "tempo"][int(rng.integers(0, 5))],  # type: ignore[arg-type]
        target_pace=[None, 290.0, 0.0][int(rng.integers(0, 3))],
    )


def _fresh(p: Any, ctx: Context) -> tuple[Any, ...]:
    if isinstance(p, Intensity):
        return (ctx.profile.hr_rest_bpm, ctx.profile.hr_max_bpm)
    if isinstance(p, SustainedPaceOverPlan):
        return (ctx.plan.reference_speed(ctx.profile),)
    return (ctx.profile.training_speed,)


@pytest.mark.parametrize("seed", range(5))
def test_kept_extra_keys_are_the_computed_ones(seed: int) -> None:
    rng = np.random.default_rng(seed)
    procs = [Intensity(), SustainedPaceOverPlan(), SustainedPaceRatio()]
    profile, plan = _profile(rng), _plan(rng)
    window = Window.from_arrays(t=np.arange(1.0))
    for _ in range(300):
        r = rng.random()
        if r < 0.1:
            profile = _profile(rng)
        elif r < 0.15:
            plan = _plan(rng)
        elif r < 0.2:  # equal values in new objects
            profile = Profile(**{f: getattr(profile, f) for f in Profile.__slots__})
        ctx = Context(window, profile, 0, {}, plan)
        for p in procs:
            got, want = p.kept_extra_key(ctx), _fresh(p, ctx)
            assert got == want and [type(x) for x in got] == [type(x) for x in want]

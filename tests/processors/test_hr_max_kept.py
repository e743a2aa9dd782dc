"""HrMax keeps its value while the profile and the observed maximum are the same objects: equal, value and type, to
the value computed every tick, over random sessions with profile changes, a cadence lock and state restores."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from processors.hr_max import HrMax, effective_hr_max
from processors.profile import Profile
from processors.registry import Context
from processors.window import Window


def _profile(rng: np.random.Generator) -> Profile:
    return Profile(
        age=[None, 30.0, 61.0][int(rng.integers(0, 3))],
        hr_max=[None, 170, 186.5, 200.0][int(rng.integers(0, 4))],
    )


@pytest.mark.parametrize("seed", range(6))
def test_hr_max_kept_value_is_the_computed_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    proc = HrMax()
    profile = _profile(rng)
    for _ in range(400):
        if rng.random() < 0.05:
            profile = _profile(rng)
        if rng.random() < 0.03:  # a restart from the saved state
            state = proc.state_dict()
            proc = HrMax()
            proc.load_state(state)
        hr = float(rng.choice([140.0, 175.0, 190.0, 205.0])) + rng.normal(0.0, 4.0, int(rng.integers(0, 40)))
        hr[rng.random(hr.shape[0]) < 0.2] = np.nan
        tail: Any = SimpleNamespace(hr=hr)
        ctx = Context(
            Window.from_arrays(t=np.arange(1.0)), profile, 0, {"clean": tail, "hr_unreliable": bool(rng.random() < 0.2)}
        )
        proc.update(ctx)
        want = effective_hr_max(profile, proc._observed)
        got = proc.get()
        assert type(got) is type(want) and got == want

"""The plain-float paths of the cumulative processors for a tick's few seconds (distance, faster than training,
the cramp part of the red flag) give the bits of the NumPy code they replace; processors._pairwise.np_sum is
NumPy's sum bit for bit on lists of every length (-0.0, NaN, ±inf, magnitudes far apart)."""

from __future__ import annotations

import struct
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from processors._pairwise import np_sum
from processors.distance import Distance
from processors.faster_than_training import FasterThanTraining
from processors.gait_state import GaitState
from processors.profile import Profile
from processors.red_flag import RedFlag
from processors.registry import Context
from processors.window import Window


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _floats(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)
    kind = rng.random()
    if kind < 0.2:
        x[rng.random(n) < 0.8] = -0.0
    elif kind < 0.25:
        x[:] = -0.0
    elif kind < 0.35:
        x[rng.random(n) < 0.1] = np.nan
    elif kind < 0.45:
        x[rng.random(n) < 0.1] = rng.choice([np.inf, -np.inf])
    return x


def test_np_sum_is_numpys_sum() -> None:
    rng = np.random.default_rng(3)
    for n in list(range(300)) * 6:
        x = _floats(rng, n)
        assert _bits(np_sum(x.tolist())) == _bits(float(np.add.reduce(x)))
        assert _bits(np_sum(x.tolist())) == _bits(float(x.sum()))


class _RefDistance(Distance):
    def update(self, ctx: Context) -> None:
        v = ctx["clean"].speed[ctx["clean"].new_from :]
        finite = v[np.isfinite(v)]
        if finite.shape[0]:
            self._total += float(finite.sum())
            self._seen = True


class _RefFaster(FasterThanTraining):
    def update(self, ctx: Context) -> None:
        ts = ctx.profile.training_speed
        if ts is None or ts <= 0:
            return
        v = ctx["clean"].speed[ctx["clean"].new_from :]
        if not self._seen:
            self._seen = bool(v.shape[0]) and bool(np.isfinite(v).any())
        self._total += float(np.count_nonzero(v > ts * (1.0 + self.margin)))


class _RefRedFlag(RedFlag):
    def update(self, ctx: Context) -> None:
        now = ctx.window.now
        dt = 5.0 if self._last_t is None else min(max(now - self._last_t, 0.0), 10.0)
        self._last_t = now
        if ctx["acute_cramp"] and dt > 0:
            self._cramp_ticks.append([now, dt])
        self._cramp_ticks = [x for x in self._cramp_ticks if now - x[0] < self.cramp_span_s]
        self._value = self._hr_flag(ctx, now)
        if self._value is None and sum(x[1] for x in self._cramp_ticks) >= self.cramp_s:
            self._value = "cramp_not_easing"


def _ctx(rng: np.random.Generator, now: float, profile: Profile, p_acute: float = 0.3) -> Context:
    m = int(rng.choice([0, 1, 5, 5, 6, 30, 64, 65, 200]))
    k = int(rng.integers(0, 20))
    speed = float(rng.choice([0.0, 2.5, 3.0, 3.3])) + _floats(rng, k + m) * float(rng.choice([1e-9, 1.0]))
    tail: Any = SimpleNamespace(speed=speed, hr=np.full(k + m, 150.0), new_from=k, new=slice(k, None))
    gait = GaitState(str(rng.choice(["running", "walking", "stopped"])), now - float(rng.uniform(0, 400)))  # type: ignore[arg-type]
    results = {
        "clean": tail,
        "acute_cramp": bool(rng.random() < p_acute),
        "hr_unreliable": bool(rng.random() < 0.5),
        "gait_state": gait,
        "hr_max_bpm": 185.0,
    }
    return Context(Window.from_arrays(t=np.array([now])), profile, 0, results)


@pytest.mark.parametrize("seed", range(10))
def test_small_paths_are_the_numpy_ones(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pairs = [(Distance(), _RefDistance()), (FasterThanTraining(), _RefFaster()), (RedFlag(), _RefRedFlag())]
    now = 1000.0
    profile = Profile(training_pace=330)
    p_acute = float(rng.choice([0.1, 0.95]))
    flags = set()
    for _ in range(300):
        now += 5.0 if p_acute > 0.5 else float(rng.choice([-3.0, 0.0, 5.0, 5.0, 5.0, 12.0, 400.0]))
        if rng.random() < 0.05:
            profile = Profile(training_pace=float(rng.choice([300.0, 330.0, 400.0])))
        ctx = _ctx(rng, now, profile, p_acute)
        for new, ref in pairs:
            new.update(ctx)
            ref.update(ctx)
            got, want = new.get(), ref.get()
            assert type(got) is type(want) and (got == want or _bits(got) == _bits(want))
            assert new.state_dict() == ref.state_dict()
            flags.add(got if isinstance(new, RedFlag) else None)
            if isinstance(new, Distance | FasterThanTraining):
                assert _bits(new._total) == _bits(ref._total)  # type: ignore[attr-defined]
    if p_acute > 0.5:
        assert "cramp_not_easing" in flags

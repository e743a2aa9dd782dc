"""Sweat loss and TRIMP on a tick's few seconds: the running sums in locals and the clip limits written out give the
bits of the loops they replace, over random sessions (gaps in speed, temperature and HR, a first temperature late,
profiles changing, chunks too long for the plain path)."""

from __future__ import annotations

import math
import struct
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from processors.profile import Profile
from processors.registry import Context
from processors.sweat import (
    J_PER_ML_O2,
    LATENT_HEAT_J_PER_G,
    SWEAT_SHARE_AT_12C,
    SWEAT_SHARE_PER_C,
    SWEAT_SHARE_RANGE,
    SweatLoss,
)
from processors.trimp import Trimp, heart_rate_reserve_small, trimp_constants
from processors.window import Window


class _RefSweat(SweatLoss):
    def _update_small(self, speeds: list[float], temps: list[float], mass: float) -> None:
        """SweatLoss._update_small as it was written before (attributes and min/max in the loop)."""
        v_held, t_held = self._last_speed, self._last_temp
        lo, hi = SWEAT_SHARE_RANGE
        for v, tc in zip(speeds, temps, strict=True):
            if v == v:
                v_held = v
            speed = 0.0 if v_held is None else v_held
            vo2 = (0.2 if speed >= 2.0 else 0.1) * speed * 60.0 + 3.5
            joules = vo2 * mass / 60.0 * J_PER_ML_O2
            if tc == tc:
                t_held = tc
            if t_held is None:
                self._pending_j += joules
                continue
            share = min(max(SWEAT_SHARE_AT_12C + SWEAT_SHARE_PER_C * (t_held - 12.0), lo), hi)
            if self._pending_j:
                self._sweat_g += self._pending_j * share / LATENT_HEAT_J_PER_G
                self._pending_j = 0.0
            self._sweat_g += joules * share / LATENT_HEAT_J_PER_G
        self._last_speed = 0.0 if v_held is None else v_held
        self._last_temp = t_held
        self._pct = self._percent(mass)


class _RefTrimp(Trimp):
    def update(self, ctx: Context) -> None:
        """Trimp.update's plain path as it was written before."""
        if not self._seen:
            hr_new = ctx["clean"].hr[ctx["clean"].new_from :]
            self._seen = bool(hr_new.shape[0]) and bool(np.isfinite(hr_new).any())
        if ctx["hr_unreliable"]:
            return
        hr = ctx["clean"].hr[ctx["clean"].new_from :]
        if hr.shape[0] > 64:
            Trimp.update(self, ctx)  # the NumPy path is the same code in both
            return
        a, b = trimp_constants(ctx.profile)
        for x in heart_rate_reserve_small(hr, ctx.profile):
            self._total += x * a * math.exp(b * x) / 60.0
        if not math.isfinite(self._total):
            self._total = 0.0


def _stream(rng: np.random.Generator, n: int, base: float, sd: float, gaps: float) -> np.ndarray:
    x = base + rng.normal(0.0, sd, n)
    x[rng.random(n) < gaps] = np.nan
    return x


def _ctx(rng: np.random.Generator, profile: Profile, temp_from: int, tick: int) -> Context:
    m = int(rng.choice([0, 1, 5, 5, 5, 6, 64, 65, 120]))
    k = int(rng.integers(0, 10))
    temp = _stream(rng, k + m, float(rng.choice([5.0, 12.0, 25.0, 40.0])), 3.0, 0.2)
    if tick < temp_from:
        temp[:] = np.nan
    tail: Any = SimpleNamespace(
        speed=_stream(rng, k + m, float(rng.choice([0.0, 1.9, 2.0, 3.5])), 0.3, float(rng.choice([0.0, 0.3, 1.0]))),
        temp=temp,
        hr=_stream(rng, k + m, float(rng.choice([40.0, 120.0, 170.0, 230.0])), 15.0, float(rng.choice([0.0, 0.3]))),
        new_from=k,
        new=slice(k, None),
    )
    results = {"clean": tail, "hr_unreliable": bool(rng.random() < 0.1)}
    return Context(Window.from_arrays(t=np.arange(1.0)), profile, k, results)


def _bits(x: float | None) -> Any:
    return None if x is None else struct.pack("<d", x)


@pytest.mark.parametrize("seed", range(10))
def test_sweat_and_trimp_small_paths_are_the_old_loops(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sweat, sweat_ref, trimp, trimp_ref = SweatLoss(), _RefSweat(), Trimp(), _RefTrimp()
    profile = Profile(mass_kg=70.0)
    temp_from = int(rng.integers(0, 30))
    for tick in range(300):
        if rng.random() < 0.05:
            profile = Profile(
                mass_kg=float(rng.choice([50.0, 70.0, 95.5])),
                sex=[None, "male", "female"][int(rng.integers(0, 3))],  # type: ignore[arg-type]
                hr_rest=[None, 45, 62.5][int(rng.integers(0, 3))],
                hr_max=[None, 170, 201.0][int(rng.integers(0, 3))],
            )
        ctx = _ctx(rng, profile, temp_from, tick)
        for new, ref in ((sweat, sweat_ref), (trimp, trimp_ref)):
            new.update(ctx)
            ref.update(ctx)
            assert _bits(new.get()) == _bits(ref.get())
            assert new.state_dict() == ref.state_dict()
        assert _bits(sweat._sweat_g) == _bits(sweat_ref._sweat_g)
        assert _bits(sweat._pending_j) == _bits(sweat_ref._pending_j)
        assert _bits(trimp._total) == _bits(trimp_ref._total)
    assert sweat.get() is not None and trimp.get() is not None

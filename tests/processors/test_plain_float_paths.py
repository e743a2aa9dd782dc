"""Processors that count or sum a few dozen values in plain floats instead of NumPy (cheaper on short arrays)
decide exactly as the NumPy code they replace, over random streams."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from processors._util import recent_median
from processors.cadence_lock import CadenceLock
from processors.fatigue import FATIGUE_PARTS, Fatigue
from processors.gait_state import GaitState, GaitStateNow, _run_start, classify
from processors.profile import Profile
from processors.registry import Context
from processors.risk_processor import CrampRisk
from processors.window import Window


def _lock_numpy(p: CadenceLock, locked: bool, hr: np.ndarray, cad: np.ndarray) -> bool:
    """CadenceLock.update's decision as it was written with NumPy (before the plain-float count)."""
    ok = (cad >= 100.0) & (hr == hr)
    n_ok = int(np.count_nonzero(ok))
    if n_ok < p.min_pairs:
        return locked
    hr, cad = hr[ok], cad[ok]
    best_share, best_mult = 0.0, 1.0
    for mult in (1.0, 0.5):
        share = int(np.count_nonzero(np.abs(hr - cad * mult) <= p.tolerance_bpm)) / n_ok
        if share > best_share:
            best_share, best_mult = share, mult
    if locked:
        return best_share >= p.leave_share and p._tracks(hr, cad * best_mult)
    if best_share >= p.enter_share:
        return p._tracks(hr, cad * best_mult)
    return locked


def _ctx(clean: Any) -> Context:
    return Context(
        window=Window.from_arrays(t=np.arange(1.0)), profile=Profile(), first_new=0, results={"clean": clean}
    )


class _Tail(SimpleNamespace):
    def __len__(self) -> int:
        return int((self.hr_raw if hasattr(self, "hr_raw") else self.t).shape[0])


def _stream(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Stretches of locked HR (a copy of cadence or of half of it, whole beats: ties at the tolerance), real HR
    and frozen HR, with gaps."""
    cad = np.empty(n)
    hr = np.empty(n)
    pos = 0
    while pos < n:
        k = int(rng.integers(5, 120))
        c = rng.choice([0.0, 90.0, 160.0, 172.0, 180.0]) + rng.normal(0.0, rng.choice([0.0, 2.0]), k)
        kind = rng.integers(0, 4)
        if kind == 0:
            h = c + rng.normal(0.0, rng.choice([0.5, 2.0, 4.0]), k)
        elif kind == 1:
            h = 0.5 * c + rng.normal(0.0, 2.0, k)
        elif kind == 2:
            h = 150.0 + rng.normal(0.0, 5.0, k)
        else:
            h = c.copy()
        if rng.random() < 0.5:
            h, c = np.round(h), np.round(c)
        cad[pos : pos + k], hr[pos : pos + k] = c[: n - pos], h[: n - pos]
        pos += k
    hr[rng.random(n) < rng.choice([0.0, 0.01, 0.2])] = np.nan
    cad[rng.random(n) < 0.02] = np.nan
    return hr, cad


@pytest.mark.parametrize("seed", range(20))
def test_cadence_lock_counts_as_numpy_did(seed: int) -> None:
    """Overlapping tails as the clean processor hands them out (a few new seconds each tick, sometimes a jump
    or a restart), the lock decided as the NumPy code decided it on the same last 40 seconds."""
    rng = np.random.default_rng(seed)
    hr, cad = _stream(rng, 6000)
    p = CadenceLock()
    states = set()
    end = 0
    while end < hr.shape[0]:
        m = int(rng.integers(0, 12)) if rng.random() > 0.03 else int(rng.integers(12, 200))  # 0: a re-tick
        end += m
        size = min(end, int(rng.integers(20, 70)))
        tail = _Tail(hr_raw=hr[end - size : end], cadence_raw=cad[end - size : end], new_from=max(0, size - m))
        want = _lock_numpy(p, p._locked, tail.hr_raw[-p.window_s :], tail.cadence_raw[-p.window_s :])
        p.update(_ctx(tail))
        assert p._locked == want
        states.add(want)
    assert states == {False, True}  # both states were visited


@pytest.mark.parametrize("seed", range(5))
def test_risk_reuses_the_gait_part_of_the_same_fatigue(seed: int) -> None:
    """CrampRisk keeps the gait part of the last Fatigue it saw: over a run where the Fatigue object is kept
    for a while and replaced now and then, every risk is the one a fresh processor computes."""
    rng = np.random.default_rng(seed)
    kept = CrampRisk()
    fatigue = Fatigue(None)
    for i in range(200):
        if rng.random() < 0.2:
            parts = {k: float(rng.random()) for k in FATIGUE_PARTS if rng.random() < 0.6}
            fatigue = Fatigue(value=float(rng.random()) if parts else None, parts=parts)
        results: dict[str, Any] = {
            "pace_ratio_plan": float(rng.uniform(0.9, 1.2)),
            "duration_vs_longest": None,
            "heat_factor": float(rng.random()),
            "sweat_loss_pct": float(rng.uniform(0.0, 3.0)),
            "fatigue": fatigue,
            "decoupling_pct": None,
            "cardiac_drift_bpm_h": float(rng.uniform(0.0, 20.0)),
            "monotony": float(rng.random()),
            "acute_cramp": bool(rng.random() < 0.05),
        }
        window = Window.from_arrays(t=np.arange(float(60 + 30 * i)))
        ctx = Context(window=window, profile=Profile(), first_new=0, results=results)
        fresh = CrampRisk()
        kept.update(ctx)
        fresh.update(ctx)
        assert kept.get() == fresh.get()


class _GaitStateAlwaysNew(GaitStateNow):
    """GaitStateNow.update as written before it kept an unchanged state: a new GaitState every tick."""

    def update(self, ctx: Context) -> None:
        tail = ctx["clean"]
        half = max(3, self.recent_s // 2)
        mode = classify(
            recent_median(tail.speed, self.recent_s, half), recent_median(tail.cadence_rough, self.recent_s, half)
        )
        since = self._value.since
        if mode != self._value.mode or since is None:
            since = _run_start(tail, mode, ctx.window.now)
        self._value = GaitState(mode, since, mode == "running" and self._steady(tail))


@pytest.mark.parametrize("seed", range(10))
def test_gait_state_kept_while_unchanged_equals_a_new_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3000
    speed = np.empty(n)
    cadence = np.empty(n)
    pos = 0
    while pos < n:  # running, walking, stopping, with noise and gaps
        k = int(rng.integers(10, 300))
        v, c = [(3.0, 170.0), (1.4, 115.0), (0.0, 0.0), (2.9, 172.0)][int(rng.integers(0, 4))]
        speed[pos : pos + k] = v + rng.normal(0.0, rng.choice([0.0, 0.05, 0.4]), min(k, n - pos))
        cadence[pos : pos + k] = c + rng.normal(0.0, 2.0, min(k, n - pos))
        pos += k
    speed[rng.random(n) < 0.02] = np.nan
    kept, fresh = GaitStateNow(), _GaitStateAlwaysNew()
    changes = 0
    for end in range(70, n, 5):
        tail = _Tail(t=np.arange(end - 70.0, end), speed=speed[end - 70 : end], cadence_rough=cadence[end - 70 : end])
        window = SimpleNamespace(now=float(end - 1))
        ctx = Context(window=window, profile=Profile(), first_new=0, results={"clean": tail})  # type: ignore[arg-type]
        before = kept.get()
        kept.update(ctx)
        fresh.update(ctx)
        assert kept.get() == fresh.get()
        changes += kept.get() is not before
    assert 0 < changes < (n - 70) // 5  # kept at times, replaced at others

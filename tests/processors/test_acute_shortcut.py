"""AcuteCramp's early 'no collapse' test (the recent speed above collapse x the highest earlier second) decides
as the median test it skips, on random tails with collapses, gaps, infinities and cadence noise."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from processors._util import median, nanmedian, recent_median
from processors.acute_cramp import AcuteCramp
from processors.profile import Profile
from processors.registry import Context
from processors.trimp import heart_rate_reserve_of
from processors.window import Window


def _reference_detect(p: AcuteCramp, ctx: Context) -> bool:
    """AcuteCramp._detect as it was written before the early test."""
    tail = ctx["clean"]
    if len(tail) < 60:
        return False
    r = slice(-p.recent_s, None)
    b = slice(-60, -20)
    half = p.recent_s // 2
    v_now = recent_median(tail.speed, p.recent_s, min_count=half)
    if v_now is None:
        return False
    v_before = nanmedian(tail.speed[b], min_count=20)
    if v_before is None or v_before < 1.8 or v_now > p.collapse * v_before:
        return False
    c = tail.cadence_rough[r]
    c = c[np.isfinite(c)]
    if c.size < half:
        return False
    c_now = median(c)
    if c_now < 20.0:
        return False
    step = median(np.abs(np.diff(c)))
    cv = float(c.std()) / c_now
    if not (step >= p.irregular_step or (cv >= p.irregular_cv and step >= p.irregular_step / 2)):
        return False
    if not ctx["hr_unreliable"]:
        h_before = nanmedian(tail.hr[b], min_count=20)
        h_now = nanmedian(tail.hr[r], min_count=half)
        if h_before is not None and h_now is not None:
            hrr = heart_rate_reserve_of(h_now, ctx.profile)
            if h_now < h_before - 8.0 or hrr < 0.6:
                return False
    return True


class _Tail(SimpleNamespace):
    def __len__(self) -> int:
        return int(self.speed.shape[0])


def _tail(rng: np.random.Generator) -> _Tail:
    n = int(rng.choice([30, 60, 61, 90, 120]))
    v0 = float(rng.choice([0.5, 1.8, 2.0, 3.0, 4.5]))
    speed = v0 + rng.normal(0.0, float(rng.choice([0.0, 0.1, 0.5, 2.0])), n)
    k = int(rng.integers(1, 40))
    speed[-k:] *= float(rng.choice([0.1, 0.3, 0.6, 0.61, 0.9, 1.0]))
    speed[rng.random(n) < float(rng.choice([0.0, 0.05, 0.5]))] = np.nan
    if rng.random() < 0.1:
        speed[int(rng.integers(0, n))] = float(rng.choice([np.inf, -np.inf, -1.0]))
    cad = 170.0 + rng.normal(0.0, float(rng.choice([0.0, 3.0, 15.0])), n)
    cad[rng.random(n) < 0.1] = np.nan
    hr = 160.0 + rng.normal(0.0, 5.0, n)
    hr[-k:] += float(rng.choice([-20.0, 0.0, 10.0]))
    return _Tail(speed=speed, cadence_rough=cad, hr=hr)


@pytest.mark.parametrize("seed", range(8))
def test_acute_detect_is_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = AcuteCramp()
    window = Window.from_arrays(t=np.arange(1.0))
    seen = set()
    for _ in range(600):
        ctx = Context(window, Profile(hr_max=190, hr_rest=50), 0, {"clean": _tail(rng), "hr_unreliable": False})
        want = _reference_detect(p, ctx)
        assert p._detect(ctx) == want
        seen.add(want)
    assert seen == {True, False}

"""The engine on real recorded runs (../shared/realdata; skipped where that folder is absent)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from processors.engine import Engine
from processors.indicators import Indicators
from processors.profile import Profile
from processors.window import Window

pytestmark = pytest.mark.realdata
readers = pytest.importorskip("simulators.readers")

HOLD_S = 10.0  # the monitor's sample-and-hold limit on the grid


def grid(t: np.ndarray, v: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Sample-and-hold of (t, v) at grid seconds s: the latest finite sample within HOLD_S."""
    ok = np.isfinite(v)
    t, v = t[ok], v[ok]
    if t.size == 0:
        return np.full(s.shape, np.nan)
    i = np.searchsorted(t, s, side="right") - 1
    out = np.where(i >= 0, v[np.clip(i, 0, None)], np.nan)
    age = s - t[np.clip(i, 0, None)]
    out[(i < 0) | (age >= HOLD_S)] = np.nan
    return out


def run_file(path: Path, profile: Profile) -> list[Indicators]:
    rec = readers.read_recording(str(path))
    t0 = math.floor(float(rec.t[0]))
    s = np.arange(t0, math.floor(float(rec.t[-1])) + 1, dtype=np.float64)
    speed = grid(rec.t, rec.speed, s)
    speed[speed < 1000 / 1200] = 0.0  # the wire's "not running"
    streams = {
        "hr": grid(rec.t, rec.hr, s),
        "speed": speed,
        "cadence": grid(rec.t, rec.cadence, s),
        "temp": grid(rec.t, rec.temp, s),
    }
    eng = Engine(profile)
    out = []
    for end in range(4, len(s), 5):
        a = max(0, end + 1 - 3600)
        sl = slice(a, end + 1)
        out.append(eng.tick(Window(t=s[sl], session_start=float(s[0]), **{k: v[sl] for k, v in streams.items()})))
    return out


def sane(out: list[Indicators]) -> None:
    for ind in out:
        assert 0.0 <= ind.risk <= 1.0 and math.isfinite(ind.risk)
        assert ind.hr is None or 30 <= ind.hr <= 230
        assert ind.cadence is None or 0 <= ind.cadence <= 260
        assert ind.fatigue is None or 0 <= ind.fatigue <= 1


def test_fenix2_47min(realdata: Path) -> None:
    out = run_file(realdata / "fenix2-run-47min.fit", Profile(training_pace=320, sex="male", age=40))
    sane(out)
    last = out[-1]
    # the device's total distance is 9008.22 m; our integral of its 1 s speed records must be close
    assert last.distance_m == pytest.approx(9008.22, rel=0.03)
    assert last.temp is not None and 15 <= last.temp <= 30
    hrs = [i.hr for i in out if i.hr is not None]
    assert 140 <= float(np.mean(hrs)) <= 170  # record mean HR 154
    cads = [i.cadence for i in out if i.cadence]
    assert 150 <= float(np.median(cads)) <= 175  # ≈ 162 steps/min
    assert last.trimp > 0 and last.monotony is not None
    assert any(i.decoupling_pct is not None for i in out)
    assert last.decoupling_pct is None  # the last minutes are a walk: not comparable with the reference effort
    assert not any(i.hr_unreliable for i in out)


@pytest.mark.parametrize("name", ["polar-m400-run.tcx", "watch-run-2020-12-06.tcx", "fenix5-run-1min.fit"])
def test_other_recordings_run_clean(realdata: Path, name: str) -> None:
    out = run_file(realdata / name, Profile())
    assert out
    sane(out)
    assert out[-1].distance_m > 0

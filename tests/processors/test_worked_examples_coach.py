"""The coach indicators of issue 9 (HRmax, % HRmax, HR zone, efficiency factor, Friel decoupling, HR recovery,
gait uniformity, gait state, red flags), each against a hand-computed worked example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from processors.decoupling_friel import halves_decoupling
from processors.efficiency_factor import efficiency_factor_m_min
from processors.engine import Engine
from processors.gait_state import classify
from processors.gait_uniformity import uniformity_of
from processors.hr_max import effective_hr_max
from processors.hr_recovery import recovery_at
from processors.hr_zone import zone_of
from processors.profile import Profile
from processors.registry import compute
from processors.window import Window
from tests.processors.synth import T0


def window(**streams: np.ndarray) -> Window:
    n = len(next(iter(streams.values())))
    return Window.from_arrays(t=T0 + np.arange(float(n)), session_start=T0, **streams)  # type: ignore[arg-type]


def ticks(w: Window, profile: Profile, every: int = 5) -> list:  # type: ignore[type-arg]
    eng = Engine(profile)
    out = []
    for end in range(every, len(w), every):
        a = max(0, end + 1 - 3600)
        sl = slice(a, end + 1)
        part = Window(t=w.t[sl], hr=w.hr[sl], speed=w.speed[sl], cadence=w.cadence[sl], temp=w.temp[sl],
                      session_start=T0)  # fmt: skip
        out.append(eng.tick(part))
    return out


# ------------------------------------------------------------------------------------------------ HRmax
def test_tanaka_hr_max_when_unknown() -> None:
    # 208 - 0.7 * age: 20 -> 194, 40 -> 180, 60 -> 166 (220 - age would give 200, 180, 160)
    assert [Profile(age=a).hr_max_bpm for a in (20, 40, 60)] == [194.0, 180.0, 166.0]
    assert Profile().hr_max_bpm == 183.5  # default age 35
    assert Profile(age=60, hr_max=175).hr_max_bpm == 175.0  # a measured value wins


def test_hr_max_raised_by_sustained_observed_hr_not_by_a_spike() -> None:
    assert effective_hr_max(Profile(age=60), 171.0) == 171.0
    assert effective_hr_max(Profile(age=60), 150.0) == 166.0
    hr = np.full(300, 150.0)
    hr[100] = 200.0  # a spike
    assert compute("hr_max_bpm", window(hr=hr), Profile(age=60)) == 166.0
    hr[200:230] = 172.0  # 30 s sustained above Tanaka's 166
    inds = ticks(window(hr=hr, speed=np.full(300, 3.0), cadence=np.full(300, 170.0)), Profile(age=60))
    assert max(i.hr_max_bpm for i in inds) == pytest.approx(172.0, abs=0.6)
    assert inds[-1].hr_max_bpm == max(i.hr_max_bpm for i in inds)  # held for the session


# ------------------------------------------------------------------------------------------------ % HRmax, zone
def test_hr_pct_max_and_zone_by_hand() -> None:
    prof = Profile(hr_max=180)
    # 153 / 180 = 85 % -> zone 4 (80-90 %); 108/180 = 60 % -> zone 2; 162/180 = 90 % -> zone 5
    for hr, pct, zone in ((153.0, 85.0, 4), (108.0, 60.0, 2), (162.0, 90.0, 5), (90.0, 50.0, 1)):
        w = window(hr=np.full(40, hr))
        assert compute("hr_pct_max", w, prof) == pct
        assert compute("hr_zone", w, prof) == zone
    assert [zone_of(p) for p in (59.9, 60.0, 70.0, 80.0, 90.0)] == [1, 2, 3, 4, 5]
    assert compute("hr_zone", window(speed=np.full(40, 3.0)), prof) is None  # no HR, no zone


def test_zone_and_time_in_zones_use_the_same_bands() -> None:
    prof = Profile(hr_max=200, hr_rest=60)
    hr = np.r_[np.full(100, 110.0), np.full(100, 130.0), np.full(100, 150.0), np.full(100, 170.0),
               np.full(100, 190.0)]  # 55, 65, 75, 85, 95 % of HRmax  # fmt: skip
    # cadence 182: away from every HR level (HR equal to cadence would read as cadence lock)
    inds = ticks(window(hr=hr, speed=np.full(500, 3.0), cadence=np.full(500, 182.0)), prof)
    assert inds[-1].hr_zone == 5
    zones = inds[-1].hr_zone_s
    assert sum(zones) > 400  # seconds with a reliable HR (the cleaning drops a few at each 20-bpm step)
    for z in zones:
        assert z == pytest.approx(sum(zones) / 5, abs=15)  # ~100 s in each zone


# ------------------------------------------------------------------------------------------------ efficiency
def test_efficiency_factor_by_hand() -> None:
    # 3.0 m/s = 180 m/min at 150 bpm -> 1.2; 4:00/km = 250 m/min at 160 bpm -> 1.5625
    assert efficiency_factor_m_min(3.0 * 600, 150.0 * 600) == 1.2
    w = window(hr=np.full(900, 160.0), speed=np.full(900, 1000.0 / 240.0))
    assert compute("efficiency_factor", w) == pytest.approx(1.5625, abs=1e-3)
    assert compute("efficiency_factor", window(hr=np.full(200, 160.0), speed=np.full(200, 3.0))) is None


def test_friel_decoupling_by_hand_and_walk_breaks_ignored() -> None:
    from processors.bins import N_FIELDS, N_P, S_P_HR, S_P_SPD

    rows = np.zeros((240, N_FIELDS))
    rows[:, N_P], rows[:, S_P_SPD] = 10, 30.0
    rows[:120, S_P_HR], rows[120:, S_P_HR] = 1500.0, 1560.0
    assert halves_decoupling(rows, 600) == pytest.approx(100 * (1 - 150 / 156))  # 3.85 %
    # a 60-min run: HR 150 for the first half of the steady part, 156 for the second, walk breaks with low HR
    n = 3600
    speed, hr = np.full(n, 3.0), np.full(n, 150.0)
    hr[2280:] = 156.0  # steady part: minutes 13-60 (warm-up 10 + settle 3) -> halves split near minute 36.5
    for start in (1500, 2700):  # two 2-min walks at a low HR: not steady running, left out
        speed[start : start + 120], hr[start : start + 120] = 1.4, 110.0
    inds = ticks(window(hr=hr, speed=speed, cadence=np.full(n, 170.0)), Profile(hr_max=190))
    value = inds[-1].decoupling_friel_pct
    assert value is not None and 3.0 < value < 4.2  # close to 3.85 %, the walks do not pull it around


# ------------------------------------------------------------------------------------------------ HR recovery
def test_hr_recovery_by_hand() -> None:
    spd = np.r_[np.full(61, 3.5), np.full(60, 1.2)]
    hr = np.r_[np.full(61, 172.0), np.linspace(170.0, 141.0, 50), np.full(10, 140.0)]
    assert recovery_at(hr, spd, 60, hard_hr=160.0, min_speed=2.0, ease=0.7) == 32.0
    assert recovery_at(hr, spd, 60, hard_hr=175.0, min_speed=2.0, ease=0.7) is None  # not hard enough


def test_hr_recovery_after_each_interval() -> None:
    """Three 4-min intervals at 88 % HRmax with 2-min walks: HR falls 30, 25, then 20 bpm in the first minute."""
    speed: list[float] = [3.0] * 600
    hr: list[float] = [150.0] * 600
    for drop in (30.0, 25.0, 20.0):
        speed += [3.9] * 240
        hr += [165.0] * 240
        speed += [1.3] * 120
        hr += [165.0 - drop * min(1.0, k / 50.0) for k in range(120)]
    w = window(hr=np.array(hr), speed=np.array(speed), cadence=np.where(np.array(speed) > 2, 175.0, 110.0))
    inds = ticks(w, Profile(hr_max=185))  # 165 >= 0.85 * 185 = 157
    seen = []
    for i in inds:
        if i.hr_recovery_bpm is not None and (not seen or seen[-1] != i.hr_recovery_bpm):
            seen.append(i.hr_recovery_bpm)
    assert seen == pytest.approx([30.0, 25.0, 20.0], abs=1.5)
    assert inds[0].hr_recovery_bpm is None


# ------------------------------------------------------------------------------------------------ gait
def test_gait_uniformity_is_monotony_renamed() -> None:
    s = np.array([3.0 * 0.95, 3.0 * 1.05] * 50)
    c = np.array([170.0 * 0.975, 170.0 * 1.025] * 50)
    assert uniformity_of(s, c) == pytest.approx(math.exp(-1.0))  # v = 0.5 + 0.5 = 1
    rng = np.random.default_rng(4)
    n = 1800
    w = window(hr=np.full(n, 150.0), speed=3.0 + rng.normal(0, 0.2, n), cadence=170.0 + rng.normal(0, 3, n))
    last = ticks(w, Profile())[-1]
    assert last.gait_uniformity is not None and last.gait_uniformity == last.monotony


def test_gait_state_by_hand() -> None:
    assert classify(3.2, 172.0) == "running"
    assert classify(2.1, 150.0) == "running"  # a slow jog: running step rate
    assert classify(2.1, 125.0) == "walking"  # a brisk walk, even uphill fast
    assert classify(0.0, 0.0) == "stopped"
    assert classify(0.0, None) == "stopped"
    assert classify(None, None) == "unknown"
    spd = np.r_[np.full(200, 3.2), np.full(100, 0.0)]
    cad = np.r_[np.full(200, 172.0), np.full(100, 0.0)]
    inds = ticks(window(speed=spd, cadence=cad, hr=np.full(300, 150.0)), Profile())
    last = inds[-1]
    assert last.gait_state == "stopped" and last.gait_state_s == pytest.approx(95, abs=8)
    assert at_s(inds, 150).gait_state == "running" and at_s(inds, 150).gait_steady


def at_s(inds: list, s: float):  # type: ignore[no-untyped-def, type-arg]
    return min(inds, key=lambda i: abs(i.elapsed_s - s))


def test_red_flag_thresholds_by_hand() -> None:
    """Stopped a minute with HR ≥ 90 % of HRmax: flag; 88 %: none (for the walk rule it takes 2 min)."""
    prof = Profile(hr_max=200)
    spd = np.r_[np.full(300, 3.5), np.full(90, 0.0)]
    cad = np.r_[np.full(300, 176.0), np.full(90, 0.0)]
    high = ticks(window(speed=spd, cadence=cad, hr=np.full(390, 182.0)), prof)  # 91 %
    assert high[-1].red_flag == "high_hr_stopped"
    assert at_s(high, 330).red_flag is None  # 30 s after the stop: too early to tell
    lower = ticks(window(speed=spd, cadence=cad, hr=np.full(390, 176.0)), prof)  # 88 %
    assert lower[-1].red_flag is None

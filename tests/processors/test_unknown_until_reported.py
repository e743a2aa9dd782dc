"""Cumulative indicators are None (unknown) until their input stream has reported in the session — never an
invented 0 — and count as before from the moment it reports; states saved before this change still load."""

from __future__ import annotations

import math

import numpy as np
import pytest

from processors.distance import Distance
from processors.engine import Engine
from processors.faster_than_training import FasterThanTraining
from processors.hr_zones import HrZones
from processors.profile import Profile
from processors.registry import Processor, compute
from processors.sweat import SweatLoss
from processors.trimp import Trimp
from processors.window import Window
from tests.processors.synth import T0

N = 300
NAN = np.full(N, np.nan)
PROFILE = Profile(sex="male", hr_rest=60, hr_max=180, training_pace=330, mass_kg=70)


def _window(n: int = N, **streams: np.ndarray) -> Window:
    return Window.from_arrays(t=T0 + np.arange(float(n)), session_start=T0, **streams)


HR_ONLY = {"hr": np.full(N, 150.0), "temp": np.full(N, 25.0)}  # a heart-rate-only gateway (with its thermometer)
PACE_ONLY = {"speed": np.full(N, 1000 / 300), "cadence": np.full(N, 175.0), "temp": np.full(N, 25.0)}


@pytest.mark.parametrize(
    ("symbol", "streams"),
    [
        ("distance_m", HR_ONLY),
        ("sweat_loss_pct", HR_ONLY),
        ("faster_than_training_s", HR_ONLY),
        ("trimp", PACE_ONLY),
        ("hr_zone_s", PACE_ONLY),
    ],
)
def test_none_without_its_input(symbol: str, streams: dict[str, np.ndarray]) -> None:
    assert compute(symbol, _window(**streams), PROFILE) is None


@pytest.mark.parametrize(
    ("symbol", "streams", "expected"),
    [
        ("trimp", HR_ONLY, 10.1297),  # 5 min at HRr 0.75, male: 5 · 0.75 · 0.64 · e^(1.92 · 0.75)
        ("hr_zone_s", HR_ONLY, [0.0, 0.0, 0.0, 300.0, 0.0]),  # 150/180 = 83 % HRmax: zone 4
        ("distance_m", PACE_ONLY, 1000.0),
        ("faster_than_training_s", PACE_ONLY, 300.0),
    ],
)
def test_counted_with_its_input(symbol: str, streams: dict[str, np.ndarray], expected: object) -> None:
    got = compute(symbol, _window(**streams), PROFILE)
    assert got == pytest.approx(expected, abs=1e-3)


def test_sweat_loss_known_with_speed_and_temperature() -> None:
    got = compute("sweat_loss_pct", _window(**PACE_ONLY), PROFILE)
    assert got is not None and got > 0.0


def test_a_true_zero_stays_zero() -> None:
    """Pace reported and the runner standing still: 0 m is known. No second faster than training: 0 s."""
    standing = _window(speed=np.zeros(N))
    assert compute("distance_m", standing, PROFILE) == 0.0
    assert compute("faster_than_training_s", standing, PROFILE) == 0.0


def test_faster_than_training_unknown_without_a_training_pace() -> None:
    assert compute("faster_than_training_s", _window(**PACE_ONLY), Profile()) is None


def test_counts_from_the_moment_the_stream_reports() -> None:
    """HR only for 5 min, then the pace stream joins: distance counts from the first speed second on."""
    n = 2 * N
    speed = np.concatenate([NAN, np.full(N, 3.0)])
    hr = np.concatenate([np.full(N, 150.0), np.full(N, 150.0)])
    eng = Engine(PROFILE)
    first = eng.tick(_window(N, hr=hr[:N], speed=speed[:N]))
    assert first.distance_m is None and first.trimp is not None and first.hr_zone_s is not None
    later = eng.tick(_window(n, hr=hr, speed=speed))
    assert later.distance_m == pytest.approx(3.0 * N, abs=1.0)
    assert later.faster_than_training_s is not None and later.faster_than_training_s == 0.0


def test_pace_only_engine_indicators() -> None:
    ind = Engine(PROFILE).tick(_window(**PACE_ONLY))
    assert ind.trimp is None and ind.hr_zone_s is None
    assert ind.distance_m is not None and ind.distance_m == pytest.approx(1000.0, abs=1.0)


def test_seen_flag_survives_save_and_restore() -> None:
    eng = Engine(PROFILE)
    eng.tick(_window(**HR_ONLY))
    again = Engine.from_state(PROFILE, eng.state_dict())
    ind = again.tick(_window(N + 5, hr=np.full(N + 5, 150.0)))
    assert ind.distance_m is None and ind.trimp is not None and ind.trimp > 10.0


@pytest.mark.parametrize(
    ("proc", "old_state", "known"),
    [
        (Distance(), {"total": 1234.5}, True),
        (Distance(), {"total": 0.0}, False),
        (Trimp(), {"total": 12.5}, True),
        (Trimp(), {"total": 0.0}, False),
        (FasterThanTraining(), {"total": 30.0}, True),
        (HrZones(), {"zones": [10.0, 0.0, 0.0, 0.0, 0.0]}, True),
        (HrZones(), {"zones": [0.0] * 5}, False),
        (SweatLoss(), {"sweat_g": 100.0, "pending_j": 0.0, "last_temp": 20.0, "last_speed": 3.0}, True),
    ],
)
def test_states_saved_before_the_change_load(proc: Processor, old_state: dict[str, object], known: bool) -> None:
    """A state without the new "seen" key: a non-zero total means the stream had reported (as before)."""
    proc.load_state(old_state)
    if isinstance(proc, SweatLoss):
        proc._pct = proc._percent(70.0)
    got = proc.get()
    assert (got is not None) == known
    if known and isinstance(got, float):
        assert math.isfinite(got) and got > 0.0

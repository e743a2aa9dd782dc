"""Grade-adjusted pace (Minetti et al. 2002), worked examples with numbers computed by hand.

C(i) = 155.4 i⁵ − 30.4 i⁴ − 43.3 i³ + 46.3 i² + 19.5 i + 3.6 (J/kg/m), term by term:

- C(0.05)  = 3.6 + 0.975 + 0.115750 − 0.0054125 − 0.00019000 + 0.0000486 = 4.6851961 → C/C(0) = 1.3014434
- C(−0.05) = 3.6 − 0.975 + 0.115750 + 0.0054125 − 0.00019000 − 0.0000486 = 2.7459239 → C/C(0) = 0.7627566
- C(0.10)  = 3.6 + 1.95 + 0.463 − 0.0433 − 0.00304 + 0.001554 = 5.968214
- C(0.45)  = 3.6 + 8.775 + 9.37575 − 3.9457125 − 1.2465900 + 2.8675671 = 19.4260146 → C/C(0) = 5.3961152

A runner at 3.0 m/s (333.33 s/km) up a steady 5 %: GAP = 333.33 / 1.3014434 = 256.13 s/km; down 5 %: 437.01 s/km.
"""

from __future__ import annotations

import numpy as np
import pytest

from processors.grade_adjusted_pace import GRADE_WINDOW_M, grade_adjusted_pace, minetti_cost

PACE = 1000.0 / 3.0  # 3.0 m/s


def _run(n: int = 1200, speed: float = 3.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.arange(float(n))
    v = np.full(n, speed)
    return t, v, speed * t


@pytest.mark.parametrize(
    ("grade", "cost"), [(0.0, 3.6), (0.05, 4.6851961), (-0.05, 2.7459239), (0.10, 5.968214), (0.45, 19.4260146)]
)
def test_minetti_cost_by_hand(grade: float, cost: float) -> None:
    assert minetti_cost(grade) == pytest.approx(cost, abs=1e-6)


def test_flat_run_gap_equals_pace() -> None:
    t, v, d = _run()
    g = grade_adjusted_pace(t, v, np.full(t.shape[0], 120.0), d)
    assert g is not None and g.gap_s_per_km is not None
    assert g.gap_s_per_km == pytest.approx(PACE, rel=1e-9)
    assert g.moving_pace_s_per_km == pytest.approx(PACE, rel=1e-9)
    assert (g.moving_s, g.distance_m, g.climb_m, g.descent_m, g.graded_share) == (1199.0, 3597.0, 0.0, 0.0, 1.0)


def test_steady_5pct_climb_is_faster_by_the_cost_ratio() -> None:
    t, v, d = _run()
    g = grade_adjusted_pace(t, v, 50.0 + 0.05 * d, d)
    assert g is not None and g.gap_s_per_km is not None
    assert g.gap_s_per_km == pytest.approx(256.13, abs=0.01)  # 333.33 / 1.3014434
    assert g.moving_pace_s_per_km / g.gap_s_per_km == pytest.approx(1.3014434, rel=1e-6)
    assert g.climb_m == pytest.approx(0.05 * 3597.0, abs=0.01) and g.descent_m == 0.0


def test_steady_5pct_descent_is_slower_by_the_cost_ratio() -> None:
    t, v, d = _run()
    g = grade_adjusted_pace(t, v, 500.0 - 0.05 * d, d)
    assert g is not None and g.gap_s_per_km is not None
    assert g.gap_s_per_km == pytest.approx(437.01, abs=0.01)  # 333.33 / 0.7627566
    assert g.descent_m == pytest.approx(179.85, abs=0.01) and g.climb_m == 0.0


def test_grade_is_clipped_to_45pct() -> None:
    t, v, d = _run(400)
    g = grade_adjusted_pace(t, v, 1.0 * d, d)  # a 100 % "wall": Minetti's fit holds to 45 % only
    assert g is not None and g.gap_s_per_km is not None
    assert PACE / g.gap_s_per_km == pytest.approx(5.3961152, rel=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_noisy_altitude_on_flat_ground_stays_within_1pct(seed: int) -> None:
    """Barometric-like noise (σ 1 m, independent each second) on a flat hour: the 60-m fit keeps the grade noise
    to ~1.6 % (σ / √(n·W²/12), n = 20 samples), whose convexity bias is 46.3/3.6·σᵢ² ≈ 0.3 %."""
    t, v, d = _run(3600)
    alt = 200.0 + np.random.default_rng(seed).normal(0.0, 1.0, t.shape[0])
    g = grade_adjusted_pace(t, v, alt, d)
    assert g is not None and g.gap_s_per_km is not None
    assert abs(g.gap_s_per_km / PACE - 1.0) < 0.01
    assert g.climb_m < 10.0 and g.descent_m < 10.0  # 10.8 km of flat: noise is no hill


def test_altitude_spike_is_not_a_hill() -> None:
    t, v, d = _run()
    alt = np.full(t.shape[0], 80.0)
    alt[1:4] = 167.4  # a 3-sample jump right after the start (as the Fenix 2 file has: 55, 142.4 x 3, 56 m)
    alt[600:603] = 150.0  # and a 3-sample glitch mid-run
    g = grade_adjusted_pace(t, v, alt, d)
    assert g is not None and g.gap_s_per_km == pytest.approx(PACE, rel=1e-9)
    assert (g.climb_m, g.descent_m) == (0.0, 0.0)


def test_stopped_seconds_count_for_nothing() -> None:
    """A 2-min stop at a light (speed 0, distance still, the barometer drifting 1 m) mid-climb: the moving time
    and distance are those of the running, and GAP is the climb's."""
    t, v, d = _run()
    v[600:720] = 0.0
    d = np.concatenate(([0.0], np.cumsum(v[:-1])))
    alt = 0.05 * d + np.where((t >= 600) & (t < 720), (t - 600) / 120.0, 0.0)
    g = grade_adjusted_pace(t, v, alt, d)
    assert g is not None and g.gap_s_per_km is not None
    assert g.moving_s == 1199.0 - 120.0 and g.distance_m == pytest.approx(3.0 * 1079.0)
    assert g.moving_pace_s_per_km == pytest.approx(PACE)
    assert g.gap_s_per_km == pytest.approx(256.13, abs=0.5)


def test_smart_recording_gives_the_same_climb() -> None:
    """Irregular samples (1–7 s apart, as a watch in smart recording writes) give the same GAP on a 5 % climb."""
    t = np.cumsum(np.random.default_rng(3).integers(1, 8, 500)).astype(np.float64)
    d = 3.0 * t
    g = grade_adjusted_pace(t, np.full(t.shape[0], 3.0), 0.05 * d, d)
    assert g is not None and g.gap_s_per_km == pytest.approx(256.13, abs=0.01)


def test_without_distance_speed_is_integrated() -> None:
    t, v, d = _run()
    g = grade_adjusted_pace(t, v, 0.05 * d, None)
    assert g is not None and g.gap_s_per_km == pytest.approx(256.13, abs=0.01)


def test_no_altitude_is_none() -> None:
    t, v, d = _run()
    assert grade_adjusted_pace(t, v, np.zeros(0), d) is None
    assert grade_adjusted_pace(t, v, np.full(t.shape[0], np.nan), d) is None
    part = np.full(t.shape[0], np.nan)
    part[:400] = 100.0  # altitude for a third of the run only: not enough to adjust the whole
    assert grade_adjusted_pace(t, v, part, d) is None
    assert grade_adjusted_pace(t, np.zeros(t.shape[0]), np.full(t.shape[0], 1.0), np.zeros(t.shape[0])) is None


def test_window_is_at_least_the_30_m_the_noise_needs() -> None:
    assert GRADE_WINDOW_M >= 30.0

"""Rounding of the status document (every float to 4 decimals, NaN/inf as None) and its fast build from the
indicators :meth:`processors.engine.Engine.tick` makes, which skips the second rounding of values that their
processor already rounded.

Why a rounded value need not be rounded again: let ``x`` be the double nearest to a decimal ``q = k / 10ᵈ``
(``d <= 4``, as ``round(v, d)``, ``processors._util.fround(v, d)`` and NumPy's ``round`` return: ``x = r / 10ᵈ``
with ``r`` an integer, correctly rounded). Then ``|x - q| <= ulp(x) / 2``, and ``q = k·10⁴⁻ᵈ / 10⁴`` has 4
decimals; every other 4-decimal number is at least ``10⁻⁴ - ulp(x) / 2`` from ``x``, so while ``ulp(x) < 10⁻⁴``
(``|x| < 2³⁹``, far beyond any indicator) ``q`` is the unique 4-decimal number nearest to ``x``, and
``round(x, 4)`` (= :func:`round4`) returns the double nearest to ``q``: ``x`` itself, its sign of zero
included. tests/monitor/core/test_status_prerounded.py checks this on many values and on every skipped field of
real ticks.
"""

from __future__ import annotations

import math
from operator import attrgetter
from typing import Any, Final

import numpy as np

from processors._util import ROUND_MAGIC
from processors.indicators import Indicators


def round4(x: float) -> float:
    """``round(x, 4)`` exactly (correctly rounded, the sign of zero kept), ~1.5x faster: away from a decimal tie
    ``x · 10⁴`` is rounded in binary and divided back (both steps exact or correctly rounded); near a tie, and for
    non-finite ``x`` or beyond event times (7e9), Python's ``round`` decides (tests/monitor/core/test_round4.py).

    >>> round4(1.23456), round4(-0.00001), round4(2.00005) == round(2.00005, 4)
    (1.2346, -0.0, True)
    """
    if -2e5 < x < 2e5:
        y = x * 10000.0
        r = (y + ROUND_MAGIC) - ROUND_MAGIC
        d = y - r
        if -0.499999 < d < 0.499999:  # x · 10⁴ is not within ~1e-6 of a tie (its rounding error is < 3e-7)
            return r / 10000.0 if r else 0.0 * x  # 0.0 * x: ±0 like round
    elif -7e9 < x < 7e9:  # event times: |x · 10⁴| < 2⁴⁶, so its rounding error is < 0.004
        y = x * 10000.0
        r = (y + ROUND_MAGIC) - ROUND_MAGIC
        d = y - r
        if -0.49 < d < 0.49:
            return r / 10000.0  # r is not 0 here
    return round(x, 4)


def _clean(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if not math.isfinite(f) else round4(f)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _num(value: Any) -> Any:
    """:func:`_clean` with a fast path for plain floats."""
    if type(value) is float:
        return round4(value) if value - value == 0.0 else None
    return value if value is None else _clean(value)


#: Indicators fields that Engine.tick sets from ``_f`` (a finite plain float, or None) or ``float``/``bool`` of a
#: value a processor rounded to <= 4 decimals (the producer's rounding in brackets): :func:`round4` returns them
#: unchanged (module docstring), so the engine's status takes them as they are.
PREROUNDED_FIELDS: Final = frozenset((
    "distance_m",  # distance: fround 3
    "hr", "cadence", "temp",  # _recent.RecentMedian: fround 3
    "pace",  # pace: fround 3
    "stride_m",  # stride: fround 4
    "fatigue",  # fatigue: fround 4
    "pace_over_training", "decoupling_pct", "trimp", "sweat_loss_pct",  # their processors: fround 4
    "monotony", "gait_uniformity",  # gait_uniformity: fround 4
    "risk",  # risk: float(fround 4 of a clipped probability)
    "cardiac_drift_bpm_h",  # drift: fround 4
    "heat_factor", "duration_vs_longest",  # heat, duration: fround 4
    "hr_pct_max", "hr_recovery_bpm",  # hr_pct_max, hr_recovery: fround 1
    "efficiency_factor", "decoupling_friel_pct",  # efficiency_factor, decoupling_friel: fround 4
    "hr_unreliable", "acute_cramp",  # bool(...)
))  # fmt: skip

#: Indicators fields rounded to <= 4 decimals whose type Engine.tick does not fix: only checked (gait_state_s:
#: the engine's fround 1).
FIELDS_CHECKED: Final = frozenset(("gait_state_s",))
#: Indicators fields rounded here whose last rounding is kept and reused (the same from tick to tick).
FIELDS_REUSED: Final = frozenset(("hr_max_bpm",))

#: Indicators fields whose dict or list holds values rounded to <= 4 decimals by their producer (risk.risk_of
#: and fatigue.fatigue_of: fround 4; hr_zones: whole seconds): only NaN/inf and non-floats are converted.
PREROUNDED_CONTAINERS: Final = frozenset(("factors", "fatigue_parts", "hr_zone_s"))

#: ``Indicators.values`` entries Engine._values sets with ``_f`` (a finite plain float, or None) or from the
#: indicators above, of values their producer rounded to <= 4 decimals: copied as they are.
VALUES_AS_IS: Final = (
    "pace_ratio_10min", "pace_ratio_plan", "hrr_10min",  # sustained_pace, pace_over_plan, intensity: fround 4
    "hr_bpm", "cadence_spm", "temp_c", "stride_m",  # the indicators above
    "cadence_decline_pct", "cadence_cv_ratio", "stride_change_pct", "step_m",  # their processors: fround 4
    "heat_factor", "sweat_loss_pct", "decoupling_pct", "cardiac_drift_bpm_h", "monotony",  # the indicators above
    "duration_vs_longest",  # the indicator above
    "risk_logit", "risk_evidence",  # risk: fround 4
)  # fmt: skip
#: ``Indicators.values`` entries rounded to <= 4 decimals whose type Engine._values does not fix: only checked.
VALUES_CHECKED: Final = (
    "elapsed_min",  # engine: fround 4
    "baseline_cadence_spm", "cadence_baseline", "baseline_stride_m",  # engine._baseline_gait: fround 3, 4
)  # fmt: skip
#: The other ``Indicators.values`` entries, rounded here: speed_mps (6 decimals), fatigue_gait (a weighted mean)
#: and profile values (the same from tick to tick, so the last rounding of each is kept and reused).
VALUES_ROUNDED: Final = (
    "speed_mps", "training_pace_s_per_km", "training_speed_mps", "reference_pace_s_per_km", "hr_max_bpm",
    "fatigue_gait",
)  # fmt: skip
PREROUNDED_VALUES: Final = frozenset(VALUES_AS_IS + VALUES_CHECKED)
_N_VALUES: Final = len(VALUES_AS_IS) + len(VALUES_CHECKED) + len(VALUES_ROUNDED)


class EngineStatus:
    """Fills a status with the indicators of ``fields`` (in that order) as :func:`_clean` would, for indicators
    made by ``Engine.tick``: the fields in :data:`PREROUNDED_FIELDS` and the entries in :data:`VALUES_AS_IS` are
    copied as they are, the containers in :data:`PREROUNDED_CONTAINERS` and the entries in
    :data:`VALUES_CHECKED` only checked for NaN/inf, not rounded again — about 60 fewer :func:`round4` calls a
    tick (~1.6 k instructions each). One per athlete: it keeps the last rounding of values that seldom change
    (:meth:`round`)."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self._fields = fields
        self._get = attrgetter(*fields)
        #: the fields still rounded or converted here, as :meth:`AthletePipeline._status` does for any indicators
        self._general = tuple(k for k in fields if k not in PREROUNDED_FIELDS)
        self._last: dict[str, tuple[float, float]] = {}  # key: (value, round4(value)) last rounded

    def round(self, key: str, x: Any) -> Any:
        """:func:`_num` of ``x``, the last result for ``key`` reused while ``x`` is equal to its value then (two
        equal floats are the same double unless they are zeros, ±0: not reused)."""
        if type(x) is float and x - x == 0.0:
            last = self._last.get(key)
            if last is not None and last[0] == x and x:
                return last[1]
            r = round4(x)
            self._last[key] = (x, r)
            return r
        return _num(x)

    def fill(self, status: dict[str, Any], ind: Indicators) -> None:
        got = self._get(ind)
        if len(got) != len(self._fields):  # zip(..., strict=True)'s check, once (compiled: no keyword call)
            raise ValueError("EngineStatus.fill: the fields and their values differ in length")
        status.update(zip(self._fields, got))  # noqa: B905 (checked above); the order of the keys: fields
        for key in self._general:
            v = status[key]
            cls = type(v)  # compiled: the object's type slot (v.__class__ is an attribute lookup)
            if cls is float:
                if v - v != 0.0:  # v - v is NaN for NaN and ±inf
                    status[key] = None
                elif key in FIELDS_REUSED:
                    status[key] = self.round(key, v)
                elif key not in FIELDS_CHECKED:
                    status[key] = round4(v)
            elif v is None or cls is str or cls is bool or cls is int:
                pass
            elif key == "values" and cls is dict and len(v) == _N_VALUES:
                status[key] = self._values(v)
            elif key in PREROUNDED_CONTAINERS and (cls is dict or cls is list):
                if cls is dict:
                    status[key] = {k: x if type(x) is float and x - x == 0.0 else _num(x) for k, x in v.items()}
                else:
                    status[key] = [x if type(x) is float and x - x == 0.0 else _clean(x) for x in v]
            else:
                status[key] = _clean(v)

    def _values(self, v: dict[str, Any]) -> dict[str, Any]:
        out = dict(v)  # VALUES_AS_IS: as they are
        for k in VALUES_CHECKED:
            x = out[k]
            if not (type(x) is float and x - x == 0.0):
                out[k] = _num(x)
        for k in VALUES_ROUNDED:
            out[k] = self.round(k, out[k])
        return out

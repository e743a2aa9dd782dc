"""CrampRisk.update (the one-pass form) gives the bits of the reference form (factor_inputs + risk_of + max_level)
on random inputs: None, NaN, ±inf, ±0, boundaries, profiles and plans changing between ticks."""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np
import pytest

from processors.fatigue import Fatigue
from processors.profile import Profile
from processors.registry import Context
from processors.risk import Risk, factor_inputs, max_level, risk_of
from processors.risk_processor import CrampRisk
from processors.window import Window

_SPECIAL = [None, math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, 0.75, 1.5, 2.0, 1e300, -1e300, 5e-324]


def _bits(x: Any) -> Any:
    """A value with its type and, for a float, its exact bits (so -0.0 and NaN compare as what they are)."""
    if isinstance(x, float):
        return (type(x), struct.pack("<d", x))
    if isinstance(x, dict):
        return [(k, _bits(v)) for k, v in x.items()]
    return (type(x), x)


def _same(a: Risk, b: Risk) -> bool:
    names = ("risk", "logit", "factors", "max_level", "evidence", "prior")
    return [_bits(getattr(a, n)) for n in names] == [_bits(getattr(b, n)) for n in names]


def reference_update(proc: CrampRisk, ctx: Context) -> None:
    """CrampRisk.update as it was written before its one-pass form."""
    fatigue: Fatigue = ctx["fatigue"]
    if fatigue is not proc._fatigue:
        proc._fatigue, proc._fatigue_gait = fatigue, fatigue.gait()
    fatigue_gait = proc._fatigue_gait
    elapsed_s = max(ctx.window.elapsed, 0.0)
    acute = bool(ctx["acute_cramp"])
    inputs = factor_inputs(
        pace_ratio=ctx["pace_ratio_plan"],
        elapsed_s=elapsed_s,
        duration_vs_longest=ctx["duration_vs_longest"],
        heat=ctx["heat_factor"],
        sweat_pct=ctx["sweat_loss_pct"],
        fatigue_gait=fatigue_gait,
        decoupling=ctx["decoupling_pct"],
        drift=ctx["cardiac_drift_bpm_h"],
        monotony=ctx["monotony"],
        acute=acute,
        profile=ctx.profile,
    )
    proc._value = risk_of(
        inputs,
        lambda evidence: max_level(elapsed_s=elapsed_s, evidence=evidence, fatigue_gait=fatigue_gait, acute=acute),
    )


def _value(rng: np.random.Generator, lo: float, hi: float) -> float | None:
    if rng.random() < 0.3:
        return _SPECIAL[int(rng.integers(0, len(_SPECIAL)))]
    v = float(rng.uniform(lo, hi))
    return round(v, int(rng.integers(0, 5))) if rng.random() < 0.5 else v


def _profile(rng: np.random.Generator) -> Profile:
    return Profile(
        sex=[None, "male", "female"][int(rng.integers(0, 3))],  # type: ignore[arg-type]
        age=[None, 20.0, 35.0, 35.5, 50.0, 80.0, 99.0][int(rng.integers(0, 7))],
        cramp_history=[None, True, False][int(rng.integers(0, 3))],
        recent_injury=[None, True, False][int(rng.integers(0, 3))],
    )


def _results(rng: np.random.Generator, fatigue: Fatigue) -> dict[str, Any]:
    return {
        "fatigue": fatigue,
        "acute_cramp": bool(rng.random() < 0.1),
        "pace_ratio_plan": _value(rng, 0.7, 1.5),
        "duration_vs_longest": _value(rng, -0.1, 1.8),
        "heat_factor": _value(rng, -0.2, 1.2),
        "sweat_loss_pct": _value(rng, -1.0, 5.0),
        "decoupling_pct": _value(rng, -5.0, 20.0),
        "cardiac_drift_bpm_h": _value(rng, -10.0, 40.0),
        "monotony": _value(rng, -0.2, 1.2),
    }


def _fatigue(rng: np.random.Generator) -> Fatigue:
    parts: dict[str, float] = {}
    for k in ("drift", "decoupling", "cadence_decline", "cadence_variability"):
        if rng.random() < 0.6:
            parts[k] = float(rng.choice([0.0, 0.3, 0.7, 1.0, float(rng.uniform(0.0, 1.0))]))
    return Fatigue(value=None, parts=parts)


@pytest.mark.parametrize("seed", range(10))
def test_risk_update_is_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    fast, ref = CrampRisk(), CrampRisk()
    profile, fatigue = _profile(rng), _fatigue(rng)
    last = _results(rng, fatigue)
    for _ in range(400):
        if rng.random() < 0.05:
            profile = _profile(rng)
        if rng.random() < 0.2:
            fatigue = _fatigue(rng)
        elapsed = float(rng.choice([-5.0, 0.0, 1799.0, 1800.0, 2399.0, 2400.0, float(rng.uniform(0.0, 9000.0))]))
        window = Window.from_arrays(t=np.array([1000.0 + elapsed]), session_start=1000.0)
        fresh = _results(rng, fatigue)
        if rng.random() < 0.7:  # the processors hand out the very same objects until their inputs change
            fresh = {k: (last[k] if rng.random() < 0.8 else v) for k, v in fresh.items()}
        elif rng.random() < 0.3:  # equal values in new objects (and ±0 of each other)
            fresh = {k: (-v if isinstance(v, float) and v == 0.0 else float(str(v)) if isinstance(v, float) else v)
                     for k, v in last.items()}  # fmt: skip
        r = last = fresh
        fast.update(Context(window, profile, 0, dict(r)))
        reference_update(ref, Context(window, profile, 0, dict(r)))
        assert _same(fast.get(), ref.get()), (r, profile, elapsed)

"""Engine._indicators builds Indicators positionally: every field is what the former build by keyword gives.
Engine._values keeps what derives from immutable inputs (baseline gait, reference pace, fatigue_gait) without a
closure a tick, and hr_zone_s is copied with ``list``: every tick's values are what making them afresh gives
(the former ``_derive(key, inputs, lambda: ...)`` and ``[float(v) for v in zs]``), across profile and plan changes."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from processors.engine import _baseline_gait, _f
from processors.indicators import Indicators
from processors.profile import Profile, SessionPlan
from processors.window import Window
from tests.rounding import same
from tests.runs import HOT_PROFILE, hot_then_walk_run


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return same(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return _dicts_equal(a, b)
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(map(_eq, a, b))
    return type(a) is type(b) and a == b


def _former(window: Window, r: dict[str, Any]) -> Indicators:
    """The former build of Engine._indicators, by keyword (values aside)."""
    fatigue, risk, gs = r["fatigue"], r["risk"], r["gait_state"]
    names = ("distance_m", "hr", "pace", "cadence", "temp", "stride_m", "pace_over_training", "decoupling_pct",
             "trimp", "sweat_loss_pct", "monotony", "cardiac_drift_bpm_h", "heat_factor", "faster_than_training_s",
             "duration_vs_longest", "hr_pct_max", "hr_max_bpm", "gait_uniformity", "efficiency_factor",
             "decoupling_friel_pct", "hr_recovery_bpm")  # fmt: skip
    return Indicators(
        t=window.now, elapsed_s=max(window.elapsed, 0.0), fatigue=_f(fatigue.value), risk=float(risk.risk),
        level=r["level"], factors=dict(risk.factors), fatigue_parts=dict(fatigue.parts),
        hr_zone_s=None if r["hr_zone_s"] is None else [float(v) for v in r["hr_zone_s"]],
        hr_unreliable=bool(r["hr_unreliable"]), acute_cramp=bool(r["acute_cramp"]), hr_zone=r["hr_zone"],
        gait_state=gs.mode, gait_state_s=round(gs.seconds(window.now), 1), gait_steady=gs.steady,
        red_flag=r["red_flag"], **{k: _f(r[k]) for k in names},
    )  # fmt: skip


def _dicts_equal(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return list(a) == list(b) and all(_eq(a[k], b[k]) for k in a)


def test_kept_values_are_the_fresh_ones_on_every_tick() -> None:
    from monitor.core.pipeline import AthletePipeline

    pipe = AthletePipeline("club", "ann", HOT_PROFILE)
    frames = hot_then_walk_run(minutes=40, walk_minutes=10)
    pipe.start(frames[0].t)
    eng = pipe._engine
    assert eng is not None
    seen: list[tuple[dict[str, Any], Indicators, Profile, SessionPlan]] = []
    build = eng._indicators

    def capture(window: Window, r: dict[str, Any]) -> Indicators:
        ind = build(window, r)
        seen.append((dict(r), ind, eng.profile, eng.plan))
        former = _former(window, r)
        for f in fields(Indicators):
            if f.name != "values":
                assert _eq(getattr(ind, f.name), getattr(former, f.name)), f.name
        return ind

    eng._indicators = capture  # type: ignore[method-assign]
    changes = {len(frames) // 3: Profile(age=50, training_pace=341.5), len(frames) // 2: SessionPlan("tempo", None)}
    for i, f in enumerate(frames):
        change = changes.get(i)
        if isinstance(change, Profile):
            pipe.set_profile(change)
        elif isinstance(change, SessionPlan):
            pipe.set_plan(change)
        pipe.add_many((name, f.t, v) for name, v in f.streams().items())
    assert len(seen) > 400
    baselines = 0
    for r, ind, profile, plan in seen:
        v = ind.values
        assert _eq(v["fatigue_gait"], _f(r["fatigue"].gait()))
        ref = plan.reference_pace(profile)
        assert _eq(v["reference_pace_s_per_km"], _f(ref[0]) if ref is not None else None)
        base, recent = r["gait_baseline"], r["gait_recent"]
        if base is not None and recent is not None and r["cadence_decline_pct"] is not None:
            baselines += 1
            bc, bs = _baseline_gait(base, recent)
            assert _eq(v["baseline_cadence_spm"], bc) and _eq(v["cadence_baseline"], bc)
            assert _eq(v["baseline_stride_m"], bs)
        else:
            assert v["baseline_cadence_spm"] is None and v["baseline_stride_m"] is None
        zs = r["hr_zone_s"]
        assert _eq(ind.hr_zone_s, None if zs is None else [float(x) for x in zs])
        assert ind.hr_zone_s is None or ind.hr_zone_s is not zs  # a copy
    assert baselines > 100

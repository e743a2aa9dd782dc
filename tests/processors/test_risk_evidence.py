"""Issue 9.1/9.2: the risk reads the streams. Priors (profile, pace against today's plan, duration) set a
baseline; warnings need evidence from the run itself; one cardiac factor; pace judged against the plan.

Worked examples (synthetic runs of tests/processors/synth.py, ticked every 5 s as the monitor does)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from alerts.policy import AlertPolicy
from processors.engine import Engine
from processors.indicators import LEVELS, Indicators
from processors.profile import Profile, SessionPlan
from processors.risk import (
    COEFFICIENTS,
    EVIDENCE_FACTORS,
    EVIDENCE_HIGH,
    GATE_COEFFICIENTS,
    INTERCEPT,
    PRIOR_FACTORS,
    baseline_logit,
    cardiac_input,
    max_level,
    risk_of,
)
from tests.processors.synth import T0, F, Run, drive, make_run, warm_hr

#: Two runners with this same profile run the same pace in the same weather (examples 1 and 2).
RUNNER = Profile(sex="male", age=45, hr_rest=50, hr_max=185, training_pace=330, longest_run_min=120)


def fading_cadence(seed: int) -> Callable[[F], F]:
    """174 steps/min until minute 30, then falling by 9 steps/min to minute 80 with a rhythm growing irregular
    (stride-to-stride sd 1 → 4 steps/min, on top of the sensor noise)."""
    rng = np.random.default_rng(seed)

    def f(s: F) -> F:
        frac = np.clip((s / 60.0 - 30.0) / 50.0, 0.0, 1.0)
        wobble = rng.normal(0.0, 1.0, s.shape) * (1.0 + 3.0 * frac)
        return 174.0 - 9.0 * frac + wobble

    return f


def clean_run(seed: int = 4) -> Run:
    return make_run(90, pace_s_km=300.0, hr=warm_hr(158.0, 2.0), cadence=lambda s: np.full(s.shape, 174.0),
                    temp_c=20.0, seed=seed)  # fmt: skip


def fading_run(seed: int = 4) -> Run:
    return make_run(90, pace_s_km=300.0, hr=warm_hr(158.0, 18.0), cadence=fading_cadence(seed), temp_c=20.0,
                    seed=seed)  # fmt: skip


def alarms(out: list[Indicators], profile: Profile) -> list[tuple[float, str, str]]:
    """The warnings and criticals the alert policy sends for these ticks (minutes, level, kind)."""
    policy = AlertPolicy(squad="s", athlete="a", session_start=T0, profile=profile)
    sent = [a for ind in out for a in policy.update(ind)]
    return [((a.t - T0) / 60.0, a.level, a.kind) for a in sent if a.level in ("warning", "critical")]


def first(out: list[Indicators], level: str) -> float | None:
    rank = LEVELS.index(level)
    return next((i.elapsed_s / 60.0 for i in out if LEVELS.index(i.level) >= rank), None)


@pytest.mark.parametrize("seed", [4])
def test_fading_runner_is_warned_earlier_and_higher_than_the_clean_one(seed: int) -> None:
    clean = list(drive(clean_run(seed), RUNNER))
    fading = list(drive(fading_run(seed), RUNNER))
    # same profile, pace and weather: the priors are the same, so only the streams can tell them apart
    assert clean[-1].factors["pace_over_training"] == pytest.approx(fading[-1].factors["pace_over_training"], abs=0.1)
    # the fading runner: cadence falls and grows irregular, HR drifts at constant pace → warned ("high")
    when = first(fading, "high")
    assert when is not None and when <= 75, when
    assert any(a[1] == "warning" for a in alarms(fading, RUNNER))
    assert fading[-1].factors.get("fatigue", 0.0) > 0.5 and fading[-1].factors.get("cardiac", 0.0) > 0.5
    # the clean runner: never above "elevated" (priors alone), no warning at all
    assert first(clean, "high") is None
    assert alarms(clean, RUNNER) == []
    # and higher: the fading runner's risk is above the clean one's from minute 60 on
    late = [(c.risk, f.risk) for c, f in zip(clean, fading, strict=True) if c.elapsed_s >= 3600]
    assert all(f > c + 0.1 for c, f in late), late[:3]


def test_tempo_with_a_plan_is_not_too_fast() -> None:
    """15 min warm-up at 6:00/km, 30 min at 4:55/km (12 % faster than training), 10 min cool-down."""

    def pace(s: F) -> F:
        return np.where((s >= 900) & (s < 2700), 295.0, 360.0)

    run = make_run(55, pace_s_km=pace, hr=warm_hr(150.0, 3.0), cadence=lambda s: np.full(s.shape, 172.0),
                   temp_c=16.0, seed=3)  # fmt: skip
    profile = Profile(sex="female", age=38, training_pace=330, longest_run_min=100)
    unplanned = list(drive(run, profile))
    planned = list(drive(run, profile, engine=Engine(profile, SessionPlan("tempo", 295.0))))
    plan_only = list(drive(run, profile, engine=Engine(profile, SessionPlan("tempo"))))
    at40 = [o[8 * 60 - 1] for o in (unplanned, planned, plan_only)]  # minute 40: 25 min into the tempo
    assert at40[0].factors["pace_over_training"] > 0.9  # against training pace: 12 % too fast
    assert abs(at40[1].factors["pace_over_training"]) < 0.15  # against today's target: on plan
    assert abs(at40[2].factors["pace_over_training"]) < 0.15  # a tempo plan without target: allowance
    assert at40[1].values["reference_pace_s_per_km"] == 295.0
    assert at40[0].pace_over_training == at40[1].pace_over_training  # the contract's status key stays "vs training"
    for out in (planned, plan_only):
        assert first(out, "elevated") is None and alarms(out, profile) == []


def test_cool_long_run_priors_alone_never_warn() -> None:
    """2 h 10 at training pace, 10 °C, longer than the longest run (100 min): duration pushes the risk up, to
    "elevated" at most, but with clean streams no warning."""
    run = make_run(130, pace_s_km=330.0, hr=warm_hr(140.0, 2.0), cadence=lambda s: np.full(s.shape, 170.0),
                   temp_c=10.0, seed=6)  # fmt: skip
    profile = Profile(sex="male", age=58, training_pace=330, longest_run_min=100, cramp_history=True)
    out = list(drive(run, profile))
    assert out[-1].factors["duration"] > 1.4 and out[-1].level == "elevated"
    assert out[-1].factors["priors_capped"] < 0  # the priors are capped below the "high" threshold ...
    assert (out[-1].values["risk_evidence"] or 0.0) < EVIDENCE_HIGH  # ... and clean streams are no evidence
    assert first(out, "high") is None and alarms(out, profile) == []


def test_hot_easy_run_heat_alone_is_no_evidence() -> None:
    """50 min easy (10 % slower than training) at 31 °C on the wrist: heat weighs little, nothing is warned."""
    run = make_run(50, pace_s_km=363.0, hr=warm_hr(138.0, 6.0), cadence=lambda s: np.full(s.shape, 168.0),
                   temp_c=31.0, seed=7)  # fmt: skip
    profile = Profile(sex="female", age=30, training_pace=330, longest_run_min=90)
    out = list(drive(run, profile))
    assert 0.0 < out[-1].factors["heat"] <= 0.6  # at most the heat weight: a wrist reading is biased warm
    assert all(i.level == "low" for i in out), {i.level for i in out}
    assert alarms(out, profile) == []


def test_one_cardiac_factor_and_the_factor_groups() -> None:
    assert cardiac_input(10.0, 8.0) == pytest.approx(0.8)  # the larger of drift/20 and decoupling/10, not the sum
    assert cardiac_input(30.0, None) == pytest.approx(1.5) and cardiac_input(None, None) is None
    assert {"intensity", "decoupling", "cardiac_drift"}.isdisjoint(PRIOR_FACTORS | EVIDENCE_FACTORS)
    assert {"fatigue", "cardiac", "acute_cramp"} == EVIDENCE_FACTORS
    # priors alone saturate below 0.5; evidence on top of them passes it
    strong_priors = {"pace_over_training": 2.5, "duration": 2.8, "cramp_history": 1.0, "heat": 1.0, "sex": 1.0}
    assert risk_of(strong_priors).risk < 0.45
    assert risk_of({**strong_priors, "fatigue": 0.8, "cardiac": 1.0}).risk > 0.6
    # the level needs evidence for "high" and gait fatigue (or the acute signature) for "critical"
    assert max_level(elapsed_s=7200.0, evidence=0.2, fatigue_gait=0.1, acute=False) == "elevated"
    assert max_level(elapsed_s=7200.0, evidence=1.0, fatigue_gait=0.2, acute=False) == "high"
    assert max_level(elapsed_s=7200.0, evidence=1.2, fatigue_gait=0.8, acute=False) == "critical"
    assert max_level(elapsed_s=1200.0, evidence=1.2, fatigue_gait=0.8, acute=False) == "high"


def test_the_gate_reads_the_runs_evidence_whatever_the_numbers_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ranking and the gate are separate: the evidence "high" needs (``Risk.evidence``, read by ``max_level``)
    is weighed by GATE_COEFFICIENTS; the risk's number by COEFFICIENTS, and its factors still add up to the logit."""
    inputs = {"duration": 1.0, "pace_over_training": 1.0, "fatigue": 0.6, "cardiac": 1.0}
    r = risk_of(inputs)
    assert r.evidence == pytest.approx(0.6 * GATE_COEFFICIENTS["fatigue"] + GATE_COEFFICIENTS["cardiac"], abs=1e-4)
    assert r.factors["fatigue"] == pytest.approx(0.6 * COEFFICIENTS["fatigue"], abs=1e-4)
    assert sum(r.factors.values()) == pytest.approx(r.logit - INTERCEPT, abs=1e-3)
    monkeypatch.setitem(COEFFICIENTS, "fatigue", 0.0)
    monkeypatch.setitem(COEFFICIENTS, "cardiac", 0.0)
    priors_only = risk_of(inputs)
    assert priors_only.evidence == r.evidence and priors_only.risk < r.risk
    assert priors_only.logit == pytest.approx(INTERCEPT + 0.7 + 0.9, abs=1e-4)
    monkeypatch.setitem(GATE_COEFFICIENTS, "fatigue", 0.0)
    assert risk_of(inputs).evidence == pytest.approx(GATE_COEFFICIENTS["cardiac"], abs=1e-4)


def test_baseline_reads_only_profile_and_time() -> None:
    p = Profile(sex="male", age=50, cramp_history=True, longest_run_min=100)
    early, late = baseline_logit(p, 600.0, 0.1), baseline_logit(p, 5400.0, 0.9)
    assert late > early
    assert baseline_logit(Profile(sex="female"), 600.0, 0.1) < baseline_logit(p, 600.0, 0.1)

"""The policy's fast paths (gates that need no kind first, one scoring of the kinds, the sent history rebuilt
only when its oldest entry expires) give the same alerts and the same saved state as the old computation
(:class:`~tests.alerts.reference_policy.ReferencePolicy`) on many random indicator sequences, configs, acks and
restarts."""

from __future__ import annotations

import math
import random

import pytest

from alerts.advice import advise, contributions, eligible_kinds, kind_scores
from alerts.policy import AlertPolicy, PolicyConfig
from processors.indicators import LEVELS, Indicators
from tests.alerts.helpers_alerts import PROFILE, S0
from tests.alerts.reference_policy import ReferencePolicy, reference_eligible_kinds, reference_kind_scores

FACTOR_NAMES = (
    "pace_over_training", "decoupling", "intensity", "fatigue", "duration", "cadence_drop", "stride", "heat",
    "sweat_loss", "cardiac", "monotony", "gait_uniformity", "acute_cramp", "sex", "age", "other",
)  # fmt: skip
GAITS = ("running", "running", "running", "walking", "stopped", "unknown")
#: quick timings, so a few hundred ticks cross every rule's time limits many times
QUICK = PolicyConfig(
    warmup_s=60.0, cooldown_s=40.0, advice_repeat_s=60.0, max_cooldown_s=150.0, advice_clear_s=90.0,
    alarm_reminder_s=120.0, min_gap_s=15.0, cap=2, cap_window_s=70.0, ack_clear_s=30.0, acute_rearm_s=20.0,
    post_cramp_s=50.0, hydrate_every_s=60.0, hydrate_step_pct=0.1, alarm_repeat_rise=0.05,
)  # fmt: skip
CONFIGS = {
    "default": PolicyConfig(),
    "quick": QUICK,
    "quick-risk": PolicyConfig(**{**QUICK.to_dict(), "level_source": "risk", "thresholds": (0.25, 0.5, 0.75)}),
    "risk": PolicyConfig(level_source="risk"),
}


def _value(rng: random.Random) -> float:
    roll = rng.random()
    if roll < 0.03:
        return rng.choice([math.nan, math.inf, -math.inf, 0.0, -0.0])
    if roll < 0.1:
        return round(rng.uniform(-0.2, 0.2), 5)  # small, negative, ties of the 4-decimal rounding
    return round(rng.uniform(0.0, 0.6), rng.choice([2, 4, 6]))


def _indicators(rng: random.Random, n: int, start: float) -> list[Indicators]:
    """A random walk of level, gait, factors and sweat loss, with gaps, repeats and now and then a cramp, a red
    flag, a stale or lost signal."""
    out: list[Indicators] = []
    e, level, gait, loss = 0.0, 0, "running", rng.uniform(0.0, 2.5)
    names = rng.sample(FACTOR_NAMES, rng.randint(1, 8))
    acute, flag = False, None
    for _ in range(n):
        e += rng.choice([5.0] * 12 + [0.0, -5.0, 10.0, 20.0, 2.5])
        if rng.random() < 0.15:
            level = max(0, min(3, level + rng.choice([-1, 1])))
        if rng.random() < 0.05:
            gait = rng.choice(GAITS)
        if rng.random() < 0.05:
            names = rng.sample(FACTOR_NAMES, rng.randint(0, 8))
        if rng.random() < 0.04:
            acute = not acute if acute or rng.random() < 0.3 else acute
        if rng.random() < 0.02:
            flag = rng.choice([None, None, "high_hr_stopped", "cramp_not_easing"])
        loss += rng.uniform(0.0, 0.02)
        risk = rng.choice([0.1, 0.3, 0.55, 0.8][level : level + 1] * 5 + [rng.uniform(-0.1, 1.1), math.nan])
        out.append(
            Indicators(
                t=start + e,
                elapsed_s=e,
                pace=rng.choice([None, 250.0, 300.0, 340.0]),
                cadence=rng.choice([None, 150.0, 170.0, 182.0]),
                temp=25.0,
                sweat_loss_pct=rng.choice([loss] * 9 + [None]),
                risk=risk,
                level=LEVELS[level],
                factors={name: _value(rng) for name in names},
                signal=rng.choice(["ok"] * 20 + ["stale", "lost"]),
                acute_cramp=acute,
                red_flag=flag,
                gait_state=gait,
                values={"cadence_baseline": rng.choice([160.0, 168.0]), "reference_pace_s_per_km": 310.0},
            )
        )
    return out


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("seed", range(12))
def test_fast_policy_equals_the_old_computation(config: str, seed: int) -> None:
    rng = random.Random(f"{config}/{seed}")
    start = S0 + rng.choice([0.0, -30.0, 3.0])
    cfg = CONFIGS[config]
    fast = AlertPolicy(squad="s", athlete="a", session_start=start, profile=PROFILE, config=cfg)
    old = ReferencePolicy(squad="s", athlete="a", session_start=start, profile=PROFILE, config=cfg)
    sent = 0
    for k, ind in enumerate(_indicators(rng, 900, start)):
        got, want = fast.update(ind), old.update(ind)
        assert got == want, (k, ind.t - start)
        sent += len(got)
        for alert in got:
            if rng.random() < 0.2:
                assert fast.ack(alert.id) == old.ack(alert.id)
        if k % 300 == 299:  # a restart: both continue from their saved states, which are the same
            assert fast.state_dict() == old.state_dict()
            fast = AlertPolicy.from_state(fast.state_dict())
            old = ReferencePolicy.from_state(old.state_dict())
    assert fast.state_dict() == old.state_dict()
    if config.startswith("quick"):
        assert sent >= 10  # the sequences do reach the rules


def test_a_saved_history_out_of_order_is_loaded_oldest_first() -> None:
    """_trim keeps the whole history while its oldest entry is kept: a state saved by hand out of order still
    forgets its old alerts exactly like a full rebuild would."""
    p = AlertPolicy(squad="s", athlete="a", session_start=S0, profile=PROFILE)
    state = p.state_dict()
    state["history"] = [[S0 + 900.0, "ease_pace", 1], [S0 + 100.0, "hydrate", 1]]
    restored = AlertPolicy.from_state(state)
    assert [h[0] for h in restored.state_dict()["history"]] == [S0 + 100.0, S0 + 900.0]
    restored.update(Indicators(t=S0 + 1000.0, elapsed_s=1000.0))
    assert restored.state_dict()["history"] == [[S0 + 900.0, "ease_pace", 1]]


def _any_factor(rng: random.Random) -> object:
    roll = rng.random()
    if roll < 0.2:
        return rng.choice([math.nan, math.inf, -math.inf, 0.0, -0.0, 0.00005, -0.00005, 0.30005, 1.23455, 2e5, 1.999e5])
    if roll < 0.3:
        return rng.choice([1, 0, -1, True, False, None, "0.3"])
    if roll < 0.4:
        return rng.uniform(-3e5, 3e5)  # around fround's fast range (|x · 10⁴| < 2e9)
    if roll < 0.6:
        return round(rng.uniform(-0.1, 0.1), rng.randint(4, 7)) + rng.choice([0.0, 0.00005, -0.00005])
    return rng.uniform(-0.5, 1.5)


@pytest.mark.parametrize("seed", range(4))
def test_kind_scores_bit_for_bit_as_before(seed: int) -> None:
    """The inline rounding adds the very same floats as finite + fround did, ties and odd types included."""
    rng = random.Random(seed)
    for _ in range(3000):
        names = rng.sample(FACTOR_NAMES, rng.randint(0, len(FACTOR_NAMES)))
        ind = Indicators(t=0.0, elapsed_s=0.0, factors={n: _any_factor(rng) for n in names})  # type: ignore[misc]
        got, want = kind_scores(ind), reference_kind_scores(ind)
        assert {k: v.hex() for k, v in got.items()} == {k: v.hex() for k, v in want.items()}, ind.factors


def test_eligible_kinds_as_before() -> None:
    """The table lookup gives the kinds the old loop did for every level, gait, form flag and sweat loss."""
    rng = random.Random(5)
    losses = [None, math.nan, math.inf, 1.9, 1.99999, 2.0, 2.00001, 3.0, 2]
    for _ in range(4000):
        gait = rng.choice([*GAITS, "limping"])
        loss, in_values = rng.choice(losses), rng.choice(losses)
        values = {} if in_values is None else {"sweat_loss_pct": in_values}
        ind = Indicators(t=0.0, elapsed_s=0.0, gait_state=gait, sweat_loss_pct=loss, values=values)  # type: ignore[arg-type]
        for level in ("advice", "warning", "critical", "low"):
            form = rng.random() < 0.7
            assert eligible_kinds(ind, level, form=form) == reference_eligible_kinds(ind, level, form=form)  # type: ignore[arg-type]


def test_advise_with_the_callers_contributions_is_the_same() -> None:
    """_emit passes its contributions(ind) to advise (one computation, not two): the same message and detail."""
    rng = random.Random(11)
    for k, ind in enumerate(_indicators(rng, 400, S0)):
        level = ("advice", "warning", "critical")[k % 3]
        for kind in (None, "ease_pace", "shorten_stride", "hydrate", "change_form", "stop_and_stretch", "medical"):
            plain = advise(ind, PROFILE, level, kind=kind)  # type: ignore[arg-type]
            assert advise(ind, PROFILE, level, kind=kind, factors=contributions(ind)) == plain  # type: ignore[arg-type]

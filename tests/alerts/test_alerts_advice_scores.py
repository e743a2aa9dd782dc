"""Advice: the pace target follows today's plan, and the kind scores."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.advice import (
    KIND_OF_FACTOR,
    KIND_PRIORITY,
    choose_kind,
    contributions,
    detail_for,
    kind_scores,
    message_for,
)
from processors.indicators import Indicators
from processors.profile import Profile


def test_tempo_with_a_plan_eases_toward_todays_target_not_training_pace() -> None:
    """A tempo day (target 4:30/km, training 5:30/km): the processors judge pace against the target (issue 9.2,
    ``values["reference_pace_s_per_km"]``); the advice eases toward the target and says "today's plan"."""
    ind = Indicators(t=0.0, elapsed_s=1500.0, pace=255.0, gait_state="running",
                     factors={"pace_over_training": 0.5, "cardiac": 0.2},
                     values={"reference_pace_s_per_km": 270.0, "pace_ratio_plan": 1.06, "pace_ratio_10min": 1.29,
                             "cardiac_drift_bpm_h": 12.0, "decoupling_pct": 4.1})  # fmt: skip
    p = Profile(training_pace=330.0)
    assert choose_kind(ind, "advice") == "ease_pace"
    assert message_for("ease_pace", ind, p) == "Ease the pace to about 4:30/km (now 4:15/km)"
    assert message_for("ease_pace", ind, p, "critical") == "Ease to an easy jog for 2 minutes: about 5:10/km"
    detail = detail_for(ind, p)
    assert "pace 6 % over today's plan (10-min mean 4:15 vs 4:30/km)" in detail
    assert "cardiac drift 12 bpm/h, decoupling 4.1 %" in detail
    # on the same tempo pace without a plan the comparison is with training pace
    ind.values = {"pace_ratio_10min": 1.29}
    assert "pace 29 % over training (10-min mean 4:16 vs 5:30/km)" in detail_for(ind, p)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*KIND_OF_FACTOR, "sex", "age", "priors_capped", "unknown"]),
        st.one_of(
            st.floats(-2.0, 2.0),
            st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 0.00004, 0.00005, 0.30005]),
            st.integers(-2, 2),
            st.booleans(),
        ),
    )
)
def test_kind_scores_sum_the_rounded_positive_contributions(factors: dict[str, float]) -> None:
    """kind_scores rounds only the factors a kind takes; the sums are those over contributions()."""
    ind = Indicators(t=0.0, elapsed_s=0.0, factors=factors)
    expected = dict.fromkeys(KIND_PRIORITY, 0.0)
    for name, c in contributions(ind).items():
        kind = KIND_OF_FACTOR.get(name)
        if kind in expected and c > 0:
            expected[kind] += c
    assert kind_scores(ind) == expected

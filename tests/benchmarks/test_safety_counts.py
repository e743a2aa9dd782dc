"""benchmarks/safety_counts.py: the nuisance measures (the simulated runs themselves are the benchmark's)."""

from __future__ import annotations

import doctest
from collections import Counter

import benchmarks.safety_counts as sc


def test_advice_gaps_count_advice_repeats_after_any_level_of_the_kind() -> None:
    alerts = [
        (0.0, "advice", "ease_pace"),
        (300.0, "advice", "ease_pace"),  # a repeat, 5 min
        (400.0, "warning", "ease_pace"),  # an escalation: not an advice repeat
        (1600.0, "advice", "ease_pace"),  # 20 min after the warning
        (1700.0, "advice", "hydrate"),  # first of its kind
        (1800.0, "critical", "stop_and_stretch"),
    ]
    assert sc.advice_gaps(alerts) == [("ease_pace", 300.0), ("ease_pace", 1200.0)]


def test_nuisance_line() -> None:
    line = sc.nuisance(Counter(advice=4, critical=1), [("a", 60.0), ("b", 899.0), ("b", 900.0)], 4.0)
    assert line == (
        "alerts per runner-hour: advice 1.00, warning 0.00, critical 0.25; same-kind advice repeats 3, "
        "closer than 15 min 2 (a 1, b 1); median gap a 1.0, b 15.0 min"
    )
    assert sc.nuisance(Counter(), [], 0.0).endswith("closer than 15 min 0 (); median gap - min")


def test_doctests() -> None:
    assert doctest.testmod(sc).failed == 0

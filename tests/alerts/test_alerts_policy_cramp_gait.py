"""AlertPolicy on scripted sequences: cramp signs, the gait and the signal (rules 11 and 13 of docs/alerts.md)."""

from __future__ import annotations

import json
from dataclasses import replace

from alerts.policy import AlertPolicy, PolicyConfig
from processors.indicators import Indicators
from tests.alerts.helpers_alerts import Seg, policy, run, seq, ticks


def test_acute_cramp_is_immediate_even_in_warmup() -> None:
    assert seq(run(policy(), ticks(Seg(0, 120), Seg(120, 130, "low", acute=True)))) == [
        (120.0, "stop_and_stretch", "critical")
    ]


def test_acute_cramp_repeats_flicker_and_new_cramp() -> None:
    stream = ticks(
        Seg(1000, 1800, "elevated"),  # advice at 1025 (its repeat would be at 1925)
        Seg(1800, 1815, "high", acute=True),  # immediate
        Seg(1815, 1830, "high"),
        Seg(1830, 1840, "high", acute=True),  # off only 15 s: the same cramp, in cool-down: silent
        Seg(1840, 2000, "low"),
        Seg(2000, 2010, "low", acute=True),  # off 160 s: a new cramp
        Seg(2010, 2500, "low", acute=True),  # persists: repeat after the cool-down
    )
    assert seq(run(policy(), stream)) == [
        (1025.0, "ease_pace", "advice"),
        (1800.0, "stop_and_stretch", "critical"),
        (2000.0, "stop_and_stretch", "critical"),
        (2300.0, "stop_and_stretch", "critical"),
    ]


def test_ack_of_acute_cramp_stops_its_repeats_until_a_new_cramp() -> None:
    p = policy()
    first = run(p, ticks(Seg(3000, 3005, acute=True)))
    assert p.ack(first[0].id)
    rest = run(p, ticks(Seg(3005, 3700, acute=True), Seg(3700, 3800), Seg(3800, 3805, acute=True)))
    assert seq(first + rest) == [
        (3000.0, "stop_and_stretch", "critical"),
        (3800.0, "stop_and_stretch", "critical"),
    ]


def test_no_other_alert_while_a_cramp_is_on() -> None:
    stream = ticks(Seg(0, 600), Seg(600, 1000, "elevated", "hydrate", acute=True))
    assert seq(run(policy(), stream)) == [
        (600.0, "stop_and_stretch", "critical"),
        (900.0, "stop_and_stretch", "critical"),
    ]


def test_a_stale_signal_sends_no_level_alert_and_the_alert_follows_once_it_is_back() -> None:
    stream = ticks(Seg(0, 600), Seg(600, 700, "elevated", signal="stale"), Seg(700, 760, "elevated"))
    assert seq(run(policy(), stream)) == [(700.0, "ease_pace", "advice")]  # the debounce kept counting


def test_a_stale_signal_still_reports_cramp_signs() -> None:
    stream = ticks(Seg(0, 600), Seg(600, 620, "critical", acute=True, signal="stale"))
    assert seq(run(policy(), stream)) == [(600.0, "stop_and_stretch", "critical")]


def test_an_unknown_gait_counts_as_the_last_gait_known() -> None:
    """A walker whose watch drops out and comes back (no pace, no cadence yet: gait "unknown", signal ok) still
    walks: no "ease the pace" to them. A runner's dropout leaves the advice as it was."""

    def gaits(*parts: tuple[float, float, str]) -> list[Indicators]:
        return [replace(i, gait_state=g) for a, b, g in parts for i in ticks(Seg(a, b, "elevated"))]

    walker = gaits((0, 600, "running"), (600, 700, "walking"), (700, 800, "unknown"))
    assert run(policy(), walker) == []
    runner = gaits((0, 600, "running"), (600, 700, "unknown"))
    assert seq(run(policy(), runner)) == [(600.0, "ease_pace", "advice")]
    back = gaits((0, 600, "running"), (600, 700, "walking"), (700, 720, "unknown"), (720, 800, "running"))
    assert seq(run(policy(), back)) == [(720.0, "ease_pace", "advice")]


def test_the_last_gait_known_survives_a_restart() -> None:
    p = policy()
    run(p, [replace(i, gait_state="walking") for i in ticks(Seg(0, 700, "elevated"))])
    q = AlertPolicy.from_state(json.loads(json.dumps(p.state_dict())))
    assert run(q, [replace(i, gait_state="unknown") for i in ticks(Seg(700, 800, "elevated"))]) == []


def test_no_stride_advice_after_cramp_signs_until_post_cramp_s_has_passed() -> None:
    """Cramp signs at 1800-1830 s; the runner goes on with tired legs (the factors that pick "shorten your stride").
    For ``post_cramp_s`` (20 min) after the signs end the runner may still limp, and a limp's cadence is the
    cramp's, not a form fault: the advice eases the pace instead; afterwards stride advice is back. Before: "Shorten
    your stride: aim for ~167 steps/min (now 159)" 5 min after a cramp (the simulated hot marathon)."""
    stream = list(
        ticks(Seg(0, 1800), Seg(1800, 1830, "low", acute=True), Seg(1830, 3300, "elevated", "shorten_stride"))
    )
    alerts = run(policy(), stream)
    assert seq(alerts) == [
        (1800.0, "stop_and_stretch", "critical"),
        (2100.0, "ease_pace", "advice"),  # 5 min after the critical (a higher alert stood until then)
        (3000.0, "ease_pace", "advice"),  # its repeat, 15 min later
        (3060.0, "shorten_stride", "advice"),  # > 20 min after the signs ended (at 1830); 60 s after the last alert
    ]
    assert alerts[1].message == "Ease the pace to about 5:10/km (now 4:50/km)"
    without = run(policy(PolicyConfig(post_cramp_s=0.0)), stream)
    assert seq(without)[1:] == [(2100.0, "shorten_stride", "advice"), (3000.0, "shorten_stride", "advice")]

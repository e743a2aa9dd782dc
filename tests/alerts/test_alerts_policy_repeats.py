"""AlertPolicy: how soon the same advice comes again (rule 5's repeat schedule, docs/alerts.md; issue 9, "advice
safe and useful to follow"). Exact (time, kind, level) sequences; each of these failed on the schedule before it
(5, 10, 20 min, restarted by every escalation and every 5-min calm)."""

from __future__ import annotations

import json
from dataclasses import replace

from alerts.alert import Alert
from alerts.policy import AlertPolicy, PolicyConfig
from processors.indicators import Indicators
from tests.alerts.helpers_alerts import Seg, ind, policy, run, seq, ticks


def close_repeats(alerts: list[Alert], within: float = 900.0) -> int:
    """Advice-level alerts sooner than ``within`` after the previous alert of their kind (any level)."""
    last: dict[str, float] = {}
    n = 0
    for a in alerts:
        if a.level == "advice" and a.kind in last and a.t - last[a.kind] < within:
            n += 1
        last[a.kind] = a.t
    return n


def long_worsening_run() -> list[Indicators]:
    """A long run that slowly worsens: tired legs (shorten_stride), two spells of high risk, calm spells of a few
    minutes in between — the shape that made hot-marathon runners hear "Shorten your stride" every 5–11 min."""
    return list(
        ticks(
            Seg(0, 600),
            Seg(600, 1800, "elevated", "shorten_stride"),
            Seg(1800, 1900, "high", "shorten_stride"),  # escalation
            Seg(1900, 2300, "elevated", "shorten_stride"),
            Seg(2300, 2500, "low"),  # a calm of 200 s: the episode flickers off
            Seg(2500, 3400, "elevated", "shorten_stride"),
            Seg(3400, 3500, "low"),
            Seg(3500, 5400, "elevated", "shorten_stride"),
        )
    )


def test_a_long_worsening_run_is_not_told_the_same_advice_every_few_minutes() -> None:
    alerts = run(policy(), long_worsening_run())
    assert seq(alerts) == [
        (625.0, "shorten_stride", "advice"),
        (1525.0, "shorten_stride", "advice"),  # 15 min: time to show that the runner followed it
        (1825.0, "shorten_stride", "warning"),  # the escalation at once
        (3025.0, "shorten_stride", "advice"),  # 20 min after the warning: the calm of 200 s restarted nothing
        (4225.0, "shorten_stride", "advice"),
    ]
    assert close_repeats(alerts) == 0  # the schedule before: 7 advices, 4 of them within 15 min of the last


def test_escalation_is_immediate_and_the_advice_after_it_keeps_the_schedule() -> None:
    stream = ticks(
        Seg(0, 600),
        Seg(600, 700, "elevated"),
        Seg(700, 800, "high"),  # 100 s after the advice: a warning at once
        Seg(800, 900, "critical"),  # and a critical at once
        Seg(900, 2400, "elevated"),
    )
    assert seq(run(policy(), stream)) == [
        (625.0, "ease_pace", "advice"),
        (725.0, "ease_pace", "warning"),
        (810.0, "ease_pace", "critical"),
        (2010.0, "ease_pace", "advice"),  # said three times: 20 min after the last (before: 5 min, at 1110)
    ]


def test_a_runner_who_eased_past_the_target_is_not_chased_with_a_new_one() -> None:
    """The runner eased to 5:20/km, slower than the training pace told (5:10/km), and the risk stays while the
    10-minute means catch up: no new "ease to 5:36/km" 5 minutes later (before: said at 925, and again at each
    further ease — the hot marathon's "6:00, 6:21, 6:41/km" within 40 min); the repeat comes on the schedule, 15 min
    after the first, with the runner's own number."""
    eased = [replace(i, pace=320.0) for i in ticks(Seg(900, 1600, "elevated"))]
    alerts = run(policy(), [*ticks(Seg(0, 600), Seg(600, 900, "elevated")), *eased])
    assert seq(alerts) == [(625.0, "ease_pace", "advice"), (1525.0, "ease_pace", "advice")]
    assert alerts[0].message == "Ease the pace to about 5:10/km (now 4:50/km)"
    assert alerts[1].message == "Ease the pace to about 5:36/km (now 5:20/km)"
    assert close_repeats(alerts) == 0


def test_a_changed_advice_comes_through_after_the_cool_down() -> None:
    """Today's reference pace moves 5 % or more slower (the coach changed the plan to an easier one): "ease to
    5:40/km" is a new advice, said after ``cooldown_s``; a mere repeat waits 15 min."""
    easier = [
        replace(i, values={**i.values, "reference_pace_s_per_km": 340.0}) for i in ticks(Seg(900, 1300, "elevated"))
    ]
    alerts = run(policy(), [*ticks(Seg(0, 600), Seg(600, 900, "elevated")), *easier])
    assert seq(alerts) == [(625.0, "ease_pace", "advice"), (925.0, "ease_pace", "advice")]
    assert alerts[0].message == "Ease the pace to about 5:10/km (now 4:50/km)"
    assert alerts[1].message == "Ease the pace to about 5:40/km (now 4:50/km)"
    same = run(policy(), ticks(Seg(0, 600), Seg(600, 1300, "elevated")))
    assert seq(same) == [(625.0, "ease_pace", "advice")]  # unchanged: the repeat would be at 1525


def test_a_risen_risk_at_the_same_level_is_the_same_advice() -> None:
    """The risk rising inside the advice level asks for nothing new (the message is the same); once it reaches
    the next level, the warning goes at once."""
    stream = [ind(e, "low") for e in range(0, 600, 5)]
    stream += [ind(e, "elevated", risk=0.28) for e in range(600, 1000, 5)]
    stream += [ind(e, "elevated", risk=0.49) for e in range(1000, 1300, 5)]
    stream += [ind(e, "high", risk=0.55) for e in range(1300, 1400, 5)]
    assert seq(run(policy(), stream)) == [(625.0, "ease_pace", "advice"), (1325.0, "ease_pace", "warning")]


def test_an_advice_never_holds_a_warning_of_a_risen_risk() -> None:
    """A warning stands; a "shorten your stride" advice follows; the risk then rises by ``alarm_repeat_rise``: the
    new warning goes out as soon as the level holds (before: it waited 5 min after the advice of its kind)."""
    stream = [ind(e, "low") for e in range(0, 600, 5)]
    stream += [ind(e, "high", risk=0.55) for e in range(600, 700, 5)]
    stream += [ind(e, "elevated", "shorten_stride", risk=0.45) for e in range(700, 1150, 5)]
    stream += [ind(e, "high", "shorten_stride", risk=0.8) for e in range(1150, 1300, 5)]
    assert seq(run(policy(), stream)) == [
        (625.0, "ease_pace", "warning"),
        (925.0, "shorten_stride", "advice"),  # after the warning's 5 min (no step down while it stands)
        (1175.0, "shorten_stride", "warning"),
    ]


def test_the_schedule_is_kept_through_short_calms_and_restarts_after_a_long_one() -> None:
    stream = ticks(
        Seg(0, 1600, "elevated"),  # 600, 1500
        Seg(1600, 2300, "high"),  # escalation at 1625
        Seg(2300, 2610),  # 310 s low: acknowledgements forgotten, the schedule kept
        Seg(2610, 3900, "elevated"),  # not at 2635: 20 min after the warning, at 2825
        Seg(3900, 5110),  # 20 min low: the episode is truly over
        Seg(5110, 6100, "elevated"),  # a fresh start: the first repeat 15 min after the first advice
    )
    assert seq(run(policy(), stream)) == [
        (600.0, "ease_pace", "advice"),
        (1500.0, "ease_pace", "advice"),
        (1625.0, "ease_pace", "warning"),
        (2825.0, "ease_pace", "advice"),
        (5135.0, "ease_pace", "advice"),
        (6035.0, "ease_pace", "advice"),
    ]


def test_state_round_trip_keeps_the_schedule() -> None:
    stream = long_worsening_run()
    whole = run(policy(), stream)
    for cut in (200, 300, 400, 500, 700):
        p = policy()
        head = run(p, stream[:cut])
        state = json.loads(json.dumps(p.state_dict()))
        assert state["said"] == [[k, n, x] for k, (n, x) in p._repeats.said.items()]
        assert head + run(AlertPolicy.from_state(state), stream[cut:]) == whole
    p = policy()
    run(p, stream[:500])  # 2500 s: after the warning, in the calm
    state = json.loads(json.dumps(p.state_dict()))
    assert state["said"] == [["shorten_stride", 2, 176.0]]  # advice, repeat, warning: 2 repeats
    del state["said"]  # a state saved before the schedule was kept: it starts afresh (5 min)
    assert seq(run(AlertPolicy.from_state(state), stream[500:]))[0] == (2525.0, "shorten_stride", "advice")


def test_default_schedule_is_documented() -> None:
    c = PolicyConfig()
    assert (c.advice_repeat_s, c.repeat_backoff, c.max_cooldown_s) == (900.0, 2.0, 1200.0)
    assert (c.advice_clear_s, c.advice_change, c.alarm_repeat_rise) == (1200.0, 0.05, 0.20)


def test_fixed_short_schedule_is_a_setting() -> None:
    cfg = PolicyConfig(advice_repeat_s=300.0, repeat_backoff=1.0, advice_clear_s=300.0)
    assert [t for t, _, _ in seq(run(policy(cfg), long_worsening_run()))][:4] == [625.0, 925.0, 1225.0, 1525.0]

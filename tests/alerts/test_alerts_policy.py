"""AlertPolicy on scripted indicator sequences: exact (time, kind, level) sequences."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.policy import PolicyConfig
from processors.indicators import Indicators, Level
from tests.alerts.helpers_alerts import S0, Seg, ind, policy, run, seq, ticks


def test_default_config_is_documented_values() -> None:
    c = PolicyConfig()
    assert (c.warmup_s, c.debounce_s, c.critical_debounce_s, c.cooldown_s) == (600.0, 25.0, 10.0, 300.0)
    assert (c.min_gap_s, c.cap, c.cap_window_s, c.ack_clear_s) == (60.0, 4, 600.0, 300.0)
    assert c.level_source == "processor"


def test_safe_run_is_silent() -> None:
    assert run(policy(), ticks(Seg(0, 5400))) == []


def test_noisy_safe_run_with_short_blips_produces_no_alert() -> None:
    """Risk jittering around the elevated threshold: blips of 1–5 ticks (≤ 20 s) never pass the debounce."""
    rng = np.random.default_rng(7)
    stream: list[Indicators] = []
    e = 0.0
    elevated_ticks = 0
    while e < 5400:
        for _ in range(int(rng.integers(1, 9))):  # low stretch
            stream.append(ind(e, "low", risk=float(rng.uniform(0.25, 0.35))))
            e += 5
        for _ in range(int(rng.integers(1, 6))):  # short blip above the threshold
            level: Level = "high" if rng.random() < 0.2 else "elevated"
            stream.append(ind(e, level, risk=float(rng.uniform(0.35, 0.6))))
            elevated_ticks += 1
            e += 5
    assert elevated_ticks > 200  # the run really is noisy
    assert run(policy(), stream) == []


def test_noisy_safe_run_with_own_hysteresis_on_risk() -> None:
    """level_source="risk": risk 0.20 ± 0.06 crosses 0.25 often; the trailing mean, the debounce and the exit
    margin keep it quiet."""
    rng = np.random.default_rng(11)
    cfg = PolicyConfig(level_source="risk")
    stream = [ind(e, "low", risk=float(0.20 + rng.uniform(-0.06, 0.06))) for e in np.arange(0.0, 5400.0, 5.0)]
    crossings = sum(1 for i in stream if i.risk >= 0.25)
    assert crossings > 50
    assert run(policy(cfg), stream) == []


def test_own_hysteresis_holds_a_level_inside_the_margin() -> None:
    """Once in advice (mean risk ≥ 0.25), jitter between 0.21 and 0.26 keeps it there: one alert, a repeat
    after ``advice_repeat_s``."""
    cfg = PolicyConfig(level_source="risk")
    risks = [0.26] * 5 + [0.26 if k % 2 else 0.21 for k in range(200)]
    stream = [ind(600 + 5 * k, "low", risk=r) for k, r in enumerate(risks)]
    assert seq(run(policy(cfg), stream)) == [(625.0, "ease_pace", "advice"), (1525.0, "ease_pace", "advice")]


def test_warmup_suppresses_advice_and_warning_but_not_critical() -> None:
    stream = ticks(
        Seg(0, 200, "high"),
        Seg(200, 230, "critical"),
        Seg(230, 1000, "high"),
    )
    assert seq(run(policy(), stream)) == [
        (210.0, "ease_pace", "critical"),  # no cramp signs: ease off, never "stop and stretch"
        # no warning at 600 (the warm-up's end): the critical already said "ease the pace" and the risk has not
        # risen since (alarm repeats need news; the reminder is due at 2010)
    ]


def test_debounce_needs_consecutive_ticks() -> None:
    stream = ticks(
        Seg(1000, 1020, "elevated"),  # 4 ticks (15 s): not enough
        Seg(1020, 1025),
        Seg(1025, 1060, "elevated"),  # 7 ticks: fires on the 6th (25 s after the first)
    )
    assert seq(run(policy(), stream)) == [(1050.0, "ease_pace", "advice")]


def test_tick_gap_and_lost_signal_restart_the_debounce() -> None:
    stream = ticks(
        Seg(1000, 1020, "elevated"),
        Seg(1040, 1060, "elevated"),  # 20 s gap (> 15 s): restarts at 1040, would fire at 1065
        Seg(1060, 1065, "elevated", signal="lost"),  # lost: restarts again
        Seg(1065, 1100, "elevated"),
    )
    assert seq(run(policy(), stream)) == [(1090.0, "ease_pace", "advice")]


def test_escalation_on_a_worsening_run_bypasses_cooldown() -> None:
    stream = ticks(
        Seg(0, 1200),
        Seg(1200, 1350, "elevated", "shorten_stride"),
        Seg(1350, 1450, "high", "shorten_stride"),
        Seg(1450, 1800, "critical", "shorten_stride"),
    )
    alerts = run(policy(), stream)
    assert seq(alerts) == [
        (1225.0, "shorten_stride", "advice"),
        (1375.0, "shorten_stride", "warning"),
        (1460.0, "ease_pace", "critical"),  # critical without cramp signs: an easy jog, not a stop
        # still critical after the cool-down, but the risk has not risen: no repeat before the 30-min reminder
    ]
    assert "176 steps/min" in alerts[0].message  # baseline 170 + 5 %
    assert alerts[2].message == "Ease to an easy jog for 2 minutes: about 5:56/km"  # 310 s/km training + 15 %


def test_escalation_long_after_the_last_alert_is_not_held_by_the_backoff() -> None:
    stream = ticks(Seg(0, 1900, "elevated"), Seg(1900, 2000, "high"))
    assert seq(run(policy(), stream)) == [
        (600.0, "ease_pace", "advice"),
        (1500.0, "ease_pace", "advice"),  # the next repeat would wait until 2700
        (1925.0, "ease_pace", "warning"),  # but a higher level is news: at once
    ]


def test_a_warning_that_dips_and_comes_back_is_not_news_until_the_reminder() -> None:
    """The level dips to elevated and comes back within ``alarm_reminder_s`` at the same risk: the first warning
    still stands (no second alarm); once it is 30 min old, the still-high risk is reminded once."""
    stream = ticks(
        Seg(0, 600),
        Seg(600, 700, "high"),
        Seg(700, 1100, "elevated"),  # 5 min below warning; no advice: the warning said the same 5 min ago
        Seg(1100, 2600, "high"),
    )
    assert seq(run(policy(), stream)) == [
        (625.0, "ease_pace", "warning"),
        (2425.0, "ease_pace", "warning"),  # 625 + alarm_reminder_s: a reminder, not a new alarm per dip
    ]


def test_a_new_reason_for_the_same_risk_is_not_a_new_alarm() -> None:
    """Within ``alarm_reminder_s`` of a warning, a warning of another kind at the same risk is not sent."""
    stream = ticks(Seg(0, 600), Seg(600, 700, "high"), Seg(700, 2000, "high", kind="shorten_stride"))
    assert seq(run(policy(), stream)) == [(625.0, "ease_pace", "warning")]


def test_a_risen_risk_is_news_for_any_kind() -> None:
    """A warning repeats before the reminder when the risk has risen by ``alarm_repeat_rise`` since the last
    alarm, after the kind's own cool-down."""
    cfg = PolicyConfig()
    stream = [ind(e, "low") for e in range(0, 600, 5)]
    stream += [ind(e, "high", risk=0.55) for e in range(600, 700, 5)]
    stream += [ind(e, "high", "shorten_stride", risk=0.55 + cfg.alarm_repeat_rise) for e in range(700, 1200, 5)]
    assert seq(run(policy(cfg), stream)) == [(625.0, "ease_pace", "warning"), (700.0, "shorten_stride", "warning")]


def test_drink_advice_keeps_its_own_schedule() -> None:
    """From 2 % estimated loss: once, then again only after ``hydrate_every_s`` and a further
    ``hydrate_step_pct`` of loss, whatever the level's top factor; never during the warm-up."""
    cfg = PolicyConfig()
    stream = [
        replace(ind(e, "low"), sweat_loss_pct=1.5 + e / 3600.0)  # 0.5 % more every 30 min ... 2.0 % at 30 min
        for e in range(0, 7200, 5)
    ]
    got = run(policy(cfg), stream)
    assert [(a.t - S0, a.kind, a.level) for a in got] == [
        (1800.0, "hydrate", "advice"),
        (3600.0, "hydrate", "advice"),  # 20 min passed at 3000, but only 2.33 % then: waits for 2.5 %
        (5400.0, "hydrate", "advice"),
    ]
    assert all(a.message.startswith("Drink to thirst, not more") for a in got)


def test_a_level_led_by_the_sweat_loss_follows_the_drink_schedule() -> None:
    """An hour of elevated risk whose top factor is the sweat loss, with the loss steady at 2.2 %: one drink
    advice, not one every ``hydrate_every_s`` (the level path defers to the one drink schedule)."""
    got = run(policy(), ticks(Seg(0, 600), Seg(600, 4200, "elevated", "hydrate")))
    assert seq(got) == [(600.0, "hydrate", "advice")]  # the warm-up's end: the loss alone is reason enough
    rising = [
        replace(i, sweat_loss_pct=2.2 + (i.elapsed_s - 600.0) / 3600.0)  # +0.5 % by 2400 s
        for i in ticks(Seg(0, 600), Seg(600, 4200, "elevated", "hydrate"))
    ]
    assert seq(run(policy(), rising)) == [(600.0, "hydrate", "advice"), (2400.0, "hydrate", "advice")]


def test_no_drink_advice_while_a_warning_stands() -> None:
    stream = [
        replace(i, sweat_loss_pct=1.5 if i.elapsed_s < 700 else 2.6)
        for i in ticks(Seg(0, 600), Seg(600, 1200, "high"), Seg(1200, 1300, "low"))
    ]
    assert seq(run(policy(), stream)) == [
        (625.0, "ease_pace", "warning"),
        (925.0, "hydrate", "advice"),  # not at 700, when 2.6 % was reached: the warning stands for cooldown_s
    ]


def test_cooldown_and_jitter_around_the_high_threshold() -> None:
    stream = ticks(
        Seg(0, 600),
        Seg(600, 700, "elevated"),
        Seg(700, 740, "high"),  # escalation at 725
        Seg(740, 800, "elevated"),
        Seg(800, 860, "high"),  # high again within the cool-down: not an escalation, same kind: silent
        Seg(860, 2000, "elevated"),  # repeat at the current level once the schedule allows: said twice, so
    )  # 20 min after the warning
    assert seq(run(policy(), stream)) == [
        (625.0, "ease_pace", "advice"),
        (725.0, "ease_pace", "warning"),
        (1925.0, "ease_pace", "advice"),
    ]


def test_steady_elevated_risk_repeats_with_a_growing_cooldown() -> None:
    """15, then every 20 minutes."""
    stream = ticks(Seg(0, 4000, "elevated", "shorten_stride"))
    assert seq(run(policy(), stream)) == [
        (600.0, "shorten_stride", "advice"),
        (1500.0, "shorten_stride", "advice"),
        (2700.0, "shorten_stride", "advice"),
        (3900.0, "shorten_stride", "advice"),
    ]


def test_fixed_cooldown_without_backoff() -> None:
    stream = ticks(Seg(0, 2000, "elevated", "shorten_stride"))
    cfg = PolicyConfig(repeat_backoff=1.0, advice_repeat_s=300.0)
    assert [t for t, _, _ in seq(run(policy(cfg), stream))] == [
        600.0,
        900.0,
        1200.0,
        1500.0,
        1800.0,
    ]


def test_ack_stops_repeats_of_that_kind_up_to_its_level() -> None:
    p = policy()
    first = run(p, ticks(Seg(0, 650, "high", "shorten_stride")))
    assert seq(first) == [(600.0, "shorten_stride", "warning")]
    assert p.ack(first[0].id) is True
    assert p.ack("not-an-alert") is False
    later = run(
        p,
        ticks(
            Seg(650, 2400, "high", "shorten_stride"),  # would repeat at 900, 1500, ... without the ack
            Seg(2400, 2500, "elevated", "shorten_stride"),  # lower level of the acked kind: silent too
            Seg(2500, 2600, "critical", "shorten_stride"),  # above the acked level: comes through
        ),
    )
    assert seq(later) == [(2510.0, "ease_pace", "critical")]


def test_ack_does_not_silence_other_kinds_and_expires_after_a_calm_spell() -> None:
    p = policy()
    first = run(p, ticks(Seg(0, 650, "elevated", "ease_pace")))
    assert seq(first) == [(600.0, "ease_pace", "advice")]
    assert p.ack(first[0].id)
    later = run(
        p,
        ticks(
            Seg(650, 1000, "elevated", "ease_pace"),
            Seg(1000, 1100, "elevated", "hydrate"),  # a different reason: told (not in its cool-down)
            Seg(1100, 1610),  # 300 s low: the episode is over, acks are forgotten
            Seg(1610, 1700, "elevated", "ease_pace"),
        ),
    )
    assert seq(later) == [(1000.0, "hydrate", "advice"), (1635.0, "ease_pace", "advice")]


def test_cap_limits_alerts_per_ten_minutes() -> None:
    kinds = ["ease_pace", "shorten_stride", "hydrate", "change_form"]
    segs = [Seg(0, 600)] + [Seg(600 + 100 * k, 700 + 100 * k, "elevated", kinds[k % 4]) for k in range(8)]
    cfg = PolicyConfig(advice_repeat_s=300.0)  # repeats after 5 min, so that the cap is what holds them
    assert seq(run(policy(cfg), ticks(*segs))) == [
        (625.0, "ease_pace", "advice"),
        (700.0, "shorten_stride", "advice"),
        (800.0, "hydrate", "advice"),
        (900.0, "change_form", "advice"),
        # 1000 ease_pace and 1100 shorten_stride: 4 alerts in the last 10 min — capped
        # 1200 hydrate: 625 has left the window, but drink advice comes at most once per 20 min (800)
        (1300.0, "change_form", "advice"),
    ]


def test_cap_never_blocks_critical() -> None:
    kinds = ["ease_pace", "shorten_stride", "hydrate", "change_form"]
    segs = [Seg(0, 600)] + [Seg(600 + 100 * k, 700 + 100 * k, "elevated", kinds[k]) for k in range(4)]
    segs += [Seg(1000, 1050, "critical")]
    out = seq(run(policy(), ticks(*segs)))
    assert len(out) == 5
    assert out[-1] == (1010.0, "ease_pace", "critical")


def test_two_reasons_of_similar_weight_do_not_alternate() -> None:
    stream = []
    for i in ticks(Seg(0, 600), Seg(600, 2400, "elevated")):
        swap = int(i.elapsed_s // 100) % 2
        i.factors = {"monotony": 0.2, "fatigue": 0.25} if swap else {"monotony": 0.25, "fatigue": 0.2}
        stream.append(i)
    stream += [ind(2400 + 5 * k, "elevated") for k in range(60)]  # pace clearly outweighs the last reason
    for i in stream[-60:]:
        i.factors = {"monotony": 0.05, "pace_over_training": 0.4}
    assert seq(run(policy(), stream)) == [
        (625.0, "change_form", "advice"),
        (1525.0, "change_form", "advice"),
        (2400.0, "ease_pace", "advice"),
    ]
    # without the margin the reason follows every swap
    plain = seq(run(policy(PolicyConfig(kind_margin=1.0)), stream[:-60]))
    assert [k for _, k, _ in plain][:3] == ["change_form", "shorten_stride", "change_form"]


def test_no_step_down_while_a_higher_alert_stands() -> None:
    stream = ticks(Seg(0, 600), Seg(600, 650, "critical"), Seg(650, 2500, "high", "shorten_stride"))
    assert seq(run(policy(), stream)) == [
        (610.0, "ease_pace", "critical"),
        # the critical stands: a warning at the same risk is no news until it is alarm_reminder_s old
        (2410.0, "shorten_stride", "warning"),
    ]


def test_min_gap_between_kinds() -> None:
    stream = ticks(Seg(0, 600), Seg(600, 640, "elevated", "ease_pace"), Seg(640, 720, "elevated", "hydrate"))
    assert seq(run(policy(), stream)) == [(625.0, "ease_pace", "advice"), (685.0, "hydrate", "advice")]


def test_stale_or_repeated_ticks_are_ignored() -> None:
    p = policy()
    stream = list(ticks(Seg(0, 600), Seg(600, 640, "elevated")))
    alerts = run(p, stream)
    assert seq(alerts) == [(625.0, "ease_pace", "advice")]
    assert p.update(stream[-1]) == []  # same t again
    assert p.update(stream[0]) == []  # from the past


LEVELS_ST = st.sampled_from(["low", "low", "elevated", "high", "critical"])
KINDS_ST = st.sampled_from(["ease_pace", "shorten_stride", "hydrate", "change_form"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(LEVELS_ST, KINDS_ST, st.integers(1, 80), st.booleans()), min_size=1, max_size=40),
    st.sets(st.integers(0, 30), max_size=5),
)
def test_policy_invariants(script: list[tuple[Level, str, int, bool]], acks: set[int]) -> None:
    """Whatever the script: one alert per tick at most, no advice/warning in warm-up, the cap holds for
    non-critical alerts, a kind repeats within the cool-down only by escalation, and replays are identical."""
    cfg = PolicyConfig()
    stream: list[Indicators] = []
    e = 0.0
    for level, kind, n, acute in script:
        for _ in range(n):
            stream.append(ind(e, level, kind, acute=acute and n < 4))
            e += 5

    def play() -> list[tuple[str, float, str, str]]:
        p = policy()
        out = []
        for i in stream:
            got = p.update(i)
            assert len(got) <= 1
            for a in got:
                out.append((a.id, a.t - S0, a.kind, a.level))
                if len(out) - 1 in acks:
                    assert p.ack(a.id)
        return out

    out = play()
    assert out == play()
    rank = {"advice": 1, "warning": 2, "critical": 3}
    for j, (_, t, kind, level) in enumerate(out):
        if level != "critical":
            assert t >= cfg.warmup_s
            assert sum(1 for _, u, _, _ in out[:j] if t - u < cfg.cap_window_s) < cfg.cap
        earlier_same = [(u, lv) for _, u, k, lv in out[:j] if k == kind and t - u < cfg.cooldown_s]
        if earlier_same:
            recent_max = max(rank[lv] for _, u, _, lv in out[:j] if t - u < cfg.cooldown_s)
            new_cramp = kind == "stop_and_stretch"
            assert rank[level] > recent_max or new_cramp


def test_alarm_repeats_need_a_rising_risk_or_the_reminder() -> None:
    """A warning repeats after its cool-down only when the risk has risen by ``alarm_repeat_rise`` since the
    last one, or as a reminder ``alarm_reminder_s`` later; a flat high risk is not news."""
    flat = [ind(600 + 5 * k, "high", risk=0.6) for k in range(400)]  # 600 … 2595
    assert [t for t, _, _ in seq(run(policy(), flat))] == [625.0, 2425.0]  # the reminder after 30 min
    rising = [ind(600 + 5 * k, "high", risk=0.55 + 0.25 * min(1.0, k / 120)) for k in range(200)]
    times = [t for t, _, _ in seq(run(policy(), rising))]
    assert times[0] == 625.0 and len(times) == 2 and 925.0 <= times[1] < 1300.0  # risen by 0.2: news again

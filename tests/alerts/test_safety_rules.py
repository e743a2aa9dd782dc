"""The safety rules of issue 9 end to end on synthetic runs: the real processors (gait state, acute cramp
signature, red flags, sweat loss) feed the real alert policy. No broker: pure event time."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from numpy.typing import NDArray

from alerts.alert import Alert
from alerts.policy import AlertPolicy
from processors.engine import Engine
from processors.indicators import Indicators
from processors.profile import Profile, SessionPlan
from processors.window import Window

F = NDArray[np.float64]
T0 = 1_732_400_000.0
PROFILE = Profile(sex="male", age=40, mass_kg=70, hr_rest=55, hr_max=185, training_pace=330.0, longest_run_min=120)


@dataclass
class Course:
    """A run built second by second from segments (speed m/s, cadence steps/min, HR bpm)."""

    speed: list[float]
    cadence: list[float]
    hr: list[float]

    def __init__(self) -> None:
        self.speed, self.cadence, self.hr = [], [], []

    def add(self, seconds: int, speed: float, cadence: float, hr_to: float, tau: float = 40.0,
            cadence_sd: float = 1.0, seed: int = 0) -> Course:  # fmt: skip
        """``seconds`` at this speed and cadence; HR moves toward ``hr_to`` with time constant ``tau``."""
        rng = np.random.default_rng(seed + len(self.hr))
        h = self.hr[-1] if self.hr else 100.0
        for _ in range(seconds):
            h += (hr_to - h) / tau
            self.hr.append(round(h + rng.normal(0, 0.8)))
            self.speed.append(max(0.0, speed + (rng.normal(0, 0.05) if speed > 0 else 0.0)))
            self.cadence.append(max(0.0, round(cadence + (rng.normal(0, cadence_sd) if cadence > 0 else 0.0))))
        return self

    def run(self, minutes: int, hr: float = 150.0, pace: float = 330.0) -> Course:
        return self.add(minutes * 60, 1000.0 / pace, 170.0, hr)

    def arrays(self, temp: float) -> tuple[F, F, F, F, F]:
        n = len(self.hr)
        return (T0 + np.arange(float(n)), np.array(self.hr), np.array(self.speed), np.array(self.cadence),
                np.full(n, temp))  # fmt: skip


def drive(
    course: Course,
    *,
    temp: float = 15.0,
    profile: Profile = PROFILE,
    tweak: Callable[[Indicators], None] | None = None,
    plan: SessionPlan | None = None,
) -> tuple[list[Indicators], list[Alert]]:
    """Tick the engine every 5 s (as the monitor does) and feed the policy; ``tweak`` may script the risk."""
    t, hr, spd, cad, tmp = course.arrays(temp)
    eng = Engine(profile, plan)
    pol = AlertPolicy(squad="s", athlete="a", session_start=T0, profile=profile)
    inds: list[Indicators] = []
    alerts: list[Alert] = []
    for end in range(5, len(t), 5):
        a = max(0, end + 1 - 3600)
        w = Window(t=t[a : end + 1], hr=hr[a : end + 1], speed=spd[a : end + 1], cadence=cad[a : end + 1],
                   temp=tmp[a : end + 1], session_start=T0)  # fmt: skip
        ind = eng.tick(w)
        if tweak is not None:
            tweak(ind)
        inds.append(ind)
        alerts.extend(pol.update(ind))
    return inds, alerts


def at(inds: list[Indicators], minute: float) -> Indicators:
    return min(inds, key=lambda i: abs(i.elapsed_s - 60.0 * minute))


def kinds(alerts: list[Alert]) -> list[str]:
    return [a.kind for a in alerts]


# ------------------------------------------------------------------------------------------------ gait states
def test_walk_breaks_are_walking_and_get_no_stride_advice() -> None:
    """A run-walk runner whose risk is scripted high throughout: stride advice comes only while running; the
    walk itself is recognised (cadence ~112, regular) and never mistaken for a cramp."""
    c = Course().run(30, hr=155)
    for k in range(4):
        c.add(120, 1.5, 112.0, 120.0, seed=k).run(6, hr=155)

    def fatigue_high(ind: Indicators) -> None:
        ind.level, ind.risk = "high", 0.6
        ind.factors = {"fatigue": 0.9, "duration": 0.3}

    inds, alerts = drive(c, tweak=fatigue_high)
    walking = [i for i in inds if i.gait_state == "walking"]
    assert len(walking) >= 4 * 18  # most of each 2-min walk, every 5 s
    assert at(inds, 31.5).gait_state == "walking" and at(inds, 35).gait_state == "running"
    assert not any(i.acute_cramp for i in inds)
    assert "shorten_stride" in kinds(alerts)
    by_t = {i.t: i for i in inds}
    for a in alerts:
        assert by_t[a.t].gait_state == "running", (a.kind, a.message)
        now = re.search(r"now (\d+)\)", a.message)
        assert now is None or int(now.group(1)) >= 140  # never "(now 112)": a walking cadence


def test_gait_fatigue_measures_ignore_walk_breaks() -> None:
    """Cadence decline and variability compare steady running with steady running: walk breaks alone leave
    them near zero."""
    c = Course().run(20, hr=150)
    for k in range(5):
        c.add(90, 1.5, 112.0, 120.0, seed=k).run(5, hr=150)
    inds, _ = drive(c)
    last = inds[-1]
    decline = last.values["cadence_decline_pct"]
    assert decline is not None and abs(decline) < 1.5
    cv = last.values["cadence_cv_ratio"]
    assert cv is None or cv < 1.3


def test_traffic_light_is_a_stop_not_a_cramp() -> None:
    c = Course().run(30, hr=160).add(6, 1.5, 90.0, 150.0).add(60, 0.0, 0.0, 115.0).run(10, hr=160)
    inds, alerts = drive(c)
    assert at(inds, 30.8).gait_state == "stopped"
    assert not any(i.acute_cramp for i in inds)
    assert not any(i.red_flag for i in inds)
    assert "stop_and_stretch" not in kinds(alerts) and "medical" not in kinds(alerts)


def test_toilet_stop_and_planned_walk_are_not_cramps() -> None:
    c = (Course().run(30, hr=158)
         .add(25, 1.4, 110.0, 140.0).add(120, 0.0, 0.0, 100.0).add(25, 1.4, 110.0, 110.0)  # toilet stop
         .run(15, hr=158)
         .add(180, 1.6, 116.0, 120.0, cadence_sd=2.0)  # planned walk: regular steps, HR falls
         .run(10, hr=158))  # fmt: skip
    inds, alerts = drive(c)
    assert not any(i.acute_cramp for i in inds)
    assert "stop_and_stretch" not in kinds(alerts)
    assert {i.gait_state for i in inds} >= {"running", "walking", "stopped"}


def test_real_cramp_hobbling_gets_stop_and_stretch() -> None:
    """Pace collapses, steps turn irregular (hobbling), HR stays up: the cramp signature, stop and stretch."""
    c = Course().run(50, hr=168).add(40, 1.2, 110.0, 166.0, cadence_sd=25.0, tau=400.0).run(5, hr=165)
    inds, alerts = drive(c)
    assert any(i.acute_cramp for i in inds)
    cramp = [a for a in alerts if a.kind == "stop_and_stretch"]
    assert cramp and cramp[0].level == "critical"
    assert cramp[0].message.startswith("Cramp signs: stop and stretch.")
    assert 50 * 60 <= cramp[0].t - T0 <= 50 * 60 + 30  # within seconds of the onset


# ------------------------------------------------------------------------------------------------ critical
def test_pre_cramp_critical_eases_the_pace_never_stop_and_stretch() -> None:
    """The risk is scripted critical for 20 min before a real cramp: "ease to an easy jog" until the signature
    is seen, then (and only then) "stop and stretch"."""
    c = Course().run(70, hr=170, pace=300).add(40, 1.2, 110.0, 168.0, cadence_sd=25.0, tau=400.0).run(3, hr=165)

    def critical_late(ind: Indicators) -> None:
        if ind.elapsed_s >= 50 * 60:
            ind.level, ind.risk = "critical", 0.85
            ind.factors = {"pace_over_training": 1.2, "duration": 0.9, "fatigue": 0.6}

    inds, alerts = drive(c, tweak=critical_late)
    by_t = {i.t: i for i in inds}
    before = [a for a in alerts if a.level == "critical" and a.t < T0 + 70 * 60]
    assert before, "the critical risk is told before the cramp"
    for a in before:
        assert a.kind == "ease_pace" and a.message.startswith("Ease to an easy jog for 2 minutes: about ")
    stops = [a for a in alerts if a.kind == "stop_and_stretch"]
    assert stops, "the real cramp is told"
    for a in stops:
        assert by_t[a.t].acute_cramp
    assert min(a.t for a in stops) >= T0 + 70 * 60


# ------------------------------------------------------------------------------------------------ plan
def test_tempo_with_a_plan_is_not_too_fast() -> None:
    """45 min with a 25-min tempo block at 4:30/km (training pace 5:30): announced as a tempo with that target,
    no pace alert and the pace factor stays near zero; the same run without a plan is judged against training
    pace. Any advice on the planned tempo eases toward the target, never to the training pace."""
    c = Course().run(12, hr=145, pace=330).run(25, hr=168, pace=270).run(8, hr=150, pace=330)
    planned, alerts = drive(c, plan=SessionPlan("tempo", 270.0), temp=12.0)
    unplanned, _ = drive(c, temp=12.0)
    in_tempo = [i for i in planned if 27 * 60 <= i.elapsed_s <= 37 * 60]
    assert all(i.values["reference_pace_s_per_km"] == 270.0 for i in in_tempo)
    plan_pace = max(i.factors.get("pace_over_training", 0.0) for i in in_tempo)
    no_plan = max(i.factors.get("pace_over_training", 0.0)
                  for i in unplanned if 27 * 60 <= i.elapsed_s <= 37 * 60)  # fmt: skip
    assert plan_pace < 0.2 < no_plan
    for a in alerts:
        assert a.kind != "stop_and_stretch"
        if a.kind == "ease_pace" and a.level != "critical":
            assert "about 4:30/km" in a.message  # toward today's target, never "to 5:30" on a tempo day


# ------------------------------------------------------------------------------------------------ drinking
@pytest.mark.parametrize(("temp", "minutes"), [(31.0, 60), (10.0, 120)])
def test_no_drink_alert_on_an_easy_hot_run_or_a_cool_long_run(temp: float, minutes: int) -> None:
    """Hot easy hour and cool two hours: the estimated sweat loss stays under 2 % — no drink alert, and no
    stop_and_stretch either."""
    inds, alerts = drive(Course().run(minutes, hr=140, pace=360), temp=temp)
    loss = inds[-1].sweat_loss_pct
    assert loss is not None and loss < 2.0
    assert "hydrate" not in kinds(alerts)
    assert "stop_and_stretch" not in kinds(alerts)


def test_hot_long_run_drink_advice_is_sparing() -> None:
    """3 h in 32 °C: drink advice only at ≥ 2 % estimated loss, advice level, at most once per 20 min."""

    def thirsty(ind: Indicators) -> None:  # the risk scripted elevated by sweat loss alone
        ind.level, ind.risk = "elevated", 0.4
        ind.factors = {"sweat_loss": 0.8, "heat": 0.2}

    inds, alerts = drive(Course().run(180, hr=150, pace=330), temp=32.0, tweak=thirsty)
    by_t = {i.t: i for i in inds}
    drinks = [a for a in alerts if a.kind == "hydrate"]
    assert drinks, "a drink reminder once the loss is large"
    for a in drinks:
        loss = by_t[a.t].sweat_loss_pct
        assert loss is not None and loss >= 2.0
        assert a.level == "advice" and a.message.startswith("Drink to thirst, not more")
    assert all(b.t - a.t >= 1200 for a, b in itertools.pairwise(drinks))
    below = [i for i in inds if i.sweat_loss_pct is not None and i.sweat_loss_pct < 1.5]
    assert below and not any(a.kind == "hydrate" for a in alerts if by_t[a.t] in below)


# ------------------------------------------------------------------------------------------------ red flags
def test_sudden_stop_with_very_high_hr_is_a_medical_alert() -> None:
    c = Course().run(40, hr=176, pace=290).add(150, 0.0, 0.0, 176.0, tau=1000.0)
    inds, alerts = drive(c)
    med = [a for a in alerts if a.kind == "medical"]
    assert med and med[0].level == "critical"
    assert at(inds, 40 + 150 / 60).red_flag == "high_hr_stopped"
    assert 60 <= med[0].t - (T0 + 2400) <= 90  # a minute after the stop, not at once
    assert med[0].message.startswith("Red flag: HR ") and "Check on the runner now" in med[0].message
    assert "call medical help" in med[0].detail


def test_very_high_hr_at_a_walk_is_a_medical_alert_but_a_normal_recovery_is_not() -> None:
    flagged, _ = drive(Course().run(40, hr=170).add(200, 1.4, 110.0, 166.0, tau=2000.0))
    assert flagged[-1].red_flag == "high_hr_walking"
    normal, alerts = drive(Course().run(40, hr=176, pace=290).add(300, 1.4, 110.0, 110.0, tau=45.0))
    assert not any(i.red_flag for i in normal)
    assert "medical" not in kinds(alerts)


def test_cramp_that_keeps_returning_is_a_medical_alert() -> None:
    c = Course().run(45, hr=168)
    for k in range(4):  # tries to run again, cramps again
        c.add(40, 1.1, 105.0, 166.0, cadence_sd=25.0, tau=400.0, seed=k).run(1, hr=166)
    inds, alerts = drive(c)
    assert "stop_and_stretch" in kinds(alerts)
    med = [a for a in alerts if a.kind == "medical"]
    assert med and "cramp keeps coming back" in med[0].message
    assert any(i.red_flag == "cramp_not_easing" for i in inds)

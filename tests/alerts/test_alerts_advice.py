"""Advice: kind from the factors, every message template within 80 characters, the coach's detail."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.advice import (
    KIND_OF_FACTOR,
    STRETCH,
    advise,
    choose_kind,
    detail_for,
    fmt_pace,
    message_for,
    target_cadence,
    target_pace,
)
from alerts.alert import MAX_MESSAGE
from processors.indicators import Indicators
from processors.profile import Profile

# Extremes within the contract's plausible ranges (hr 25–250, pace 100–3600, cadence 0–260, temp −30–60), and
# absurd ones that must still never break the 80-character limit.
PLAUSIBLE = {
    "cadence": [None, 0.0, 1.0, 99.5, 259.9, 260.0],
    "baseline": [None, 150.0, 260.0],
    "pace": [None, 100.0, 101.4, 599.5, 1199.0, 3600.0],
    "training_pace": [None, 100.0, 3600.0],
    "temp": [None, -30.0, -0.4, 9.96, 59.9, 60.0],
    "sweat": [None, 0.0, 0.04, 9.96, 99.9],
    "elapsed": [0.0, 59.0, 86_399.0, 359_999.0],
    "risk": [0.0, 0.004, 0.75, 0.999, 1.0],
}
ABSURD: list[float | None] = [math.nan, math.inf, -math.inf, -1e12, 1e12, 1e300]


@dataclass(frozen=True)
class Template:
    """One message template: the kind, the inputs that select it, and whether it must carry a number."""

    name: str
    kind: str
    needs_digit: bool
    acute: bool = False
    muscle: str | None = None
    has: tuple[str, ...] = ()  # inputs that must be present (others absent)
    level: str = "advice"
    flag: str | None = None  # a red flag (medical templates)


TEMPLATES = [
    Template("stride_target_now", "shorten_stride", True, has=("cadence",)),
    Template("stride_target_from_baseline", "shorten_stride", True, has=("baseline",)),
    Template("stride_plain", "shorten_stride", False),
    Template("change_form", "change_form", True),
    Template("ease_target_now", "ease_pace", True, has=("pace",)),
    Template("ease_target_training", "ease_pace", True, has=("training_pace",)),
    Template("ease_plain", "ease_pace", False),
    Template("hydrate_sweat_temp", "hydrate", True, has=("sweat", "temp")),
    Template("hydrate_sweat", "hydrate", True, has=("sweat",)),
    Template("hydrate_temp", "hydrate", False, has=("temp",)),  # no loss known: "drink to thirst", no number
    Template("hydrate_plain", "hydrate", False),
    *[Template(f"acute_{m}", "stop_and_stretch", False, acute=True, muscle=m) for m in STRETCH],
    # a critical level without cramp signs eases the pace to an easy jog (never "stop and stretch")
    Template("critical_ease_now", "ease_pace", True, has=("pace",), level="critical"),
    Template("critical_ease_training", "ease_pace", True, has=("training_pace",), level="critical"),
    Template("critical_ease_plain", "ease_pace", True, level="critical"),  # "for 2 minutes"
    Template("medical_stopped", "medical", True, flag="high_hr_stopped"),
    Template("medical_walking", "medical", True, flag="high_hr_walking"),
    Template("medical_cramp", "medical", False, flag="cramp_not_easing"),
    Template("unknown_kind", "something_new", False),
]


def _make(tpl: Template, value: dict[str, float | None], elapsed: float, risk: float) -> tuple[Indicators, Profile]:
    def get(name: str) -> float | None:
        return value.get(name) if name in tpl.has else None

    values: dict[str, float | None] = {}
    if get("baseline") is not None:
        values["cadence_baseline"] = get("baseline")
    if tpl.muscle is not None:
        values[f"muscle_{tpl.muscle}"] = 1.0
    ind = Indicators(
        t=1.7e9,
        elapsed_s=elapsed,
        cadence=get("cadence"),
        pace=get("pace"),
        temp=get("temp"),
        sweat_loss_pct=get("sweat"),
        risk=risk,
        level="critical",
        acute_cramp=tpl.acute,
        red_flag=tpl.flag,
        hr_pct_max=None if tpl.flag is None else 93.0,
        values=values,
    )
    return ind, Profile(training_pace=get("training_pace"))


def _cases(pool: dict[str, list[float | None]], tpl: Template) -> list[tuple[dict[str, float | None], float, float]]:
    keys = [k for k in ("cadence", "baseline", "pace", "training_pace", "temp", "sweat") if k in tpl.has]
    choices = [[v for v in pool[k] if v is not None] for k in keys]
    out = []
    for combo in itertools.product(*choices):
        value = dict(zip(keys, combo, strict=True))
        for elapsed, risk in itertools.product(pool["elapsed"], pool["risk"]):
            out.append((value, float(elapsed or 0.0), float(risk or 0.0)))
    return out


@pytest.mark.parametrize("tpl", TEMPLATES, ids=lambda t: t.name)
def test_every_template_fits_the_watch_with_plausible_extremes(tpl: Template) -> None:
    seen: set[str] = set()
    for value, elapsed, risk in _cases(PLAUSIBLE, tpl):
        ind, profile = _make(tpl, value, elapsed, risk)
        msg = message_for(tpl.kind, ind, profile, tpl.level)  # type: ignore[arg-type]
        assert len(msg) <= MAX_MESSAGE, msg
        assert "…" not in msg, msg  # never cut within the plausible ranges
        assert "nan" not in msg.lower() and "inf" not in msg.lower(), msg
        assert bool(re.search(r"\d", msg)) == tpl.needs_digit or (
            # a cadence of 0 gives no target: the plain stride template, no digit
            tpl.kind == "shorten_stride" and target_cadence(ind) is None
        ), msg
        seen.add(re.sub(r"[\d:.~-]+", "#", msg))
    assert seen  # the template was produced


@pytest.mark.parametrize("tpl", TEMPLATES, ids=lambda t: t.name)
def test_every_template_survives_absurd_values(tpl: Template) -> None:
    pool: dict[str, list[float | None]] = {k: ABSURD for k in PLAUSIBLE}
    for value, elapsed, risk in _cases(pool, tpl):
        ind, profile = _make(tpl, value, elapsed, risk)
        msg = message_for(tpl.kind, ind, profile, tpl.level)  # type: ignore[arg-type]
        assert 0 < len(msg) <= MAX_MESSAGE, msg


def test_template_examples() -> None:
    ind = Indicators(
        t=0.0,
        elapsed_s=2880.0,
        pace=287.0,
        cadence=162.0,
        temp=31.0,
        sweat_loss_pct=1.9,
        risk=0.86,
        values={"cadence_baseline": 168.0},
    )
    p = Profile(training_pace=310.0)
    assert message_for("shorten_stride", ind, p) == "Shorten your stride: aim for ~176 steps/min (now 162)"
    assert message_for("change_form", ind, p) == "48 min at one rhythm: vary step rate or foot strike for a minute"
    assert message_for("ease_pace", ind, p) == "Ease the pace to about 5:10/km (now 4:47/km)"
    assert message_for("hydrate", ind, p) == "Drink to thirst, not more: ~1.9 % body weight sweated, 31 °C"
    # critical without cramp signs: an easy jog, 15 % slower than the slower of training pace and now
    assert message_for("ease_pace", ind, p, "critical") == "Ease to an easy jog for 2 minutes: about 5:56/km"
    ind.acute_cramp = True
    # the streams do not say which muscle cramps: the calf, most often affected, is offered as an "if"
    assert (
        message_for("stop_and_stretch", ind, p)
        == "Cramp signs: stop and stretch. If calf: lunge, cramped leg straight behind"
    )
    for muscle, stretch in (("calf", "Calf: lunge, cramped leg straight behind"),
                            ("hamstring", "Thigh back: sit, leg straight, lean forward")):  # fmt: skip
        ind.values = {f"muscle_{muscle}": 0.9}  # a muscle the processors name is said plainly
        assert message_for("stop_and_stretch", ind, p) == f"Cramp signs: stop and stretch. {stretch}"


def test_targets() -> None:
    # baseline +5 %; a current cadence above the baseline is the reference instead
    assert target_cadence(Indicators(t=0, elapsed_s=0, cadence=150.0, values={"cadence_baseline": 168.0})) == 176
    # already quicker than the target: no number (it would ask the runner to slow their steps)
    assert target_cadence(Indicators(t=0, elapsed_s=0, cadence=180.0, values={"cadence_baseline": 168.0})) is None
    ind = Indicators(t=0, elapsed_s=0, cadence=180.0, values={"cadence_baseline": 168.0})
    assert message_for("shorten_stride", ind, Profile()) == "Shorten your stride: quicker, lighter steps"
    assert target_cadence(Indicators(t=0, elapsed_s=0, cadence=160.0)) == 168  # no baseline: current + 5 %
    assert target_cadence(Indicators(t=0, elapsed_s=0)) is None
    # training pace if at least 5 % slower than now, else 5 % slower than now; training pace derived from the ratio
    ind = Indicators(t=0, elapsed_s=0, pace=287.0, pace_over_training=1.08)
    assert target_pace(ind, Profile(training_pace=310.0)) == 310.0
    assert target_pace(ind, Profile()) == pytest.approx(287.0 * 1.08)
    assert target_pace(Indicators(t=0, elapsed_s=0, pace=300.0), Profile(training_pace=280.0)) == 315.0
    # training pace only 1 % slower than now: "ease to 6:25 (now 6:21)" asks for nothing; 5 % slower than now
    assert target_pace(Indicators(t=0, elapsed_s=0, pace=381.0), Profile(training_pace=385.0)) == 381.0 * 1.05
    assert message_for("ease_pace", Indicators(t=0, elapsed_s=0, pace=381.0), Profile(training_pace=385.0)) == (
        "Ease the pace to about 6:40/km (now 6:21/km)"
    )
    assert fmt_pace(299.5) == "5:00" and fmt_pace(3600) == "60:00"


@pytest.mark.parametrize(
    ("factors", "kind"),
    [
        ({"pace_over_training": 0.3, "heat": 0.1}, "ease_pace"),
        ({"decoupling": 0.2, "fatigue": 0.1}, "ease_pace"),
        ({"fatigue": 0.3, "pace_over_training": 0.1}, "shorten_stride"),
        ({"duration": 0.2, "cramp_history": 0.4}, "shorten_stride"),
        ({"heat": 0.1, "sweat_loss": 0.3, "pace_over_training": 0.15}, "hydrate"),
        ({"heat": 0.1, "sweat_loss": 0.1, "pace_over_training": 0.15}, "ease_pace"),  # heat: slow down
        ({"cardiac_drift": 0.2}, "ease_pace"),  # the heart works harder at this pace: ease off
        ({"monotony": 0.25, "fatigue": 0.2}, "change_form"),
        ({"gait_uniformity": 0.25, "fatigue": 0.2}, "change_form"),
        (
            {"cramp_history": 0.3, "recent_injury": 0.2, "sex": 0.1, "age": 0.1},
            "ease_pace",
        ),  # no action: fallback
        ({}, "ease_pace"),
        ({"fatigue": 0.2, "pace_over_training": 0.2}, "ease_pace"),  # tie: priority order
        ({"heat": float("nan"), "monotony": 0.01}, "change_form"),  # NaN ignored
        ({"pace_over_training": -0.5, "monotony": 0.01}, "change_form"),  # negative ignored
        ({"brand_new_factor": 0.9, "sweat_loss": 0.01}, "hydrate"),  # unknown names choose nothing
    ],
)
def test_kind_follows_the_factors(factors: dict[str, float], kind: str) -> None:
    ind = Indicators(t=0.0, elapsed_s=0.0, factors=factors, gait_state="running", sweat_loss_pct=2.2)
    assert choose_kind(ind, "advice") == kind
    # drink advice is never a warning: a warning on the same factors eases the pace
    assert choose_kind(ind, "warning") == ("ease_pace" if kind == "hydrate" else kind)
    assert choose_kind(ind, "critical") == "ease_pace"  # no cramp signs: never stop and stretch
    ind.acute_cramp = True
    assert choose_kind(ind, "advice") == "stop_and_stretch"
    assert choose_kind(ind, "critical") == "stop_and_stretch"


@pytest.mark.parametrize("gait", ["walking", "stopped", "unknown"])
def test_no_stride_or_form_advice_unless_running(gait: str) -> None:
    ind = Indicators(t=0.0, elapsed_s=3000.0, cadence=97.0, factors={"fatigue": 0.6, "monotony": 0.5},
                     gait_state=gait, values={"cadence_baseline": 135.0})  # fmt: skip
    for level in ("advice", "warning", "critical"):
        assert choose_kind(ind, level) == "ease_pace"  # type: ignore[arg-type]
    ind.gait_state = "running"
    assert choose_kind(ind, "advice") == "shorten_stride"
    # a walking step rate is never quoted as "now": no "aim for ~142 steps/min (now 97)"
    assert message_for("shorten_stride", ind, Profile()) == "Shorten your stride: aim for ~142 steps/min"


@pytest.mark.parametrize(("loss", "kind"), [(None, "ease_pace"), (0.6, "ease_pace"), (1.49, "ease_pace"),
                                            (1.99, "ease_pace"), (2.0, "hydrate"), (3.1, "hydrate")])  # fmt: skip
def test_drink_advice_only_from_two_percent_loss(loss: float | None, kind: str) -> None:
    ind = Indicators(t=0.0, elapsed_s=3000.0, temp=31.0, sweat_loss_pct=loss, gait_state="running",
                     factors={"sweat_loss": 0.5, "heat": 0.2})  # fmt: skip
    assert choose_kind(ind, "advice") == kind
    a = advise(ind, Profile(), "advice")
    if kind == "hydrate":
        assert a.message.startswith("Drink to thirst, not more")
        assert "hyponatraemia" in a.detail
    else:
        assert "drink" not in a.message.lower()


def test_every_mapped_kind_has_a_template() -> None:
    ind = Indicators(t=0.0, elapsed_s=600.0)
    for kind in set(KIND_OF_FACTOR.values()):
        assert message_for(kind, ind, Profile()) != message_for("something_new", ind, Profile())


def test_detail_names_the_factors_and_their_values() -> None:
    ind = Indicators(
        t=0.0,
        elapsed_s=2880.0,
        pace=287.0,
        cadence=158.0,
        stride_m=2.71,
        temp=31.0,
        sweat_loss_pct=1.9,
        fatigue=0.71,
        decoupling_pct=6.4,
        cardiac_drift_bpm_h=9.2,
        monotony=0.83,
        risk=0.62,
        level="high",
        pace_over_training=1.08,
        duration_vs_longest=0.8,
        fatigue_parts={"cadence_drop": 0.3, "hr_drift": 0.2, "zero": 0.0},
        factors={
            "pace_over_training": 0.2,
            "heat": 0.1,
            "sweat_loss": 0.08,
            "duration": 0.05,
            "fatigue": 0.04,
            "decoupling": 0.03,
            "cardiac_drift": 0.02,
            "monotony": 0.015,
            "cramp_history": 0.012,
            "recent_injury": 0.011,
            "sex": 0.01,
            "age": 0.009,
            "mystery": 0.008,
            "ignored_zero": 0.0,
        },
    )
    detail = detail_for(ind, Profile(training_pace=310.0, sex="male", age=52))
    assert detail == (
        "risk 0.62 (high): pace 8 % over training (now 4:47 vs 5:10/km), 31 °C, sweat loss 1.9 %, "
        "48 min (80 % of longest run), fatigue 0.71 (cadence_drop 0.30, hr_drift 0.20), cadence 158/min, "
        "stride 2.71 m, decoupling 6.4 %, cardiac drift 9 bpm/h, gait uniformity 0.83, cramp history, "
        "injury in the last 12 months, male, age 52, mystery +0.01"
    )


def test_detail_uses_the_processors_values() -> None:
    """The processors' raw factor inputs (``values``): 10-min pace ratio, HR reserve, gait fatigue and its signs."""
    ind = Indicators(
        t=0.0,
        elapsed_s=5400.0,
        pace=300.0,
        cadence=161.0,
        stride_m=2.48,
        fatigue=0.55,
        risk=0.57,
        level="high",
        pace_over_training=1.03,
        factors={"fatigue": 0.9, "pace_over_training": 0.96, "intensity": 0.4, "sex": -0.32},
        values={
            "pace_ratio_10min": 1.08,
            "hrr_10min": 0.874,
            "fatigue_gait": 0.75,
            "cadence_decline_pct": 4.46,
            "cadence_baseline": 168.5,
            "cadence_cv_ratio": 1.8,
            "stride_change_pct": -0.4,  # under 0.5 %: not shown
        },
    )
    assert detail_for(ind, Profile(training_pace=310.0, sex="female")) == (
        "risk 0.57 (high): pace 8 % over training (10-min mean 4:47 vs 5:10/km), fatigue 0.75, cadence 4.5 % below "
        "baseline (161 vs 168/min), step rhythm 1.8x less regular, stride 2.48 m, HR at 87 % of reserve"
    )
    assert message_for("shorten_stride", ind, Profile()) == "Shorten your stride: aim for ~177 steps/min (now 161)"
    ind.values["stride_change_pct"] = 3.2
    assert "stride 2.48 m (+3 %)" in detail_for(ind, Profile())


def test_detail_with_missing_values_and_no_factors() -> None:
    assert detail_for(Indicators(t=0.0, elapsed_s=0.0), Profile()) == "risk 0.00 (low): no single factor stands out"
    ind = Indicators(
        t=0.0,
        elapsed_s=60.0,
        risk=float("nan"),
        acute_cramp=True,
        factors={"heat": 0.1, "sweat_loss": 0.1, "pace_over_training": 0.1, "fatigue": 0.1},
    )
    assert detail_for(ind, Profile()) == (
        "risk 0.00 (low): acute cramp signature, fatigue, heat, pace over training, sweat loss"
    )


def test_advise_bundles_kind_message_detail() -> None:
    ind = Indicators(t=0.0, elapsed_s=1800.0, temp=29.0, risk=0.5, level="elevated", factors={"heat": 0.3})
    a = advise(ind, Profile(), "advice")
    assert (a.kind, a.message) == ("ease_pace", "Ease the pace until you can talk in full sentences")
    assert a.detail == "risk 0.50 (elevated): 29 °C"


def test_medical_advice_says_so() -> None:
    ind = Indicators(t=0.0, elapsed_s=4000.0, hr=176.0, hr_pct_max=95.1, risk=0.4, level="elevated",
                     gait_state="stopped", gait_state_s=75.0, red_flag="high_hr_stopped")  # fmt: skip
    a = advise(ind, Profile(), "critical", kind="medical")
    assert a.message == "Red flag: HR 95 % of max after stopping. Check on the runner now"
    assert a.detail.startswith("RED FLAG: very high heart rate a minute after stopping (stopped 75 s, HR 176 (95 %")
    assert "call medical help" in a.detail


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*KIND_OF_FACTOR, "cramp_history", "sex", "age", "x"]),
        st.floats(allow_nan=True, allow_infinity=True),
        max_size=8,
    ),
    st.floats(allow_nan=True),
    st.floats(allow_nan=True),
    st.floats(allow_nan=True),
    st.floats(allow_nan=True),
    st.floats(allow_nan=True),
    st.booleans(),
)
def test_any_indicators_give_a_valid_message(
    factors: dict[str, float],
    pace: float,
    cadence: float,
    temp: float,
    sweat: float,
    risk: float,
    acute: bool,
) -> None:
    ind = Indicators(
        t=0.0,
        elapsed_s=1000.0,
        pace=pace,
        cadence=cadence,
        temp=temp,
        sweat_loss_pct=sweat,
        risk=risk,
        factors=factors,
        acute_cramp=acute,
    )
    for level in ("advice", "warning", "critical"):
        a = advise(ind, Profile(training_pace=300.0), level)  # type: ignore[arg-type]
        assert 0 < len(a.message) <= MAX_MESSAGE
        assert a.detail.startswith("risk ")
        assert (a.kind == "stop_and_stretch") == acute  # never without cramp signs

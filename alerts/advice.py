"""From reasons to words: which action an alert asks for, the watch message and the coach's detail.

The risk score says *how much*; the factor contributions (``Indicators.factors``) say *why*. The action
follows the why, because what helps depends on it (UW Medicine Sports Medicine, seed 002; Bupa, seed 000):

=====================  =====================================================  ======================
kind                   pushed by                                              what the runner does
=====================  =====================================================  ======================
``shorten_stride``     fatigue, duration, cadence drop / long strides          shorter, quicker steps
``change_form``        gait uniformity ("monotony": same muscles, same way)    vary step rate / strike
``ease_pace``          pace, intensity, decoupling, cardiac drift, heat;       slow down / easy jog
                       every critical level without cramp signs
``hydrate``            sweat loss ≥ 2 % of body mass (advice level only)       drink to thirst
``stop_and_stretch``   the acute cramp signature (cramp signs) only            stop, stretch the muscle
``medical``            a red flag (``Indicators.red_flag``), coach only        check on the runner now
=====================  =====================================================  ======================

Safety rules (docs/alerts.md): ``stop_and_stretch`` only when cramp signs are seen — a critical risk without
them eases the pace ("Ease to an easy jog for 2 minutes"), never stops a runner to stretch a muscle that is not
cramping. No stride or form advice unless the athlete is running (``Indicators.gait_state``). Drink advice
follows current guidance (Hew-Butler et al. 2015; ACSM): drink to thirst, never more than you sweat, not before
about 2 % of body mass is lost, never above the advice level, and never framed as cramp prevention.

Fixed traits (``cramp_history``, ``recent_injury``, ``sex``, ``age``) raise the risk but ask for no action of
their own; they appear in the coach's ``detail`` only. This is risk guidance, not diagnosis: no message claims
a cramp will (or will not) happen.

Every message fits a watch screen (≤ 80 characters), names one action in plain words, and carries the
athlete's own numbers where they are known (``tests/alerts/test_alerts_advice.py`` enumerates the templates
with extreme values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from alerts.alert import MAX_MESSAGE, AlertLevel
from alerts.detail import detail_for
from alerts.inputs import (
    contributions,
    finite,
    fmt_pace,
    num,
    target_cadence,
    target_pace,
    training_pace,
    value_of,
)
from alerts.kinds import (
    FORM_KINDS,
    HYDRATE_MIN_LOSS_PCT,
    KIND_OF_FACTOR,
    KIND_PRIORITY,
    choose_kind,
    eligible_kinds,
    kind_scores,
    running,
    sticky_kind,
)
from processors.gait import RUN_MIN_CADENCE
from processors.indicators import Indicators
from processors.profile import Profile
from processors.red_flag import REASONS

__all__ = [
    "FORM_KINDS",
    "HYDRATE_MIN_LOSS_PCT",
    "KIND_OF_FACTOR",
    "KIND_PRIORITY",
    "STRETCH",
    "Advice",
    "advice_number",
    "advise",
    "choose_kind",
    "contributions",
    "detail_for",
    "eligible_kinds",
    "fmt_pace",
    "kind_scores",
    "message_for",
    "running",
    "sticky_kind",
    "target_cadence",
    "target_pace",
]

Muscle = Literal["calf", "quadriceps", "hamstring"]

#: A critical risk without cramp signs: an easy jog, this much slower than training pace (or than now), for
#: EASY_JOG_MIN minutes.
EASY_JOG_FACTOR: Final = 1.15
EASY_JOG_MIN: Final = 2


#: The stretch for each muscle (seed 000): short forms for the watch.
STRETCH: Final[Mapping[Muscle, str]] = {
    "calf": "Calf: lunge, cramped leg straight behind",
    "quadriceps": "Thigh front: pull heel toward buttock",
    "hamstring": "Thigh back: sit, leg straight, lean forward",
}
#: The muscle assumed when nothing points elsewhere: the calf, most often affected (seeds 000, 002).
DEFAULT_MUSCLE: Final[Muscle] = "calf"


@dataclass(frozen=True, slots=True)
class Advice:
    """What to say: the action, the watch message (≤ 80 characters) and the coach's detail."""

    kind: str
    message: str
    detail: str


def named_muscle(ind: Indicators) -> Muscle | None:
    """The muscle the processors name (``values["muscle_<name>"]`` > 0.5), or None: the streams alone do not say.

    >>> named_muscle(Indicators(t=0.0, elapsed_s=0.0)), named_muscle(Indicators(t=0.0, elapsed_s=0.0,
    ...                                                                      values={"muscle_calf": 0.9}))
    (None, 'calf')
    """
    for muscle in ("quadriceps", "hamstring", "calf"):
        v = finite(ind.values.get(f"muscle_{muscle}"))
        if v is not None and v > 0.5:
            return muscle
    return None


def likely_muscle(ind: Indicators) -> Muscle:
    """The muscle to stretch: the one the processors name (:func:`named_muscle`), else the calf, the most often
    affected in runners (assumed: the message says "If calf")."""
    return named_muscle(ind) or DEFAULT_MUSCLE


# ------------------------------------------------------------------------------------------------ the message


def _shorten_stride(ind: Indicators) -> str:
    target = target_cadence(ind)
    cadence = value_of(ind, "cadence")
    if target is None:
        return "Shorten your stride: quicker, lighter steps"
    if cadence is None or cadence < RUN_MIN_CADENCE:  # a walking step rate is no "now" to compare with
        return f"Shorten your stride: aim for ~{target} steps/min"
    return f"Shorten your stride: aim for ~{target} steps/min (now {num(cadence)})"


def _change_form(ind: Indicators) -> str:
    minutes = max(0.0, ind.elapsed_s / 60.0)
    return f"{num(minutes)} min at one rhythm: vary step rate or foot strike for a minute"


def easy_jog_pace(ind: Indicators, profile: Profile) -> float | None:
    """The pace of an easy jog (s/km): :data:`EASY_JOG_FACTOR` × the slower of training pace and the current
    pace (so it always means slowing down)."""
    pace = value_of(ind, "pace")
    train = training_pace(ind, profile)
    known = [p for p in (pace, train) if p is not None and p > 0]
    return finite(max(known) * EASY_JOG_FACTOR) if known else None


def _ease_pace(ind: Indicators, profile: Profile, level: AlertLevel) -> str:
    pace = value_of(ind, "pace")
    if level == "critical":  # high risk, no cramp signs: ease off, do not stop to stretch
        jog = easy_jog_pace(ind, profile)
        if jog is None:
            return f"Ease to an easy jog for {EASY_JOG_MIN} minutes"
        return f"Ease to an easy jog for {EASY_JOG_MIN} minutes: about {fmt_pace(jog)}/km"
    target = target_pace(ind, profile)
    if target is None:
        return "Ease the pace until you can talk in full sentences"
    if pace is None:
        return f"Ease the pace to about {fmt_pace(target)}/km"
    return f"Ease the pace to about {fmt_pace(target)}/km (now {fmt_pace(pace)}/km)"


def _hydrate(ind: Indicators) -> str:
    sweat = value_of(ind, "sweat_loss_pct", "sweat_loss")
    temp = value_of(ind, "temp")
    if sweat is not None and temp is not None:
        return f"Drink to thirst, not more: ~{num(sweat, 1)} % body weight sweated, {num(temp)} °C"
    if sweat is not None:
        return f"Drink to thirst, not more: about {num(sweat, 1)} % body weight sweated out"
    return "Drink to thirst, not more"


def _stop_and_stretch(ind: Indicators) -> str:
    """The stretch of the muscle the processors name; an assumed calf is said as such ("If calf: …"), since the
    streams do not say which muscle cramps and a runner with a cramping thigh must not read a calf stretch as an
    order."""
    named = named_muscle(ind)
    if named is None:
        return f"Cramp signs: stop and stretch. If {STRETCH[DEFAULT_MUSCLE].lower()}"
    return f"Cramp signs: stop and stretch. {STRETCH[named]}"


def _medical(ind: Indicators) -> str:
    pct = value_of(ind, "hr_pct_max")
    flag = ind.red_flag
    if flag == "high_hr_stopped":
        hr = f"HR {num(pct)} % of max" if pct is not None else "HR very high"
        return f"Red flag: {hr} after stopping. Check on the runner now"
    if flag == "high_hr_walking":
        hr = f"HR {num(pct)} % of max" if pct is not None else "HR very high"
        return f"Red flag: {hr} at a walk. Check on the runner now"
    if flag == "cramp_not_easing":
        return "Red flag: cramp keeps coming back. Get medical help to the runner"
    return "Red flag: check on the runner now"


def advice_number(kind: str, ind: Indicators, profile: Profile) -> float | None:
    """The number the advice of ``kind`` is anchored to: the cadence target of ``shorten_stride`` (steps/min); for
    ``ease_pace`` the reference pace it eases toward (s/km: today's target, else the training pace,
    :func:`~alerts.inputs.training_pace`) — not the message's "5 % slower than now", which moves only because the
    runner eased; None for other kinds or when unknown. The policy restarts a kind's repeat schedule when this
    moves materially (a changed advice), so a runner who eased past the first target is not chased with a new one
    every 5 minutes while the 10-minute means catch up (rule 5).

    >>> advice_number("shorten_stride", Indicators(t=0.0, elapsed_s=0.0, cadence=160.0,
    ...                                            values={"cadence_baseline": 168.0}), Profile())
    176.0
    >>> advice_number("ease_pace", Indicators(t=0.0, elapsed_s=0.0, pace=287.0), Profile(training_pace=310))
    310.0
    >>> advice_number("ease_pace", Indicators(t=0.0, elapsed_s=0.0, pace=330.0), Profile(training_pace=310))
    310.0
    >>> advice_number("change_form", Indicators(t=0.0, elapsed_s=0.0), Profile()) is None
    True
    """
    if kind == "shorten_stride":
        cadence = target_cadence(ind)
        return None if cadence is None else float(cadence)
    if kind == "ease_pace":
        return training_pace(ind, profile)
    return None


def message_for(kind: str, ind: Indicators, profile: Profile, level: AlertLevel = "advice") -> str:
    """The watch message for ``kind`` (≤ 80 characters; longer ones are cut at a word, never left to fail).

    >>> message_for("ease_pace", Indicators(t=0.0, elapsed_s=2880.0, pace=287.0), Profile(training_pace=310))
    'Ease the pace to about 5:10/km (now 4:47/km)'
    >>> message_for("ease_pace", Indicators(t=0.0, elapsed_s=2880.0, pace=287.0), Profile(training_pace=310),
    ...             "critical")
    'Ease to an easy jog for 2 minutes: about 5:56/km'
    """
    if kind == "shorten_stride":
        text = _shorten_stride(ind)
    elif kind == "change_form":
        text = _change_form(ind)
    elif kind == "ease_pace":
        text = _ease_pace(ind, profile, level)
    elif kind == "hydrate":
        text = _hydrate(ind)
    elif kind == "stop_and_stretch":
        text = _stop_and_stretch(ind)
    elif kind == "medical":
        text = _medical(ind)
    else:
        text = "Cramp risk up: ease off a little"
    return _fit(text)


def _fit(text: str) -> str:
    if len(text) <= MAX_MESSAGE:
        return text
    cut = text[: MAX_MESSAGE - 1].rsplit(" ", 1)[0]
    return cut + "…"


#: What the coach reads beside a drink or a medical alert.
HYDRATE_NOTE: Final = "drink to thirst, never more than sweated: over-drinking risks hyponatraemia"
MEDICAL_NOTE: Final = "call medical help if the runner is confused, vomiting, collapsed or the cramp will not ease"


def advise(
    ind: Indicators,
    profile: Profile,
    level: AlertLevel,
    kind: str | None = None,
    factors: Mapping[str, float] | None = None,
) -> Advice:
    """Kind (chosen from the factors unless given), message and detail for one alert; ``factors``: the caller's
    :func:`contributions` of ``ind`` if it has them (else computed)."""
    chosen = kind if kind is not None else choose_kind(ind, level)
    detail = detail_for(ind, profile, factors)
    if chosen == "hydrate":
        detail = f"{detail}; {HYDRATE_NOTE}"
    elif chosen == "medical":
        reason = REASONS.get(ind.red_flag or "", "red flag")
        detail = f"RED FLAG: {reason} ({gait_words(ind)}); {MEDICAL_NOTE}. {detail}"
    return Advice(kind=chosen, message=message_for(chosen, ind, profile, level), detail=detail)


def gait_words(ind: Indicators) -> str:
    """The gait state and the HR for the coach, e.g. ``"stopped 75 s, HR 176 (95 % of max)"``."""
    text = f"{ind.gait_state} {num(max(ind.gait_state_s, 0.0))} s"
    hr, pct = value_of(ind, "hr"), value_of(ind, "hr_pct_max")
    if hr is not None:
        text += f", HR {num(hr)}" + (f" ({num(pct)} % of max)" if pct is not None else "")
    return text

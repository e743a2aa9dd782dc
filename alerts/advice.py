"""From reasons to words: which action an alert asks for, the watch message and the coach's detail.

The risk score says *how much*; the factor contributions (``Indicators.factors``) say *why*. The action
follows the why, because what helps depends on it (UW Medicine Sports Medicine, seed 002; Bupa, seed 000):

=====================  =====================================================  ======================
kind                   pushed by                                              what the runner does
=====================  =====================================================  ======================
``shorten_stride``     fatigue, duration, cadence drop / long strides          shorter, quicker steps
``change_form``        monotony (same muscles, same way, for a long time)      vary step rate / strike
``ease_pace``          pace over training pace, aerobic decoupling             slow to training pace
``hydrate``            heat, sweat loss, cardiac drift                         drink
``stop_and_stretch``   the acute cramp signature, or a critical risk           stop, stretch the muscle
=====================  =====================================================  ======================

Fixed traits (``cramp_history``, ``recent_injury``, ``sex``, ``age``) raise the risk but ask for no action of
their own; they appear in the coach's ``detail`` only. This is risk guidance, not diagnosis: no message claims
a cramp will (or will not) happen.

Every message fits a watch screen (≤ 80 characters), names one action in plain words, and carries the
athlete's own numbers where they are known (``tests/alerts/test_alerts_advice.py`` enumerates the templates
with extreme values).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from alerts.alert import MAX_MESSAGE, AlertLevel
from processors.indicators import Indicators
from processors.profile import Profile

Muscle = Literal["calf", "quadriceps", "hamstring"]

#: Which action each (known) factor asks for. Factors not listed here (fixed traits, unknown names) choose no
#: action; they still show in the detail.
KIND_OF_FACTOR: Final[Mapping[str, str]] = {
    "pace_over_training": "ease_pace",
    "decoupling": "ease_pace",
    "intensity": "ease_pace",
    "fatigue": "shorten_stride",
    "duration": "shorten_stride",
    "cadence_drop": "shorten_stride",
    "stride": "shorten_stride",
    "heat": "hydrate",
    "sweat_loss": "hydrate",
    "cardiac_drift": "hydrate",
    "monotony": "change_form",
    "acute_cramp": "stop_and_stretch",
}

#: Tie-break between kinds whose factors contribute equally (first wins), and the fallback when no factor asks
#: for an action (``ease_pace``: easing off is safe whatever the cause).
KIND_PRIORITY: Final[tuple[str, ...]] = ("ease_pace", "shorten_stride", "hydrate", "change_form")

#: Target cadence when shortening the stride: the athlete's baseline cadence + 5 %.
CADENCE_STEP_UP: Final = 1.05
#: Keys of ``Indicators.values`` that may carry the athlete's baseline cadence (steps/min), first found wins.
BASELINE_CADENCE_KEYS: Final[tuple[str, ...]] = (
    "cadence_baseline",
    "baseline_cadence",
    "cadence_ref",
    "cadence_reference",
)
#: Without a training pace, "ease the pace" targets 5 % slower than now.
EASE_PACE_FACTOR: Final = 1.05

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


# ------------------------------------------------------------------------------------------- number formats


def _finite(x: object) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def fmt_pace(s_per_km: float) -> str:
    """A pace in m:ss (per km), rounded to the second.

    >>> fmt_pace(287.4)
    '4:47'
    >>> fmt_pace(310)
    '5:10'
    >>> fmt_pace(59.6)
    '1:00'
    >>> fmt_pace(float("inf"))
    '-:--'
    """
    if not math.isfinite(s_per_km):
        return "-:--"
    total = round(s_per_km)
    return f"{total // 60}:{total % 60:02d}"


def _num(x: float, digits: int = 0) -> str:
    """Round for display; never shows ``-0``; ``?`` for a non-finite number."""
    if not math.isfinite(x):
        return "?"
    v = round(x, digits)
    if v == 0:
        v = 0.0
    return f"{v:.{digits}f}"


# ------------------------------------------------------------------------------------------------ the inputs


def _value(ind: Indicators, *names: str) -> float | None:
    """The first finite value among the typed indicator fields and ``ind.values`` under these names."""
    for name in names:
        v = _finite(getattr(ind, name, None))
        if v is not None:
            return v
        v = _finite(ind.values.get(name))
        if v is not None:
            return v
    return None


def contributions(ind: Indicators) -> dict[str, float]:
    """The finite factor contributions, rounded to 4 decimals (what an alert's ``factors`` carries)."""
    out: dict[str, float] = {}
    for name, c in ind.factors.items():
        v = _finite(c)
        if v is not None:
            out[str(name)] = round(v, 4)
    return out


def baseline_cadence(ind: Indicators) -> float | None:
    """The athlete's baseline cadence (steps/min) if the processors report one."""
    for key in BASELINE_CADENCE_KEYS:
        v = _finite(ind.values.get(key))
        if v is not None and v > 0:
            return v
    return None


def target_cadence(ind: Indicators) -> int | None:
    """The athlete's baseline cadence + 5 % (without a baseline: current + 5 %), in whole steps per minute.
    None without cadence data, or when the current cadence already reaches the target (a number would then
    tell the runner to slow their steps).

    >>> target_cadence(Indicators(t=0.0, elapsed_s=0.0, cadence=160.0, values={"cadence_baseline": 168.0}))
    176
    >>> target_cadence(Indicators(t=0.0, elapsed_s=0.0, cadence=180.0, values={"cadence_baseline": 168.0}))
    """
    current = _value(ind, "cadence")
    if current is not None and current <= 0:
        current = None
    base = baseline_cadence(ind)
    reference = base if base is not None else current
    if reference is None:
        return None
    target = _finite(reference * CADENCE_STEP_UP)
    if target is None or (current is not None and current >= round(target)):
        return None
    return round(target)


def training_pace(ind: Indicators, profile: Profile) -> float | None:
    """The athlete's training pace (s/km): the profile's, else derived from ``pace_over_training``."""
    own = _finite(profile.training_pace)
    if own is not None and own > 0:
        return own
    pace = _value(ind, "pace")
    ratio = _value(ind, "pace_over_training")
    if pace is not None and ratio is not None and ratio > 0:
        return _finite(pace * ratio)  # ratio = training_pace / pace
    return None


def target_pace(ind: Indicators, profile: Profile) -> float | None:
    """The pace to ease to (s/km): training pace if slower than now, else 5 % slower than now."""
    pace = _value(ind, "pace")
    train = training_pace(ind, profile)
    if train is not None and (pace is None or train > pace):
        return train
    if pace is not None and pace > 0:
        return _finite(pace * EASE_PACE_FACTOR)
    return None


# --------------------------------------------------------------------------------------------------- the kind


def kind_scores(ind: Indicators) -> dict[str, float]:
    """Sum of positive contributions per action kind (acute cramp excluded: it is handled on its own)."""
    scores = dict.fromkeys(KIND_PRIORITY, 0.0)
    for name, c in contributions(ind).items():
        kind = KIND_OF_FACTOR.get(name)
        if kind in scores and c > 0:
            scores[kind] += c
    return scores


def choose_kind(ind: Indicators, level: AlertLevel) -> str:
    """The action for this alert: ``stop_and_stretch`` on the acute cramp signature or a critical level, else
    the kind whose factors contribute most (ties and no actionable factor: :data:`KIND_PRIORITY` order).

    >>> ind = Indicators(t=0.0, elapsed_s=0.0,
    ...                  factors={"heat": 0.1, "sweat_loss": 0.15, "pace_over_training": 0.2})
    >>> choose_kind(ind, "advice")
    'hydrate'
    >>> choose_kind(ind, "critical")
    'stop_and_stretch'
    """
    if ind.acute_cramp or level == "critical":
        return "stop_and_stretch"
    scores = kind_scores(ind)
    best = KIND_PRIORITY[0]
    for kind in KIND_PRIORITY:
        if scores[kind] > scores[best]:
            best = kind
    return best


def likely_muscle(ind: Indicators) -> Muscle:
    """The muscle to stretch. The streams do not say which muscle cramps; unless the processors name one
    (``values["muscle_quadriceps"]`` / ``values["muscle_hamstring"]`` > 0.5), assume the calf, the most often
    affected in runners."""
    for muscle in ("quadriceps", "hamstring"):
        v = _finite(ind.values.get(f"muscle_{muscle}"))
        if v is not None and v > 0.5:
            return muscle
    return DEFAULT_MUSCLE


# ------------------------------------------------------------------------------------------------ the message


def _shorten_stride(ind: Indicators) -> str:
    target = target_cadence(ind)
    cadence = _value(ind, "cadence")
    if target is None:
        return "Shorten your stride: quicker, lighter steps"
    if cadence is None:
        return f"Shorten your stride: aim for ~{target} steps/min"
    return f"Shorten your stride: aim for ~{target} steps/min (now {_num(cadence)})"


def _change_form(ind: Indicators) -> str:
    minutes = max(0.0, ind.elapsed_s / 60.0)
    return f"{_num(minutes)} min at one rhythm: vary step rate or foot strike for a minute"


def _ease_pace(ind: Indicators, profile: Profile) -> str:
    target = target_pace(ind, profile)
    pace = _value(ind, "pace")
    if target is None:
        return "Ease the pace until you can talk in full sentences"
    if pace is None:
        return f"Ease the pace to about {fmt_pace(target)}/km"
    return f"Ease the pace to about {fmt_pace(target)}/km (now {fmt_pace(pace)}/km)"


def _hydrate(ind: Indicators) -> str:
    sweat = _value(ind, "sweat_loss_pct", "sweat_loss")
    temp = _value(ind, "temp")
    if sweat is not None and temp is not None:
        return f"Drink now: about {_num(sweat, 1)} % body weight sweated out, {_num(temp)} °C"
    if sweat is not None:
        return f"Drink now: about {_num(sweat, 1)} % body weight sweated out"
    if temp is not None:
        return f"Drink a few sips now: it is {_num(temp)} °C"
    return "Drink a few sips now"


def _stop_and_stretch(ind: Indicators) -> str:
    stretch = STRETCH[likely_muscle(ind)]
    if ind.acute_cramp:
        return f"Cramp signs: stop and stretch. {stretch}"
    # the risk is a relative index (0–1), not a probability: never shown as "x % chance"
    risk = _finite(ind.risk)
    index = 0.0 if risk is None else min(max(risk, 0.0), 1.0)
    return f"Risk {_num(index, 2)} critical: stop, stretch. {stretch}"


def message_for(kind: str, ind: Indicators, profile: Profile) -> str:
    """The watch message for ``kind`` (≤ 80 characters; longer ones are cut at a word, never left to fail).

    >>> message_for("ease_pace", Indicators(t=0.0, elapsed_s=2880.0, pace=287.0), Profile(training_pace=310))
    'Ease the pace to about 5:10/km (now 4:47/km)'
    """
    if kind == "shorten_stride":
        text = _shorten_stride(ind)
    elif kind == "change_form":
        text = _change_form(ind)
    elif kind == "ease_pace":
        text = _ease_pace(ind, profile)
    elif kind == "hydrate":
        text = _hydrate(ind)
    elif kind == "stop_and_stretch":
        text = _stop_and_stretch(ind)
    else:
        text = "Cramp risk up: ease off a little"
    return _fit(text)


def _fit(text: str) -> str:
    if len(text) <= MAX_MESSAGE:
        return text
    cut = text[: MAX_MESSAGE - 1].rsplit(" ", 1)[0]
    return cut + "…"


# ------------------------------------------------------------------------------------------------- the detail


def _describe(name: str, contribution: float, ind: Indicators, profile: Profile) -> str:
    """One factor in the coach's words, with its value."""
    if name == "pace_over_training":
        # the factor rests on the 10-min mean pace when the processors give it, else on the current pace
        ratio10 = _finite(ind.values.get("pace_ratio_10min"))
        ratio = ratio10 if ratio10 is not None and ratio10 > 0 else _value(ind, "pace_over_training")
        if ratio is None:
            return "pace over training"
        pct = (ratio - 1.0) * 100.0
        head = f"pace {_num(abs(pct))} % {'over' if pct >= 0 else 'under'} training"
        train = training_pace(ind, profile)
        pace = _value(ind, "pace")
        if ratio10 is not None and ratio10 > 0 and train is not None:
            pace = train / ratio10
        if pace is not None and train is not None:
            return f"{head} ({fmt_pace(pace)} vs {fmt_pace(train)}/km)"
        return head
    if name == "intensity":
        hrr = _finite(ind.values.get("hrr_10min"))
        return f"HR at {_num(hrr * 100.0)} % of reserve" if hrr is not None else "intensity"
    if name == "duration":
        text = f"{_num(max(0.0, ind.elapsed_s) / 60.0)} min"
        share = _value(ind, "duration_vs_longest")
        if share is not None:
            text += f" ({_num(share * 100.0)} % of longest run)"
        return text
    if name == "heat":
        temp = _value(ind, "temp")
        if temp is not None:
            return f"{_num(temp)} °C"
        return "heat"
    if name == "sweat_loss":
        sweat = _value(ind, "sweat_loss_pct", "sweat_loss")
        return f"sweat loss {_num(sweat, 1)} %" if sweat is not None else "sweat loss"
    if name == "fatigue":
        return _describe_fatigue(ind)
    if name == "decoupling":
        dec = _value(ind, "decoupling_pct", "decoupling")
        return f"decoupling {_num(dec, 1)} %" if dec is not None else "decoupling"
    if name == "cardiac_drift":
        drift = _value(ind, "cardiac_drift_bpm_h", "cardiac_drift")
        return f"cardiac drift {_num(drift)} bpm/h" if drift is not None else "cardiac drift"
    if name == "monotony":
        mono = _value(ind, "monotony")
        return f"monotony {_num(mono, 2)}" if mono is not None else "monotony"
    if name == "acute_cramp":
        return "acute cramp signature"
    if name == "cramp_history":
        return "cramp history"
    if name == "recent_injury":
        return "injury in the last 12 months"
    if name == "sex":
        return profile.sex if profile.sex is not None else "sex"
    if name == "age":
        return f"age {_num(profile.age_years)}"
    return f"{name} +{_num(contribution, 2)}"


def _describe_fatigue(ind: Indicators) -> str:
    """Gait fatigue (the factor's input) and what shows it: cadence decline, irregular rhythm, the stride."""
    fatigue = _finite(ind.values.get("fatigue_gait"))
    if fatigue is None:
        fatigue = _value(ind, "fatigue")
    text = f"fatigue {_num(fatigue, 2)}" if fatigue is not None else "fatigue"
    bits: list[str] = []
    decline = _finite(ind.values.get("cadence_decline_pct"))
    cadence = _value(ind, "cadence")
    base = baseline_cadence(ind)
    if decline is not None and decline > 0:
        bit = f"cadence {_num(decline, 1)} % below baseline"
        if base is not None:  # the decline is over the last minutes, not this second's cadence
            bit += f" ({_num(base * (1.0 - decline / 100.0))} vs {_num(base)}/min)"
        bits.append(bit)
    elif cadence is not None:
        bits.append(f"cadence {_num(cadence)}/min")
    cv_ratio = _finite(ind.values.get("cadence_cv_ratio"))
    if cv_ratio is not None and cv_ratio >= 1.1:
        bits.append(f"step rhythm {_num(cv_ratio, 1)}x less regular")
    if decline is None and cv_ratio is None:
        parts: list[tuple[str, float]] = []
        for part, raw in ind.fatigue_parts.items():
            v = _finite(raw)
            if v is not None and v > 0:
                parts.append((str(part), v))
        parts = sorted(parts, key=lambda kv: (-kv[1], kv[0]))[:3]
        if parts:
            text += " (" + ", ".join(f"{k} {_num(v, 2)}" for k, v in parts) + ")"
    stride = _value(ind, "stride_m")
    if stride is not None:
        change = _finite(ind.values.get("stride_change_pct"))
        signed = ""
        if change is not None and abs(change) >= 0.5:
            signed = f" ({'+' if change > 0 else '-'}{_num(abs(change))} %)"
        bits.append(f"stride {_num(stride, 2)} m{signed}")
    return ", ".join([text, *bits])


def detail_for(ind: Indicators, profile: Profile) -> str:
    """The coach's line: risk, level and every contributing factor with its value, largest first.

    >>> ind = Indicators(t=0.0, elapsed_s=2880.0, pace=287.0, temp=31.0, sweat_loss_pct=1.9, risk=0.62,
    ...                  level="high", pace_over_training=1.08,
    ...                  factors={"pace_over_training": 0.2, "heat": 0.1, "sweat_loss": 0.08,
    ...                           "duration": 0.05})
    >>> detail_for(ind, Profile(training_pace=310))
    'risk 0.62 (high): pace 8 % over training (4:47 vs 5:10/km), 31 °C, sweat loss 1.9 %, 48 min'
    """
    risk = _finite(ind.risk)
    head = f"risk {_num(risk if risk is not None else 0.0, 2)} ({ind.level})"
    items = sorted(((n, c) for n, c in contributions(ind).items() if c > 0), key=lambda nc: (-nc[1], nc[0]))
    if ind.acute_cramp and "acute_cramp" not in dict(items):
        items.insert(0, ("acute_cramp", 0.0))
    if not items:
        return f"{head}: no single factor stands out"
    return f"{head}: " + ", ".join(_describe(n, c, ind, profile) for n, c in items)


def advise(ind: Indicators, profile: Profile, level: AlertLevel, kind: str | None = None) -> Advice:
    """Kind (chosen from the factors unless given), message and detail for one alert."""
    chosen = kind if kind is not None else choose_kind(ind, level)
    return Advice(kind=chosen, message=message_for(chosen, ind, profile), detail=detail_for(ind, profile))

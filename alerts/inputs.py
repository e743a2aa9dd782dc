"""The numbers an alert speaks of: formats, the athlete's own values, targets (shared by the message and the
coach's detail)."""

from __future__ import annotations

import math
from typing import Final

from processors._util import fround
from processors.indicators import Indicators
from processors.profile import Profile

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


# ------------------------------------------------------------------------------------------- number formats


def finite(x: object) -> float | None:
    if x.__class__ is float:  # the usual case, first
        return x if x - x == 0.0 else None  # NaN and ±inf give NaN
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


def num(x: float, digits: int = 0) -> str:
    """Round for display; never shows ``-0``; ``?`` for a non-finite number."""
    if not math.isfinite(x):
        return "?"
    v = fround(x, digits)
    if v == 0:
        v = 0.0
    return f"{v:.{digits}f}"


# ------------------------------------------------------------------------------------------------ the inputs


def value_of(ind: Indicators, *names: str) -> float | None:
    """The first finite value among the typed indicator fields and ``ind.values`` under these names."""
    for name in names:
        v = finite(getattr(ind, name, None))
        if v is not None:
            return v
        v = finite(ind.values.get(name))
        if v is not None:
            return v
    return None


def contributions(ind: Indicators) -> dict[str, float]:
    """The finite factor contributions, rounded to 4 decimals (what an alert's ``factors`` carries)."""
    out: dict[str, float] = {}
    for name, c in ind.factors.items():
        v = finite(c)
        if v is not None:
            out[str(name)] = fround(v, 4)
    return out


def baseline_cadence(ind: Indicators) -> float | None:
    """The athlete's baseline cadence (steps/min) if the processors report one."""
    for key in BASELINE_CADENCE_KEYS:
        v = finite(ind.values.get(key))
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
    current = value_of(ind, "cadence")
    if current is not None and current <= 0:
        current = None
    base = baseline_cadence(ind)
    reference = base if base is not None else current
    if reference is None:
        return None
    target = finite(reference * CADENCE_STEP_UP)
    if target is None or (current is not None and current >= round(target)):
        return None
    return round(target)


def training_pace(ind: Indicators, profile: Profile) -> float | None:
    """The pace the runner is judged against (s/km): today's reference pace when the processors give one
    (``values["reference_pace_s_per_km"]``: the session's target pace, else the race pace on a race/tempo/interval
    day, else the training pace — issue 9.2), else the profile's training pace, else derived from
    ``pace_over_training``. So "ease the pace" on a tempo day eases toward the tempo target, not to an easy
    training pace.

    >>> ind = Indicators(t=0.0, elapsed_s=0.0, pace=262.0, values={"reference_pace_s_per_km": 270.0})
    >>> training_pace(ind, Profile(training_pace=330)), training_pace(Indicators(t=0.0, elapsed_s=0.0),
    ...                                                                 Profile(training_pace=330))
    (270.0, 330.0)
    """
    ref = finite(ind.values.get("reference_pace_s_per_km"))
    if ref is not None and ref > 0:
        return ref
    own = finite(profile.training_pace)
    if own is not None and own > 0:
        return own
    pace = value_of(ind, "pace")
    ratio = value_of(ind, "pace_over_training")
    if pace is not None and ratio is not None and ratio > 0:
        return finite(pace * ratio)  # ratio = training_pace / pace
    return None


def target_pace(ind: Indicators, profile: Profile) -> float | None:
    """The pace to ease to (s/km): the training pace when it is at least 5 % slower than now, else 5 % slower than
    now — an ease the runner can feel, never "ease to 6:25/km (now 6:23/km)".

    >>> prof = Profile(training_pace=385.0)
    >>> target_pace(Indicators(t=0.0, elapsed_s=0.0, pace=330.0), prof), round(target_pace(
    ...     Indicators(t=0.0, elapsed_s=0.0, pace=383.0), prof) or 0, 2)
    (385.0, 402.15)
    """
    pace = value_of(ind, "pace")
    train = training_pace(ind, profile)
    eased = finite(pace * EASE_PACE_FACTOR) if pace is not None and pace > 0 else None
    if train is not None and (eased is None or train >= eased):
        return train
    return eased

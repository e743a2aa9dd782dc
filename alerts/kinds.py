"""Which action a level alert asks for: each factor's kind, the kinds allowed now, the kind the factors point to and
the policy's sticky reason (split from :mod:`alerts.advice`, which re-exports all of it; the table of kinds and the
safety rules are in its docstring and in docs/alerts.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from alerts.alert import AlertLevel
from alerts.inputs import finite, value_of
from processors._util import ROUND_MAGIC, fround
from processors.indicators import Indicators

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
    "heat": "ease_pace",  # in the heat, slow down (ACSM); drinking follows thirst and the sweat loss itself
    "sweat_loss": "hydrate",
    "cardiac_drift": "ease_pace",  # the heart working harder at the same pace: ease off
    "cardiac": "ease_pace",  # the one cardiac factor (max of drift and decoupling)
    "monotony": "change_form",
    "gait_uniformity": "change_form",
    "acute_cramp": "stop_and_stretch",
}
#: Drink advice only from this estimated sweat loss (% body mass): about 2 % is where performance and heat
#: tolerance start to suffer; below it, thirst is guide enough (ACSM 2007; Hew-Butler et al. 2015).
HYDRATE_MIN_LOSS_PCT: Final = 2.0
#: Kinds that ask the runner to change how they run: only while running.
FORM_KINDS: Final = frozenset({"shorten_stride", "change_form"})
#: Tie-break between kinds whose factors contribute equally (first wins), and the fallback when no factor asks
#: for an action (``ease_pace``: easing off is safe whatever the cause).
KIND_PRIORITY: Final[tuple[str, ...]] = ("ease_pace", "shorten_stride", "hydrate", "change_form")
#: :func:`eligible_kinds` by (stride and form advice allowed, drink advice allowed), in KIND_PRIORITY order.
_ELIGIBLE: Final[Mapping[tuple[bool, bool], tuple[str, ...]]] = {
    (form, drink): tuple(k for k in KIND_PRIORITY if (form or k not in FORM_KINDS) and (drink or k != "hydrate"))
    for form in (False, True)
    for drink in (False, True)
}
#: The factors :func:`kind_scores` adds up: those whose kind is in :data:`KIND_PRIORITY`.
_SCORED_KIND: Final[Mapping[str, str]] = {f: k for f, k in KIND_OF_FACTOR.items() if k in KIND_PRIORITY}


def kind_scores(ind: Indicators) -> dict[str, float]:
    """Sum of positive contributions per action kind (acute cramp excluded: it is handled on its own): those of
    :func:`~alerts.inputs.contributions`, rounded only where a kind takes them. A plain float takes
    :func:`fround`'s own fast path inline (the same steps, the same bits); anything else goes through
    :func:`finite` and :func:`fround`."""
    scores = dict.fromkeys(KIND_PRIORITY, 0.0)
    for name, c in ind.factors.items():
        kind = _SCORED_KIND.get(name if name.__class__ is str else str(name))
        if kind is None:
            continue
        if c.__class__ is float and -2e9 < (y := c * 10000.0) < 2e9:  # finite, in fround's fast range
            r = (y + ROUND_MAGIC) - ROUND_MAGIC
            if -0.499999 < y - r < 0.499999:  # away from a tie: fround's result, r / 10⁴ (a zero adds nothing)
                if r > 0:
                    scores[kind] += r / 10000.0
                continue
        if (v := finite(c)) is not None and (v := fround(v, 4)) > 0:
            scores[kind] += v
    return scores


def running(ind: Indicators) -> bool:
    """Whether the athlete runs now (``gait_state``), so stride and form advice make sense."""
    return ind.gait_state == "running"


def eligible_kinds(ind: Indicators, level: AlertLevel, *, form: bool = True) -> tuple[str, ...]:
    """The kinds a level alert may ask for now, in :data:`KIND_PRIORITY` order: no stride or form advice unless
    running (nor when ``form`` is false: the policy's while after cramp signs); drink advice only at the advice
    level and from :data:`HYDRATE_MIN_LOSS_PCT` estimated sweat loss; a critical level without cramp signs only
    eases the pace.

    >>> walking = Indicators(t=0.0, elapsed_s=0.0, gait_state="walking", sweat_loss_pct=0.6)
    >>> eligible_kinds(walking, "advice")
    ('ease_pace',)
    >>> eligible_kinds(Indicators(t=0.0, elapsed_s=0.0, gait_state="running", sweat_loss_pct=2.1), "advice")
    ('ease_pace', 'shorten_stride', 'hydrate', 'change_form')
    """
    if level == "critical":
        return ("ease_pace",)
    drink = False
    if level == "advice":
        loss = value_of(ind, "sweat_loss_pct")
        drink = loss is not None and not loss < HYDRATE_MIN_LOSS_PCT
    return _ELIGIBLE[running(ind) if form else False, drink]


def choose_kind(ind: Indicators, level: AlertLevel, *, form: bool = True) -> str:
    """The action for this alert: ``stop_and_stretch`` on the acute cramp signature only; otherwise the eligible
    kind (:func:`eligible_kinds`) whose factors contribute most (ties and no actionable factor:
    :data:`KIND_PRIORITY` order, i.e. ``ease_pace``: easing off is safe whatever the cause).

    >>> ind = Indicators(t=0.0, elapsed_s=0.0, gait_state="running", sweat_loss_pct=2.4,
    ...                  factors={"heat": 0.1, "sweat_loss": 0.35, "pace_over_training": 0.2})
    >>> choose_kind(ind, "advice"), choose_kind(ind, "warning"), choose_kind(ind, "critical")
    ('hydrate', 'ease_pace', 'ease_pace')
    >>> choose_kind(Indicators(t=0.0, elapsed_s=0.0, acute_cramp=True), "critical")
    'stop_and_stretch'
    """
    if ind.acute_cramp:
        return "stop_and_stretch"
    return _best_kind(ind, level, form)[0]


def _best_kind(ind: Indicators, level: AlertLevel, form: bool) -> tuple[str, tuple[str, ...], dict[str, float]]:
    """The highest-scoring allowed kind (the first of equals), the allowed kinds and the scores."""
    allowed = eligible_kinds(ind, level, form=form)
    scores = kind_scores(ind)
    best = allowed[0]
    for kind in allowed:
        if scores[kind] > scores[best]:
            best = kind
    return best, allowed, scores


def sticky_kind(ind: Indicators, level: AlertLevel, *, form: bool, last: str | None, margin: float) -> str:
    """:func:`choose_kind`, kept to the episode's last reason ``last`` unless the new one outweighs it ``margin``
    times or ``last`` is no longer allowed (the policy's sticky reason, rule 6); one :func:`eligible_kinds` and one
    :func:`kind_scores` for both steps."""
    if ind.acute_cramp:
        return "stop_and_stretch"
    kind, allowed, scores = _best_kind(ind, level, form)
    if last is None or kind == last or last not in allowed:
        return kind
    if scores.get(last, 0.0) > 0 and scores.get(kind, 0.0) < margin * scores[last]:
        return last
    return kind

"""Risk level with hysteresis."""

from __future__ import annotations

from typing import Any

from processors.indicators import LEVELS, Level
from processors.registry import Context, Processor, register
from processors.risk import Risk

#: Risk at which each level is entered (index = level rank) and the margin below it at which it is left.
ENTER = (0.0, 0.25, 0.5, 0.75)
LEAVE_MARGIN = 0.10
#: A level's rank (its index in LEVELS) without LEVELS.index's call.
_RANK: dict[str, int] = {lv: i for i, lv in enumerate(LEVELS)}


def next_level(current: Level, risk: float, critical_ok: bool = True, cap: Level = "critical") -> Level:
    """The level after seeing ``risk``: up as soon as an enter threshold is reached, down only once the risk
    is ``LEAVE_MARGIN`` below the threshold of the current level (possibly several levels at once). The level
    never exceeds ``cap`` (the highest level the run's evidence allows: :func:`processors.risk.max_level`);
    without ``critical_ok`` it stops at "high".

    >>> next_level("low", 0.52), next_level("high", 0.42), next_level("high", 0.39)
    ('high', 'high', 'elevated')
    >>> next_level("critical", 0.1)
    'low'
    >>> next_level("high", 0.9, critical_ok=False), next_level("critical", 0.9, critical_ok=False)
    ('high', 'high')
    >>> next_level("high", 0.9, cap="elevated")
    'elevated'
    """
    # min/max and LEVELS.index written out (the same picks; a level that is not one raises as index does)
    ci, ri = _RANK.get(cap), _RANK.get(current)
    if ci is None or ri is None:
        ci, ri = LEVELS.index(cap), LEVELS.index(current)
    top = 3 if critical_ok else 2
    if ci < top:
        top = ci
    rank = top if top < ri else ri
    up = -1
    enter = ENTER  # read once a call (it may be set between calls; compiled, one module-dict lookup)
    for i in range(len(enter) - 1, -1, -1):  # the highest level whose threshold the risk reaches
        if risk >= enter[i]:
            up = i
            break
    if up < 0:
        raise ValueError("max() arg is an empty sequence")  # as max() over no level (a NaN risk)
    if top < up:
        up = top
    if up >= rank:
        return LEVELS[up]
    while rank > 0 and risk < enter[rank] - LEAVE_MARGIN:
        rank -= 1
    return LEVELS[rank]


class RiskLevel(Processor):
    """``level`` low / elevated / high / critical from the risk: entered at 0.25 / 0.50 / 0.75, left 0.10
    below (0.15 / 0.40 / 0.65), so a risk hovering at a border does not flap; never above what the run's own
    evidence allows (``Risk.max_level``: priors alone at most "elevated"). Stateful."""

    symbol = "level"
    name = "Risk level"
    units = "low|elevated|high|critical"
    source = "science.md (alert behaviour: hysteresis between levels)"
    depends = ("risk",)

    def __init__(self) -> None:
        self._level: Level = "low"

    def update(self, ctx: Context) -> None:
        r: Risk = ctx.results["risk"]
        self._level = next_level(self._level, r.risk, cap=r.max_level)

    def get(self) -> Level:
        return self._level

    def state_dict(self) -> dict[str, Any]:
        return {"level": self._level}

    def load_state(self, state: dict[str, Any]) -> None:
        lv = state.get("level", "low")
        self._level = lv if lv in LEVELS else "low"


register(RiskLevel)

"""Rule 5's repeat schedule, per kind (docs/alerts.md, "Rules"): how long the same advice waits before it is said
again. Pure, event time only; part of the policy's saved state."""

from __future__ import annotations

from collections.abc import Iterable

from alerts.advice import advice_number
from alerts.policy_config import PolicyConfig
from processors.indicators import Indicators
from processors.profile import Profile

#: kind -> (repeats since the schedule (re)started, the most the advice asked for since then: the highest cadence
#: target told or the slowest reference pace eased toward, :func:`~alerts.advice.advice_number`; None without one)
Said = tuple[int, float | None]


class RepeatSchedule:
    """Each kind's count of level alerts (any level: a warning says the same advice louder). Kept through
    escalations and short calm spells; :meth:`clear` after ``advice_clear_s`` at ``low``; a *changed* advice
    (:meth:`changed`) starts its schedule again.

    >>> from processors.indicators import Indicators
    >>> from processors.profile import Profile
    >>> cfg, prof = PolicyConfig(), Profile(training_pace=310)
    >>> ind = Indicators(t=0.0, elapsed_s=0.0, pace=290.0)
    >>> s = RepeatSchedule()
    >>> s.wait("ease_pace", ind, prof, cfg, cfg.advice_repeat_s)
    300.0
    >>> for _ in range(3):
    ...     s.note("ease_pace", ind, prof, cfg)
    >>> s.said["ease_pace"], s.wait("ease_pace", ind, prof, cfg, cfg.advice_repeat_s)
    ((2, 310.0), 1200.0)
    >>> eased = Indicators(t=0.0, elapsed_s=0.0, pace=340.0)  # eased past 5:10/km: the same advice, not a new one
    >>> s.changed("ease_pace", eased, prof, cfg), s.wait("ease_pace", eased, prof, cfg, cfg.advice_repeat_s)
    (False, 1200.0)
    >>> easier_plan = Indicators(t=0.0, elapsed_s=0.0, pace=300.0, values={"reference_pace_s_per_km": 330.0})
    >>> s.changed("ease_pace", easier_plan, prof, cfg), s.wait("ease_pace", easier_plan, prof, cfg, 900.0)
    (True, 300.0)
    """

    def __init__(self, said: Iterable[tuple[str, Said]] = ()) -> None:
        self.said: dict[str, Said] = dict(said)

    def clear(self) -> None:
        self.said.clear()

    def changed(self, kind: str, ind: Indicators, profile: Profile, cfg: PolicyConfig) -> bool:
        """Whether an advice of ``kind`` now is a new one: not said since the schedule was cleared, or its number
        asks for ``advice_change`` more than any told since the schedule started (a quicker cadence target, a
        slower reference pace). A number that merely wobbles (the cadence target follows the speed) is not a new
        advice, nor a runner who eased past the pace told (the message then names a pace 5 % slower than now, but
        the 10-minute means have not caught up yet); a risen risk is the level's business (an escalation goes at
        once)."""
        said = self.said.get(kind)
        if said is None:
            return True
        told = said[1]
        now = advice_number(kind, ind, profile)
        return told is not None and now is not None and now >= told * (1.0 + cfg.advice_change)

    def wait(self, kind: str, ind: Indicators, profile: Profile, cfg: PolicyConfig, base: float) -> float:
        """The wait after the kind's last alert before it may repeat: ``base`` · ``repeat_backoff``^repeats, at
        most ``max_cooldown_s`` (never less than ``base`` nor ``cooldown_s``); ``cooldown_s`` for a changed one."""
        said = self.said.get(kind)
        if said is None or self.changed(kind, ind, profile, cfg):
            return cfg.cooldown_s
        wait = base * cfg.repeat_backoff ** min(said[0], 32)
        return max(cfg.cooldown_s, min(max(cfg.max_cooldown_s, base), wait))

    def note(self, kind: str, ind: Indicators, profile: Profile, cfg: PolicyConfig) -> None:
        """Count a level alert of ``kind`` sent now; a changed advice starts the count again."""
        said = self.said.get(kind)
        number = advice_number(kind, ind, profile)
        if said is None or self.changed(kind, ind, profile, cfg):
            self.said[kind] = (0, number)
            return
        told = said[1] if number is None else number if said[1] is None else max(said[1], number)
        self.said[kind] = (said[0] + 1, told)

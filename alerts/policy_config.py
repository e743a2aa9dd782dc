"""Every timing and threshold of the alert policy (one frozen dataclass; see :mod:`alerts.policy`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

LevelSource = Literal["processor", "risk"]


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """Every timing and threshold of the alert policy (seconds are event-time seconds).

    >>> PolicyConfig().debounce_s
    25.0
    """

    #: No advice/warning before this much of the session has passed (critical passes).
    warmup_s: float = 600.0
    #: The level must hold on consecutive ticks this long before an advice/warning fires (5 s ticks: 6 ticks).
    debounce_s: float = 25.0
    #: The same for critical (3 ticks): short, because it is critical, but never a single tick.
    critical_debounce_s: float = 10.0
    #: A longer gap between ticks breaks "consecutive" (two missed 5 s ticks are tolerated).
    max_tick_gap_s: float = 15.0
    #: Per kind: no repeat sooner than this; escalation bypasses it.
    cooldown_s: float = 300.0
    #: An advice's first repeat waits this long: the factors it acts on are 10-min means (pace, HR reserve,
    #: decoupling), so a runner who complied at once shows it only after about 10 min ...
    advice_repeat_s: float = 900.0
    #: ... and each further unacknowledged repeat of an advice waits this many times longer ...
    repeat_backoff: float = 2.0
    #: ... up to this.
    max_cooldown_s: float = 1200.0
    #: An advice's repeat schedule is kept through escalations and short calm spells; it restarts only once the
    #: level has been low this long (the episode is truly over) ...
    advice_clear_s: float = 1200.0
    #: ... or when the advice has changed: its number asks for this much more than told since the schedule started
    #: (a cadence target this fraction higher, a reference pace this fraction slower: not the runner's own easing).
    advice_change: float = 0.05
    #: A warning/critical repeat (not an escalation) needs the risk this much above the kind's last alert ...
    alarm_repeat_rise: float = 0.20
    #: ... or this long since that alert (a reminder of a risk that stays high).
    alarm_reminder_s: float = 1800.0
    #: Between two non-escalating advice/warning alerts of any kind.
    min_gap_s: float = 60.0
    #: A new kind replaces the episode's last one only when its factors weigh this many times more.
    kind_margin: float = 1.5
    #: At most ``cap`` alerts per ``cap_window_s`` per athlete (critical always passes).
    cap: int = 4
    cap_window_s: float = 600.0
    #: Acknowledgements are forgotten after the level has been low this long.
    ack_clear_s: float = 300.0
    #: An acute cramp signature absent this long counts as a new cramp when it returns.
    acute_rearm_s: float = 60.0
    #: After cramp signs end, this long without stride or form advice: the runner may still limp, and a limp's
    #: cadence and stride are the cramp's, not a form fault (easing the pace is what an alert then asks for).
    post_cramp_s: float = 1200.0
    #: Drink advice at most once per this long (ACSM / IMMDA: sparing; drink to thirst).
    hydrate_every_s: float = 1200.0
    #: ... and only once the estimated sweat loss has grown this much (% body mass) since the last one.
    hydrate_step_pct: float = 0.5
    #: ``"processor"``: use ``ind.level``; ``"risk"``: own hysteresis on ``ind.risk`` (below).
    level_source: LevelSource = "processor"
    #: Risk thresholds entering advice, warning, critical (``level_source="risk"`` only); the same numbers as
    #: the processors' level (entered at 0.25 / 0.50 / 0.75).
    thresholds: tuple[float, float, float] = (0.25, 0.50, 0.75)
    #: A level is left only when the risk falls this far below its threshold (the processors' level: 0.10).
    hysteresis: float = 0.05
    #: The risk the own hysteresis sees: the mean over ticks this recent (5 ticks).
    risk_mean_s: float = 20.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and (not math.isfinite(value) or value < 0):
                raise ValueError(f"PolicyConfig.{f.name} must be a finite number >= 0, got {value!r}")
        if self.cap < 0:
            raise ValueError("PolicyConfig.cap must be >= 0")
        if self.level_source not in ("processor", "risk"):
            raise ValueError(f"PolicyConfig.level_source: 'processor' or 'risk', not {self.level_source!r}")
        if list(self.thresholds) != sorted(self.thresholds) or len(self.thresholds) != 3:
            raise ValueError("PolicyConfig.thresholds must be three increasing risks")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["thresholds"] = list(self.thresholds)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyConfig:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        if "thresholds" in kwargs:
            a, b, c = (float(x) for x in kwargs["thresholds"])
            kwargs["thresholds"] = (a, b, c)
        return cls(**kwargs)

"""When to speak: the per-athlete, per-session alert policy (pure: no I/O, no clock, no asyncio).

:meth:`AlertPolicy.update` is called with each tick's :class:`~processors.indicators.Indicators` (every 5 s of
event time) and returns the alerts to send now — usually none. All timing is on event time (``ind.t``), so a
replay at any speed gives the same alerts with the same ids.

The rules, each told in full with its numbers in docs/alerts.md ("When: the policy", "Rules"); every number is
a :class:`PolicyConfig` field:

1. **Level**: ``elevated`` → advice, ``high`` → warning, ``critical`` → critical (or the policy's own
   hysteresis on the mean risk, ``level_source="risk"``).
2. **Debounce**: a level counts after ``debounce_s`` (``critical_debounce_s``) of consecutive ticks at or above
   it; a gap longer than ``max_tick_gap_s`` or a ``lost`` signal restarts the count.
3. **Warm-up**: no advice or warning before ``warmup_s``.
4. **Escalation** above the episode's highest level bypasses the cool-down and the gap.
5. **Cool-down** per kind (``cooldown_s``); an advice repeats ×``repeat_backoff`` later each time, at most
   ``max_cooldown_s``, a schedule kept through escalations and short calm spells (restarted after
   ``advice_clear_s`` at ``low``, or when the advice changed: ``advice_change``); alarm repeats need news: a rise
   of ``alarm_repeat_rise``, or ``alarm_reminder_s`` since the last alarm.
6. **Sticky reason** (``kind_margin``); 7. **step down**: no lower alert while a higher one stands;
   8. **minimum gap** ``min_gap_s``; 9. **acknowledgements** (forgotten after ``ack_clear_s`` of ``low``);
   10. **cap** (``cap`` per ``cap_window_s``, critical always passes).
11. **Acute cramp**: ``stop_and_stretch`` at once, and only then; no stride or form advice for ``post_cramp_s``
    after; 12. **red flags**: a coach-only ``medical``.
13. **Gait and signal**: no level alert while walking or stopped (an ``unknown`` gait counts as the last gait
    known) nor on a ``stale`` signal; stride and form advice need ``running``.
14. **Drink advice** on its own schedule (``hydrate_every_s``, ``hydrate_step_pct``), advice level only.
15. At most one alert per tick; ticks that do not move event time forward are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from alerts.advice import HYDRATE_MIN_LOSS_PCT, advise, sticky_kind
from alerts.alert import ALERT_LEVELS, Alert, AlertLevel, alert_id
from alerts.inputs import contributions
from alerts.policy_config import LevelSource, PolicyConfig
from alerts.policy_flags import CrampAndFlagRules
from alerts.policy_state import STATE_VERSION, dump, load, saved_profile
from alerts.repeats import RepeatSchedule
from processors._util import fround
from processors.indicators import LEVELS, Indicators
from processors.profile import Profile

#: Alert levels by rank (0 = no alert).
_RANK_NAME: Final[tuple[AlertLevel | None, ...]] = (None, *ALERT_LEVELS)
#: The processors' level as an alert rank (``LEVELS.index``; any other level: 0).
_LEVEL_RANK: Final[dict[str, int]] = {level: rank for rank, level in enumerate(LEVELS)}
#: How many acknowledged/issued ids a policy remembers for :meth:`AlertPolicy.ack`.
KNOWN_IDS: Final = 256
#: Gait states in which no level alert is sent: the runner has already eased off (walk break, light, stop).
RESTING: Final = frozenset({"walking", "stopped"})

__all__ = ["AlertPolicy", "LevelSource", "PolicyConfig"]


class AlertPolicy(CrampAndFlagRules):
    """Decides, tick by tick, which alerts one athlete gets in one session. See the module docstring.

    >>> from processors.indicators import Indicators
    >>> from processors.profile import Profile
    >>> policy = AlertPolicy(squad="s", athlete="a", session_start=0.0, profile=Profile())
    >>> ticks = [Indicators(t=float(t), elapsed_s=float(t), risk=0.5, level="elevated", factors={"heat": 0.2},
    ...                     gait_state="running") for t in range(600, 700, 5)]
    >>> alerts = [a for ind in ticks for a in policy.update(ind)]
    >>> [(a.t, a.kind, a.level, a.message) for a in alerts]
    [(625.0, 'ease_pace', 'advice', 'Ease the pace until you can talk in full sentences')]
    >>> policy.ack(alerts[0].id)
    True
    """

    def __init__(
        self,
        *,
        squad: str,
        athlete: str,
        session_start: float,
        profile: Profile,
        config: PolicyConfig | None = None,
    ) -> None:
        self.squad = squad
        self.athlete = athlete
        self.session_start = float(session_start)
        self.profile = profile
        self.config = config if config is not None else PolicyConfig()
        self._last_t: float | None = None
        #: first tick time of the current run at/above each alert rank (index 1..3; 0 unused)
        self._since: list[float | None] = [None, None, None, None]
        self._risk_rank = 0  # own hysteresis state (level_source="risk")
        self._risks: list[tuple[float, float]] = []  # (t, risk) of recent ticks, for the trailing mean
        self._low_since: float | None = None
        self._acute_on = False
        self._acute_off_since: float | None = None
        self._last_by_kind: dict[str, float] = {}
        self._history: list[tuple[float, str, int]] = []  # (t, kind, rank) of sent alerts, recent only
        self._acked: dict[str, int] = {}  # kind -> highest acknowledged rank
        self._repeats = RepeatSchedule()  # per kind: how soon the same advice may be said again
        self._episode_max = 0  # highest rank sent in this episode (the reference for escalation)
        self._last_kind: str | None = None  # kind of the episode's last advice/warning (sticky reason)
        self._under_since: float | None = None  # since when the debounced rank is below it
        self._known: dict[str, tuple[str, int]] = {}  # alert id -> (kind, rank)
        self._flag: str | None = None  # the red flag reported last (a new reason is a new medical alert)
        self._alarm_at: dict[int, float] = {}  # rank (2, 3) -> time of the last level alarm of that rank
        self._alarm_risk = 0.0  # the risk at the last level alarm (warning/critical of any kind)
        self._drink_loss = 0.0  # the estimated sweat loss (%) at the last drink advice
        self._gait = "unknown"  # the last known gait state (an "unknown" one counts as this)

    # ------------------------------------------------------------------------------------------------ public

    def update(self, ind: Indicators) -> list[Alert]:
        """Feed one tick's indicators; returns the alerts to send now (at most one)."""
        t = float(ind.t)
        if not math.isfinite(t) or (self._last_t is not None and t <= self._last_t):
            return []
        cfg = self.config
        if self._last_t is not None and t - self._last_t > cfg.max_tick_gap_s:
            self._since = [None, None, None, None]
            self._risks = []
        self._last_t = t
        if self._history:
            self._trim(t)
        if ind.gait_state != "unknown":
            self._gait = ind.gait_state

        if ind.signal == "lost":
            # no data, no decision: the debounce restarts once data returns
            self._since = [None, None, None, None]
            self._risks = []
            return []

        rank = _LEVEL_RANK.get(ind.level, 0) if cfg.level_source == "processor" else self._tick_rank(ind)
        since = self._since
        if rank:
            for r in range(1, rank + 1):
                if since[r] is None:
                    since[r] = t
            for r in range(rank + 1, 4):
                since[r] = None
        else:
            since[1] = since[2] = since[3] = None
        if rank == 0 and not ind.acute_cramp:
            if self._low_since is None:
                self._low_since = t
            if t - self._low_since >= cfg.ack_clear_s:  # the episode is over
                self._acked.clear()
                self._last_kind = None
            if t - self._low_since >= cfg.advice_clear_s:  # calm for long enough: advice is news again
                self._repeats.clear()
        else:
            self._low_since = None

        debounced = self._debounced_rank(t) if rank else 0  # no rank now: every run (since) was just reset
        if debounced >= self._episode_max:
            self._under_since = None  # _track_episode's first case, inline (most ticks)
        else:
            self._track_episode(t, debounced)
        if ind.red_flag:
            medical = self._medical(ind, t)
            if medical is not None:  # a red flag goes first; the runner's alert follows on the next tick
                return [medical]
        else:
            self._flag = None  # _medical without a red flag
        if ind.acute_cramp or self._acute_on:
            acute = self._acute(ind, t)
            if ind.acute_cramp:  # while a cramp is on, nothing but stop_and_stretch
                return [acute] if acute is not None else []
        sent = self._by_level(ind, t, debounced) if debounced else None
        if sent is None:
            loss = ind.sweat_loss_pct  # _drink's first test, the part that holds back most ticks, inline
            if loss is not None and loss >= HYDRATE_MIN_LOSS_PCT:
                sent = self._drink(ind, t)
        return [sent] if sent is not None else []

    def ack(self, alert_id: str) -> bool:
        """Acknowledge an alert: no more alerts of its kind at or below its level. False for an unknown id."""
        known = self._known.get(alert_id)
        if known is None:
            return False
        kind, rank = known
        self._acked[kind] = max(self._acked.get(kind, 0), rank)
        return True

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue after a restart, as JSON-serialisable values."""
        return dump(self)

    @classmethod
    def from_state(
        cls,
        state: Mapping[str, Any],
        *,
        profile: Profile | None = None,
        config: PolicyConfig | None = None,
    ) -> AlertPolicy:
        """Rebuild a policy from :meth:`state_dict` output; ``profile``/``config`` override the saved ones."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported alert policy state version {state.get('version')!r}")
        policy = cls(
            squad=str(state["squad"]),
            athlete=str(state["athlete"]),
            session_start=float(state["session_start"]),
            profile=profile if profile is not None else saved_profile(state.get("profile") or {}),
            config=config if config is not None else PolicyConfig.from_dict(state.get("config", {})),
        )
        load(policy, state)
        return policy

    # ----------------------------------------------------------------------------------------------- private

    def _tick_rank(self, ind: Indicators) -> int:
        """This tick's alert rank before debouncing (0 none, 1 advice, 2 warning, 3 critical)."""
        cfg = self.config
        if cfg.level_source == "processor":
            return LEVELS.index(ind.level) if ind.level in LEVELS else 0
        t = float(ind.t)
        latest = float(ind.risk)
        if math.isfinite(latest):
            self._risks.append((t, latest))
        self._risks = [(u, r) for u, r in self._risks if t - u < cfg.risk_mean_s]
        if not self._risks:
            return self._risk_rank
        risk = sum(r for _, r in self._risks) / len(self._risks)
        rank = self._risk_rank
        while rank < 3 and risk >= cfg.thresholds[rank]:
            rank += 1
        while rank > 0 and risk < cfg.thresholds[rank - 1] - cfg.hysteresis:
            rank -= 1
        self._risk_rank = rank
        return rank

    def _debounced_rank(self, t: float) -> int:
        cfg = self.config
        _, one, two, three = self._since
        if three is not None and t - three >= cfg.critical_debounce_s:
            return 3
        if two is not None and t - two >= cfg.debounce_s:
            return 2
        return 1 if one is not None and t - one >= cfg.debounce_s else 0

    def _trim(self, t: float) -> None:
        """Forget the sent alerts older than the cool-down and the cap window. The history is oldest first (sent
        in event time order; a saved one is loaded sorted), so while its oldest is kept, all are: no rebuild."""
        keep = max(self.config.cooldown_s, self.config.cap_window_s)
        if t - self._history[0][0] >= keep:
            self._history = [h for h in self._history if t - h[0] < keep]

    def _track_episode(self, t: float, rank: int) -> None:
        """Lower the escalation reference once the level has stayed below it for ``cooldown_s``."""
        if rank >= self._episode_max:
            self._under_since = None
        elif self._under_since is None:
            self._under_since = t
        elif t - self._under_since >= self.config.cooldown_s:
            self._episode_max = rank
            self._under_since = None

    def _by_level(self, ind: Indicators, t: float, rank: int) -> Alert | None:
        cfg = self.config
        if rank == 0:
            return None
        critical = rank == 3
        if not critical and t - self.session_start < cfg.warmup_s:
            return None
        if self._gait in RESTING or ind.signal != "ok":
            return None  # walking or stopped: already eased off; stale: the gait and the numbers are out of date
        # Every gate below is pure and only returns None, so their order changes no result: the ones that do not
        # depend on the kind go first, and a tick they hold back (most ticks at a level) scores no kinds.
        cooldown, window = cfg.cooldown_s, cfg.cap_window_s
        newest, in_window = None, 0  # the latest alert within cooldown_s; how many within cap_window_s
        for sent_t, _, sent_rank in self._history:  # one pass for three gates
            age = t - sent_t
            if age < cooldown:
                if sent_rank > rank:
                    return None  # a higher alert still stands
                if newest is None or sent_t > newest:
                    newest = sent_t
            if age < window:
                in_window += 1
        escalation = 0 < self._episode_max < rank
        risen = rank >= 2 and self._risen(ind)
        if rank >= 2 and rank <= self._standing_alarm(t):
            if not risen:
                return None  # an alarm at this level or higher still stands and the risk has not risen: no news
            escalation = False
        if not critical:
            if not escalation and newest is not None and t - newest < cfg.min_gap_s:
                return None
            if in_window >= cfg.cap:
                return None
        level = _RANK_NAME[rank]
        assert level is not None
        form = not self._after_cramp(t)  # after cramp signs: no stride or form advice (rule 11)
        kind = sticky_kind(ind, level, form=form, last=self._last_kind, margin=cfg.kind_margin)  # rule 6
        if self._acked.get(kind, 0) >= rank:
            return None
        if kind == "hydrate":
            return None  # the level's top factor is the sweat loss: drink advice keeps one schedule (_drink)
        last = self._last_by_kind.get(kind)
        if rank == 1 or not (escalation or risen):  # a repeat (an advice, an alarm's reminder): the kind's schedule
            base = cfg.advice_repeat_s if rank == 1 else cfg.cooldown_s
            if last is not None and t - last < self._repeats.wait(kind, ind, self.profile, cfg, base):
                return None
        elif not escalation and any(h[1] == kind and h[2] >= 2 and t - h[0] < cooldown for h in self._history):
            return None  # a risen risk: 5 min after the kind's last alarm (an advice never holds it)
        self._repeats.note(kind, ind, self.profile, cfg)
        return self._emit(ind, t, kind, rank)

    def _drink(self, ind: Indicators, t: float) -> Alert | None:
        """Drink advice on its own schedule (the level's top factor rarely is the sweat loss): advice level, once
        the estimated sweat loss reaches :data:`~alerts.advice.HYDRATE_MIN_LOSS_PCT`, then at most once per
        ``hydrate_every_s`` and only after a further ``hydrate_step_pct`` of loss; never while a warning or
        critical stands (``cooldown_s``), never inside ``min_gap_s`` of another alert, never in the warm-up, and
        like every level alert not while walking or stopped, nor on a stale signal."""
        cfg = self.config
        loss = ind.sweat_loss_pct
        if loss is None or not math.isfinite(loss) or loss < HYDRATE_MIN_LOSS_PCT or self._acked.get("hydrate"):
            return None
        if t - self.session_start < cfg.warmup_s or self._gait in RESTING or ind.signal != "ok":
            return None
        last = self._last_by_kind.get("hydrate")
        if last is not None and (t - last < cfg.hydrate_every_s or loss < self._drink_loss + cfg.hydrate_step_pct):
            return None
        recent = [h for h in self._history if t - h[0] < cfg.cooldown_s]
        if any(h[2] >= 2 for h in recent) or any(t - h[0] < cfg.min_gap_s for h in recent):
            return None
        if sum(1 for h in self._history if t - h[0] < cfg.cap_window_s) >= cfg.cap:
            return None
        self._drink_loss = float(loss)
        return self._emit(ind, t, "hydrate", 1)

    def _after_cramp(self, t: float) -> bool:
        """Whether cramp signs are on or ended less than ``post_cramp_s`` ago."""
        off = self._acute_off_since
        return self._acute_on or (off is not None and t - off < self.config.post_cramp_s)

    def _standing_alarm(self, t: float) -> int:
        """The highest warning/critical rank sent (any kind) within ``alarm_reminder_s``: it still stands."""
        window, top = self.config.alarm_reminder_s, None
        for r, at in self._alarm_at.items():  # max(..., default=0), without a generator
            if t - at < window and (top is None or r > top):
                top = r
        return 0 if top is None else top

    def _risen(self, ind: Indicators) -> bool:
        """Whether the risk has risen by ``alarm_repeat_rise`` since the last warning/critical of any kind."""
        risk = float(ind.risk)
        return math.isfinite(risk) and risk >= self._alarm_risk + self.config.alarm_repeat_rise

    def _emit(self, ind: Indicators, t: float, kind: str, rank: int) -> Alert:
        level = _RANK_NAME[rank]
        assert level is not None
        factors = contributions(ind)
        advice = advise(ind, self.profile, level, kind=kind, factors=factors)
        aid = alert_id(self.squad, self.athlete, self.session_start, kind, level, t)
        risk = float(ind.risk) if math.isfinite(float(ind.risk)) else 0.0
        alert = Alert(
            id=aid,
            t=t,
            squad=self.squad,
            athlete=self.athlete,
            level=level,
            kind=kind,
            risk=fround(risk, 4),
            message=advice.message,
            detail=advice.detail,
            factors=factors,
        )
        self._last_by_kind[kind] = t
        self._history.append((t, kind, rank))
        self._episode_max = max(self._episode_max, rank)
        if kind not in ("stop_and_stretch", "medical"):
            self._last_kind = kind
            if rank >= 2:
                self._alarm_at[rank] = t
                self._alarm_risk = risk
        self._known[aid] = (kind, rank)
        while len(self._known) > KNOWN_IDS:
            del self._known[next(iter(self._known))]
        return alert

"""The alert policy's per-tick steps as they were before the fast paths (main at 254bef2), for the equivalence
tests: :class:`ReferencePolicy` is :class:`~alerts.policy.AlertPolicy` with those steps put back — every gate of a
level alert in its old order (the kind chosen first), the kind scored twice (choose, then keep sticky), the sent
history rebuilt every tick, every step of a tick called (none inline, none skipped)."""

from __future__ import annotations

import math

from alerts.advice import (
    FORM_KINDS,
    HYDRATE_MIN_LOSS_PCT,
    KIND_OF_FACTOR,
    KIND_PRIORITY,
    choose_kind,
    eligible_kinds,
    kind_scores,
)
from alerts.alert import Alert, AlertLevel
from alerts.inputs import finite, value_of
from alerts.policy import _RANK_NAME, AlertPolicy
from processors._util import fround
from processors.indicators import LEVELS, Indicators


class ReferencePolicy(AlertPolicy):
    """The old computation of every step the fast paths replaced."""

    def update(self, ind: Indicators) -> list[Alert]:
        t = float(ind.t)
        if not math.isfinite(t) or (self._last_t is not None and t <= self._last_t):
            return []
        cfg = self.config
        if self._last_t is not None and t - self._last_t > cfg.max_tick_gap_s:
            self._since = [None, None, None, None]
            self._risks = []
        self._last_t = t
        self._trim(t)
        if ind.gait_state != "unknown":
            self._gait = ind.gait_state

        if ind.signal == "lost":
            # no data, no decision: the debounce restarts once data returns
            self._since = [None, None, None, None]
            self._risks = []
            return []

        rank = self._tick_rank(ind)
        for r in (1, 2, 3):
            if rank >= r:
                if self._since[r] is None:
                    self._since[r] = t
            else:
                self._since[r] = None
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

        debounced = self._debounced_rank(t)
        self._track_episode(t, debounced)
        medical = self._medical(ind, t)
        if medical is not None:  # a red flag goes first; the runner's alert follows on the next tick
            return [medical]
        if ind.acute_cramp or self._acute_on:
            acute = self._acute(ind, t)
            if ind.acute_cramp:  # while a cramp is on, nothing but stop_and_stretch
                return [acute] if acute is not None else []
        sent = self._by_level(ind, t, debounced)
        if sent is None:
            sent = self._drink(ind, t)
        return [sent] if sent is not None else []

    def _debounced_rank(self, t: float) -> int:
        cfg = self.config
        for r in (3, 2, 1):
            since = self._since[r]
            hold = cfg.critical_debounce_s if r == 3 else cfg.debounce_s
            if since is not None and t - since >= hold:
                return r
        return 0

    def _standing_alarm(self, t: float) -> int:
        window = self.config.alarm_reminder_s
        return max((r for r, at in self._alarm_at.items() if t - at < window), default=0)

    def _trim(self, t: float) -> None:
        keep = max(self.config.cooldown_s, self.config.cap_window_s)
        self._history = [h for h in self._history if t - h[0] < keep]

    def _tick_rank(self, ind: Indicators) -> int:
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

    def _sticky(self, kind: str, ind: Indicators, level: AlertLevel, form: bool) -> str:
        last = self._last_kind
        allowed = eligible_kinds(ind, level, form=form)
        if last is None or kind == last or kind == "stop_and_stretch" or last not in allowed:
            return kind
        scores = kind_scores(ind)
        if scores.get(last, 0.0) > 0 and scores.get(kind, 0.0) < self.config.kind_margin * scores[last]:
            return last
        return kind

    def _by_level(self, ind: Indicators, t: float, rank: int) -> Alert | None:
        cfg = self.config
        if rank == 0:
            return None
        critical = rank == 3
        if not critical and t - self.session_start < cfg.warmup_s:
            return None
        if self._gait in {"walking", "stopped"} or ind.signal != "ok":
            return None
        level = _RANK_NAME[rank]
        assert level is not None
        form = not self._after_cramp(t)
        kind = self._sticky(choose_kind(ind, level, form=form), ind, level, form)
        if self._acked.get(kind, 0) >= rank:
            return None
        if kind == "hydrate":
            return None
        recent = [h for h in self._history if t - h[0] < cfg.cooldown_s]
        if any(h[2] > rank for h in recent):
            return None
        escalation = 0 < self._episode_max < rank
        risen = rank >= 2 and self._risen(ind)
        if rank >= 2 and rank <= self._standing_alarm(t):
            if not risen:
                return None
            escalation = False
        last = self._last_by_kind.get(kind)
        if rank == 1 or not (escalation or risen):
            base = cfg.advice_repeat_s if rank == 1 else cfg.cooldown_s
            if last is not None and t - last < self._repeats.wait(kind, ind, self.profile, cfg, base):
                return None
        elif not escalation and any(h[1] == kind and h[2] >= 2 for h in recent):
            return None
        if not critical:
            if not escalation and recent and t - max(h[0] for h in recent) < cfg.min_gap_s:
                return None
            in_window = sum(1 for h in self._history if t - h[0] < cfg.cap_window_s)
            if in_window >= cfg.cap:
                return None
        self._repeats.note(kind, ind, self.profile, cfg)
        return self._emit(ind, t, kind, rank)


def reference_kind_scores(ind: Indicators) -> dict[str, float]:
    """kind_scores as it was: :func:`~alerts.inputs.finite` and :func:`~processors._util.fround` on every factor."""
    scores = dict.fromkeys(KIND_PRIORITY, 0.0)
    for name, c in ind.factors.items():
        kind = KIND_OF_FACTOR.get(str(name))
        if kind in scores and (v := finite(c)) is not None and (v := fround(v, 4)) > 0:
            scores[kind] += v
    return scores


def reference_eligible_kinds(ind: Indicators, level: str, *, form: bool = True) -> tuple[str, ...]:
    """eligible_kinds as it was: a loop over the kinds."""
    if level == "critical":
        return ("ease_pace",)
    out = []
    for kind in KIND_PRIORITY:
        if kind in FORM_KINDS and not (form and ind.gait_state == "running"):
            continue
        if kind == "hydrate":
            loss = value_of(ind, "sweat_loss_pct")
            if level != "advice" or loss is None or loss < HYDRATE_MIN_LOSS_PCT:
                continue
        out.append(kind)
    return tuple(out)

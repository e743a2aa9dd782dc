"""Rules 11 and 12 of the alert policy (docs/alerts.md): the acute cramp's ``stop_and_stretch`` and the red flag's
coach-only ``medical`` alert, as a base class of :class:`~alerts.policy.AlertPolicy` (which holds the state and
sends the alert: :meth:`_emit`); split from alerts/policy.py to keep each file short."""

from __future__ import annotations

from alerts.alert import Alert
from alerts.policy_config import PolicyConfig
from processors.indicators import Indicators


class CrampAndFlagRules:
    """The acute cramp and red flag rules; the state they use is the policy's (declared here for the types)."""

    config: PolicyConfig
    _acute_on: bool
    _acute_off_since: float | None
    _acked: dict[str, int]
    _last_by_kind: dict[str, float]
    _flag: str | None

    def _emit(self, ind: Indicators, t: float, kind: str, rank: int) -> Alert:
        raise NotImplementedError  # AlertPolicy._emit

    def _acute(self, ind: Indicators, t: float) -> Alert | None:
        cfg = self.config
        if not ind.acute_cramp:
            if self._acute_on:
                self._acute_on = False
                self._acute_off_since = t
            return None
        new_cramp = not self._acute_on and (
            self._acute_off_since is None or t - self._acute_off_since >= cfg.acute_rearm_s
        )
        self._acute_on = True
        self._acute_off_since = None
        kind = "stop_and_stretch"
        if new_cramp:
            self._acked.pop(kind, None)
            return self._emit(ind, t, kind, 3)
        last = self._last_by_kind.get(kind)
        if self._acked.get(kind, 0) >= 3 or (last is not None and t - last < cfg.cooldown_s):
            return None
        return self._emit(ind, t, kind, 3)

    def _medical(self, ind: Indicators, t: float) -> Alert | None:
        """A coach-only critical ``medical`` alert on a red flag: at once when it appears (or its reason changes),
        then every ``cooldown_s`` while it persists, unless acknowledged. No warm-up, debounce or cap."""
        flag = ind.red_flag
        if not flag:
            self._flag = None
            return None
        kind = "medical"
        if flag != self._flag:
            self._flag = flag
            self._acked.pop(kind, None)
            return self._emit(ind, t, kind, 3)
        last = self._last_by_kind.get(kind)
        if self._acked.get(kind, 0) >= 3 or (last is not None and t - last < self.config.cooldown_s):
            return None
        return self._emit(ind, t, kind, 3)

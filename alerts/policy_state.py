"""The alert policy's state as JSON-serialisable values (:meth:`AlertPolicy.state_dict` and
:meth:`AlertPolicy.from_state`): a restarted or taken-over monitor continues an athlete's alerts exactly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Final

from alerts.repeats import RepeatSchedule
from processors.profile import Profile

if TYPE_CHECKING:
    from alerts.policy import AlertPolicy

#: Version of the saved state; another version is refused by :meth:`AlertPolicy.from_state`.
STATE_VERSION: Final = 1


def dump(policy: AlertPolicy) -> dict[str, Any]:
    """Every field of ``policy`` (its profile and config included) as JSON-serialisable values."""
    return {
        "version": STATE_VERSION,
        "squad": policy.squad,
        "athlete": policy.athlete,
        "session_start": policy.session_start,
        "profile": policy.profile.to_dict(),
        "config": policy.config.to_dict(),
        "last_t": policy._last_t,
        "since": list(policy._since),
        "risk_rank": policy._risk_rank,
        "risks": [[t, r] for t, r in policy._risks],
        "low_since": policy._low_since,
        "acute_on": policy._acute_on,
        "acute_off_since": policy._acute_off_since,
        "last_by_kind": dict(policy._last_by_kind),
        "history": [[t, kind, rank] for t, kind, rank in policy._history],
        "acked": dict(policy._acked),
        "said": [[kind, n, told] for kind, (n, told) in policy._repeats.said.items()],
        "episode_max": policy._episode_max,
        "last_kind": policy._last_kind,
        "under_since": policy._under_since,
        "known": [[aid, kind, rank] for aid, (kind, rank) in policy._known.items()],
        "flag": policy._flag,
        "alarm_at": [[r, at] for r, at in policy._alarm_at.items()],
        "alarm_risk": policy._alarm_risk,
        "drink_loss": policy._drink_loss,
        "gait": policy._gait,
    }


def load(policy: AlertPolicy, state: Mapping[str, Any]) -> None:
    """Restore the decision state saved by :func:`dump` into a freshly built ``policy``."""
    policy._last_t = _opt_float(state.get("last_t"))
    since = [_opt_float(x) for x in state.get("since", [None] * 4)]
    policy._since = (since + [None] * 4)[:4]
    policy._risk_rank = int(state.get("risk_rank", 0))
    policy._risks = [(float(t), float(r)) for t, r in state.get("risks", [])]
    policy._low_since = _opt_float(state.get("low_since"))
    policy._acute_on = bool(state.get("acute_on", False))
    policy._acute_off_since = _opt_float(state.get("acute_off_since"))
    policy._last_by_kind = {str(k): float(v) for k, v in state.get("last_by_kind", {}).items()}
    history = [(float(t), str(k), int(r)) for t, k, r in state.get("history", [])]
    policy._history = sorted(history, key=lambda h: h[0])  # oldest first, as sent (AlertPolicy._trim relies on it)
    policy._acked = {str(k): int(v) for k, v in state.get("acked", {}).items()}
    said = state.get("said", [])  # absent in a state saved before the schedule was kept: it starts afresh
    policy._repeats = RepeatSchedule((str(k), (int(n), _opt_float(x))) for k, n, x in said)
    policy._episode_max = int(state.get("episode_max", 0))
    last_kind = state.get("last_kind")
    policy._last_kind = None if last_kind is None else str(last_kind)
    policy._under_since = _opt_float(state.get("under_since"))
    policy._known = {str(a): (str(k), int(r)) for a, k, r in state.get("known", [])}
    flag = state.get("flag")
    policy._flag = None if flag is None else str(flag)
    policy._alarm_at = {int(r): float(at) for r, at in state.get("alarm_at", [])}
    policy._alarm_risk = float(state.get("alarm_risk", 0.0))
    policy._drink_loss = float(state.get("drink_loss", 0.0))
    policy._gait = str(state.get("gait", "unknown"))


def saved_profile(data: Mapping[str, Any]) -> Profile:
    """A saved profile; fields this version does not know are ignored."""
    known = {f.name for f in fields(Profile)}
    return Profile(**{k: v for k, v in data.items() if k in known})


def _opt_float(x: Any) -> float | None:
    return None if x is None else float(x)

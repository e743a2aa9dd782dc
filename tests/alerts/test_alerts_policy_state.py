"""AlertPolicy: deterministic ids, the alert itself, saved state and configuration."""

from __future__ import annotations

import json

import pytest

from alerts.alert import alert_id
from alerts.policy import AlertPolicy, PolicyConfig
from tests.alerts.helpers_alerts import S0, Seg, policy, run, ticks


def test_ids_are_deterministic() -> None:
    def once(start: float) -> list[str]:
        return [a.id for a in run(policy(session_start=start), ticks(Seg(0, 600), Seg(600, 4500, "high", "hydrate")))]

    a, b = once(S0), once(S0)
    assert a == b and len(a) == 4 and len(set(a)) == 4  # warning, drink advice, two reminders
    assert once(S0 + 1) != a
    alert = run(policy(), ticks(Seg(0, 600), Seg(600, 630, "elevated")))[0]
    assert alert.id == alert_id("squad-1", "ath_7", S0, "ease_pace", "advice", S0 + 625.0)


def test_alert_content() -> None:
    alert = run(policy(), ticks(Seg(0, 600), Seg(600, 630, "elevated")))[0]
    d = alert.to_dict()
    assert set(d) == {"id", "t", "squad", "athlete", "level", "kind", "risk", "message", "detail", "factors"}
    assert d["message"] == "Ease the pace to about 5:10/km (now 4:50/km)"
    assert d["detail"].startswith("risk 0.45 (elevated): pace 7 % over training (now 4:50 vs 5:10/km), 10 min")
    assert d["factors"] == {"pace_over_training": 0.25, "duration": 0.05, "sex": 0.03}
    assert d["risk"] == 0.45
    json.dumps(d)


def test_state_roundtrip_continues_identically() -> None:
    stream = list(
        ticks(
            Seg(0, 900, "elevated", "hydrate"),
            Seg(900, 1400, "high", "hydrate"),
            Seg(1400, 1500, "critical"),
            Seg(1500, 1600, "low", acute=True),
            Seg(1600, 3400, "elevated", "change_form"),  # no form advice until 20 min after the cramp signs
        )
    )
    whole = run(policy(), stream)
    for cut in (0, 121, 130, 181, 300, 319, 400, 560, len(stream)):
        p = policy()
        head = run(p, stream[:cut])
        if head:
            p.ack(head[0].id)
        state = json.loads(json.dumps(p.state_dict()))
        q = AlertPolicy.from_state(state)
        r = policy()
        head_r = run(r, stream[:cut])
        if head_r:
            r.ack(head_r[0].id)
        assert head + run(q, stream[cut:]) == head_r + run(r, stream[cut:])
    assert len(whole) >= 5


def test_from_state_keeps_the_saved_profile_and_ignores_unknown_fields() -> None:
    state = json.loads(json.dumps(policy().state_dict()))
    state["profile"]["shoe_size"] = 44
    restored = AlertPolicy.from_state(state)
    assert restored.profile.training_pace == 310.0 and restored.profile.sex == "male"
    assert restored.config == PolicyConfig()


def test_from_state_rejects_unknown_version() -> None:
    with pytest.raises(ValueError, match="version"):
        AlertPolicy.from_state({"version": 99})


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        PolicyConfig(debounce_s=-1.0)
    with pytest.raises(ValueError):
        PolicyConfig(thresholds=(0.5, 0.4, 0.9))
    assert PolicyConfig.from_dict(PolicyConfig(cap=2).to_dict()) == PolicyConfig(cap=2)

from __future__ import annotations

import json

import pytest

from monitor.core.pipeline import AthletePipeline
from monitor.core.profiles import ProfileBook
from monitor.core.router import Router
from processors.profile import Profile
from tests.runs import T0, hot_fast_run

BASE = "crampwatch/v1/club/ann"


def frames_payload(start: int, stop: int) -> str:
    return json.dumps([{"t": f.t, **f.streams()} for f in hot_fast_run(minutes=40)[start:stop]])


def test_retained_profile_merges_over_file_profile() -> None:
    router = Router(profiles=ProfileBook({"ann": Profile(name="Ann", training_pace=330)}))
    routed = router.handle(f"{BASE}/profile", b'{"age": 50, "hr_max": 999}')
    assert routed.rejected == [(f"{BASE}/profile", "profile field hr_max invalid")]
    profile = router.pipeline("club", "ann").profile
    assert (profile.name, profile.age, profile.training_pace, profile.hr_max) == ("Ann", 50.0, 330.0, None)
    assert router.handle(f"{BASE}/profile", b"").rejected == []  # clearing a retained message is fine
    # audit6: the deleted retained profile (age 50) stayed in use until a restart; the file's is back at once
    profile = router.pipeline("club", "ann").profile
    assert (profile.name, profile.age, profile.training_pace) == ("Ann", None, 330.0)
    assert router.profiles.get("club", "ann") == Profile(name="Ann", training_pace=330)


def test_samples_produce_statuses_and_ack_reaches_the_policy() -> None:
    router = Router(profiles=ProfileBook({"ann": Profile(training_pace=330, sex="male", age=45)}))
    alerts = []
    for i in range(0, 2400, 600):
        routed = router.handle(f"{BASE}/frame", frames_payload(i, i + 600))
        assert routed.rejected == []
        alerts += routed.out.alerts
    assert router.counters["statuses"] > 400
    assert alerts, "a hot fast run gets alerts"
    ack = router.handle(f"{BASE}/ack", json.dumps({"alert_id": alerts[0].id}))
    assert ack.acked == ("club", "ann", alerts[0].id) and router.counters["acks"] == 1
    assert not router.handle(f"{BASE}/ack", b'{"alert_id": "unknown"}').acked


def test_session_stop_then_start() -> None:
    router = Router()
    router.handle(f"{BASE}/hr", json.dumps({"t": [T0 + i for i in range(30)], "v": [150] * 30}))
    stopped = router.handle(f"{BASE}/session", json.dumps({"t": T0 + 29, "event": "stop"}))
    assert stopped.out.sessions_ended == 1 and not router.pipeline("club", "ann").active
    router.handle(f"{BASE}/session", json.dumps({"t": T0 + 100, "event": "start"}))
    assert router.pipeline("club", "ann").session_start == T0 + 100


def test_bad_messages_counted_never_raised() -> None:
    router = Router()
    for topic, payload in [
        ("crampwatch/v1/club/ann/hr", b"\x00\x01"),
        ("crampwatch/v1/club/ann/session", b'{"t": 1}'),
        ("crampwatch/v1/club/ann/ack", b"[]"),
        ("crampwatch/v1/club/ann/status", b"{}"),
        ("crampwatch/v1/club", b"{}"),
    ]:
        routed = router.handle(topic, payload)
        assert len(routed.rejected) == 1
    assert router.counters["rejected"] == 5 and router.counters["messages"] == 5


def test_a_sample_with_an_unknown_field_is_used_and_reported() -> None:
    """audit7: the sample's heart rate is used, the unknown field counted and reported on the rejected topic, as for
    a frame (it was the whole message rejected)."""
    router = Router()
    routed = router.handle(f"{BASE}/hr", json.dumps({"t": [T0, T0 + 1], "v": [150, 151], "acc": [3, 4]}))
    assert routed.rejected == [(f"{BASE}/hr", "sample has an unknown field")]
    assert router.counters["samples"] == 2 and router.counters["rejected"] == 1
    framed = router.handle(f"{BASE}/frame", json.dumps({"t": T0 + 2, "hr": 152, "acc": 5}))
    assert framed.rejected == [(f"{BASE}/frame", "frame has an unknown field")]
    assert router.counters["samples"] == 3 and router.counters["rejected"] == 2


def test_session_start_plan_reaches_the_processors_and_the_status() -> None:
    """Today's plan from the start message: the pace is judged against its target (status values), the status
    names the plan, the state keeps it, and the next session starts without it."""
    router = Router(profiles=ProfileBook({"ann": Profile(training_pace=330)}))
    start = {"t": T0, "event": "start", "plan": "tempo", "target_pace": 300}
    assert router.handle(f"{BASE}/session", json.dumps(start)).rejected == []
    statuses = []
    for i in range(0, 1200, 600):
        statuses += router.handle(f"{BASE}/frame", frames_payload(i, i + 600)).out.statuses
    last = statuses[-1]
    assert last["plan"] == "tempo" and last["target_pace"] == 300.0
    assert last["values"]["reference_pace_s_per_km"] == 300.0
    assert last["values"]["pace_ratio_plan"] == pytest.approx(1.0, abs=0.05)  # on plan: 5:00/km
    assert last["pace_over_training"] == pytest.approx(1.1, abs=0.05)  # the contract key: against training
    pipe = router.pipeline("club", "ann")
    assert AthletePipeline.from_state(json.loads(json.dumps(pipe.state_dict()))).plan == pipe.plan
    router.handle(f"{BASE}/session", json.dumps({"t": T0 + 1300, "event": "stop"}))
    router.handle(f"{BASE}/session", json.dumps({"t": T0 + 2000, "event": "start"}))
    assert router.pipeline("club", "ann").plan.plan is None


def test_oversized_and_deep_payloads_rejected_and_counted_without_traceback() -> None:
    router = Router(max_payload=1000)
    big = router.handle(f"{BASE}/hr", b'{"t": 1, "v": 150' + b" " * 2000 + b"}")
    assert big.rejected == [(f"{BASE}/hr", "payload too large")]
    for leaf, payload in [("profile", b"[" * 50 + b"]" * 50), ("session", b'{"t": ' + b"[" * 30 + b"]" * 30 + b"}"),
                          ("hr", b"[" * 2000 + b"]" * 2000), ("frame", b"[" * 5000 + b"]" * 5000)]:  # fmt: skip
        routed = Router().handle(f"{BASE}/{leaf}", payload)
        assert len(routed.rejected) == 1 and routed.rejected[0][1] in ("payload nested too deeply", "payload too large")
    assert router.counters["rejected"] == 1


def test_athlete_cap_rejects_new_ids_and_finished_sessions_make_room() -> None:
    router = Router(max_athletes=3)
    for name in ("a", "b", "c"):
        assert router.handle(f"crampwatch/v1/club/{name}/hr", json.dumps({"t": T0, "v": 150})).rejected == []
    over = router.handle("crampwatch/v1/club/d/hr", json.dumps({"t": T0, "v": 150}))
    assert over.rejected == [("crampwatch/v1/club/d/hr", "athlete cap reached")]
    router.handle("crampwatch/v1/club/b/session", json.dumps({"t": T0 + 1, "event": "stop"}))
    assert router.handle("crampwatch/v1/club/d/hr", json.dumps({"t": T0, "v": 150})).rejected == []
    assert set(router.pipelines) == {("club", "a"), ("club", "c"), ("club", "d")}
    assert router.counters["evicted"] == 1 and router.counters["rejected"] == 1


def test_samples_far_ahead_of_the_wall_clock_are_future_time() -> None:
    router = Router()
    now = T0 + 100
    payload = json.dumps({"t": [T0, T0 + 1, now + 301], "v": [150, 151, 152]})
    routed = router.handle(f"{BASE}/hr", payload, now=now)
    assert routed.rejected == [(f"{BASE}/hr", "future time")]
    stop = router.handle(f"{BASE}/session", json.dumps({"t": 1e10, "event": "stop"}), now=now)
    assert stop.rejected == [(f"{BASE}/session", "future time")]
    assert router.pipeline("club", "ann").active and router.counters["future"] == 1

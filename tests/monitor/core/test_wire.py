from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core import wire
from monitor.errors import RejectedMessage
from processors.profile import Profile, SessionPlan
from simulators.frame import Frame


def test_topics_round_trip() -> None:
    topics = wire.Topics("x/y")
    topic = topics.of("club", "ann-1", "frame")
    assert topic == "x/y/club/ann-1/frame"
    assert topics.parse(topic) == wire.Topic("club", "ann-1", "frame")


@pytest.mark.parametrize(
    "topic",
    [
        "crampwatch/v1/club/ann/bogus",
        "crampwatch/v1/club/ann/extra/hr",
        "crampwatch/v1/cl ub/ann/hr",
        "crampwatch/v1/club/" + "a" * 65 + "/hr",
        "other/club/ann/hr",
    ],
)
def test_bad_topics_are_rejected(topic: str) -> None:
    with pytest.raises(RejectedMessage):
        wire.Topics().parse(topic)


def test_sample_and_batch() -> None:
    assert wire.parse_stream("hr", b'{"t": 10.5, "v": 152}').samples == [("hr", 10.5, 152.0)]
    batch = wire.parse_stream("cadence", json.dumps({"t": [1, 2, 2], "v": [170, 171, 172]}))
    assert [s[2] for s in batch.samples] == [170.0, 171.0, 172.0]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"t": 1}',
        b'{"t": [1, 2], "v": [1]}',
        b'{"t": [2, 1], "v": [150, 150]}',
        b'{"t": "now", "v": 150}',
        b'{"t": -5, "v": 150}',
        json.dumps({"t": list(range(601)), "v": [150] * 601}).encode(),
        b'{"t": [], "v": []}',
    ],
)
def test_broken_envelopes_are_rejected_whole(payload: bytes) -> None:
    with pytest.raises(RejectedMessage):
        wire.parse_stream("hr", payload)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", '"150"', "true", "null", "251", "24", "[150]"])
def test_bad_values_rejected_alone(bad: str) -> None:
    parsed = wire.parse_stream("hr", f'{{"t": [1, 2, 3], "v": [150, {bad}, 151]}}')
    assert [s[1] for s in parsed.samples] == [1.0, 3.0]
    assert len(parsed.rejected) == 1


@pytest.mark.parametrize(
    ("payload", "values", "unknown"),
    [
        (b'{"t": 1, "v": 150, "acc": 3}', [150.0], 1),
        (b'{"t": [1, 2], "v": [150, 151], "device": "strap", "rr": [400, 401]}', [150.0, 151.0], 2),
    ],
)
def test_a_sample_with_an_unknown_field_keeps_its_values_as_a_frame_does(
    payload: bytes, values: list[float], unknown: int
) -> None:
    """audit7: a frame with an unknown field kept its known values, a sample or batch was rejected whole (every
    heart rate lost for one extra key); now both keep the values and report each unknown field."""
    parsed = wire.parse_stream("hr", payload)
    assert [v for _, _, v in parsed.samples] == values
    assert parsed.rejected == ["sample has an unknown field"] * unknown
    frame = wire.parse_frames(b'{"t": 1, "hr": 150, "acc": 3}')
    assert frame.samples == [("hr", 1.0, 150.0)] and frame.rejected == ["frame has an unknown field"]


def test_stopped_pace_is_not_an_error() -> None:
    assert wire.parse_stream("pace", b'{"t": 1, "v": 1500}').samples == [("pace", 1.0, 1500.0)]


def test_frames_keep_good_fields() -> None:
    payload = json.dumps(
        [
            {"t": 1, "hr": 150, "pace": 300, "cadence": 999, "temp": 20},
            {"t": 2, "hr": True},
            {"t": 3, "wind": 3, "hr": 151},
            {"t": 4},
            "junk",
        ]
    )
    parsed = wire.parse_frames(payload)
    assert parsed.samples == [
        ("hr", 1.0, 150.0),
        ("pace", 1.0, 300.0),
        ("temp", 1.0, 20.0),
        ("hr", 3.0, 151.0),
    ]
    assert len(parsed.rejected) == 5


def test_profile_keeps_valid_fields_and_reports_bad_ones() -> None:
    profile, bad = wire.parse_profile(b'{"name": "Ann", "sex": "x", "hr_max": 190, "cramp_history": "yes"}')
    assert profile == Profile(name="Ann", hr_max=190.0)
    assert sorted(bad) == ["profile field cramp_history invalid", "profile field sex invalid"]


def test_a_resting_hr_not_below_hr_max_is_dropped_with_it() -> None:
    """audit6: hr_rest 110 with hr_max 105 (a typo) was taken: 30 min at 100 bpm read as 30 min in zone 5 (95 %
    of HRmax), and a heart-rate reserve below zero. Which of the two is wrong cannot be known: both are dropped and
    reported (their defaults apply), the rest of the profile is kept; a profiles file refuses it."""
    profile, bad = wire.parse_profile(b'{"name": "Ann", "hr_rest": 110, "hr_max": 105}')
    assert profile == Profile(name="Ann")
    assert bad == ["profile fields hr_rest, hr_max invalid (resting HR not below HRmax)"]
    assert wire.parse_profile(b'{"hr_rest": 60, "hr_max": 105}') == (Profile(hr_rest=60.0, hr_max=105.0), [])


@pytest.mark.parametrize("name", ["Ev\x1b[2J\x1b[31mil", "Ann\nline 2", "Bo\rX", "Cy\x07", "Di\x9b2J"])
def test_a_name_with_control_characters_is_dropped(name: str) -> None:
    """audit6: a gateway's profile name with terminal escape codes cleared and recoloured the coach's terminal
    in `crampwatch watch` and `sessions` (and a newline broke their tables). Control characters are no name: the
    field is dropped and reported, the rest of the profile is kept."""
    profile, bad = wire.parse_profile(json.dumps({"name": name, "age": 30}).encode())
    assert profile == Profile(age=30.0) and bad == ["profile field name invalid"]
    assert wire.parse_profile(json.dumps({"name": "Zoë 🏃 张伟"}).encode())[0].name == "Zoë 🏃 张伟"


def test_session_and_ack() -> None:
    assert wire.parse_session(b'{"t": 5, "event": "stop"}')[0].event == "stop"
    assert wire.parse_ack(b'{"alert_id": "abc123"}').alert_id == "abc123"
    with pytest.raises(RejectedMessage):
        wire.parse_session(b'{"t": 5, "event": "pause"}')
    with pytest.raises(RejectedMessage):
        wire.parse_ack(b'{"alert_id": ""}')


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(
    t=st.floats(min_value=0, max_value=4e9),
    hr=st.none() | st.floats(min_value=25, max_value=250),
    pace=st.none() | st.floats(min_value=100, max_value=3600),
    cadence=st.none() | st.floats(min_value=0, max_value=260),
    temp=st.floats(min_value=-30, max_value=60),
)
def test_encoded_frames_always_parse_back(
    t: float, hr: float | None, pace: float | None, cadence: float | None, temp: float
) -> None:
    frame = Frame(t=t, hr=hr, pace=pace, cadence=cadence, temp=temp)
    parsed = wire.parse_frames(wire.encode_frame(frame))
    assert parsed.rejected == []
    assert {(s, v) for s, _, v in parsed.samples} == set(frame.streams().items())


@given(value=finite | st.text(max_size=5) | st.booleans() | st.none())
def test_parse_never_raises_anything_but_rejection(value: object) -> None:
    payload = json.dumps({"t": 1.0, "v": value})
    parsed = wire.parse_stream("temp", payload)
    assert len(parsed.samples) + len(parsed.rejected) == 1


def test_encoders_refuse_what_the_monitor_would_reject() -> None:
    with pytest.raises(ValueError):
        wire.encode_samples([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        wire.encode_frame(Frame(t=float("nan"), hr=150.0))


def test_session_start_carries_todays_plan_and_profile_race_pace() -> None:
    """Contract additions (second wave): plan/target_pace on the session start, race_pace in the profile."""
    msg, bad = wire.parse_session(b'{"t": 5, "event": "start", "plan": "tempo", "target_pace": 290}')
    assert msg.session_plan() == SessionPlan(plan="tempo", target_pace=290.0) and bad == []
    assert wire.parse_session(b'{"t": 5, "event": "start"}')[0].session_plan() == SessionPlan()
    encoded = wire.encode_session(7.0, "start", SessionPlan("race"))
    assert wire.parse_session(encoded)[0].session_plan() == SessionPlan("race")
    profile, bad_fields = wire.parse_profile(b'{"training_pace": 330, "race_pace": 300}')
    assert profile.race_pace == 300.0 and bad_fields == []
    assert wire.parse_profile(b'{"race_pace": 20}')[1] == ["profile field race_pace invalid"]


@pytest.mark.parametrize(
    ("payload", "plan", "reasons"),
    [
        (b'{"t": 5, "event": "start", "plan": "recovery", "target_pace": 290}', SessionPlan(target_pace=290.0),
         ["session field plan invalid (not easy|long|tempo|intervals|race), dropped"]),
        (b'{"t": 5, "event": "start", "plan": "tempo", "target_pace": 1500}', SessionPlan(plan="tempo"),
         ["session field target_pace invalid (not 120-1200 s/km), dropped"]),
        (b'{"t": 5, "event": "start", "plan": "jog", "target_pace": "fast"}', SessionPlan(),
         ["session field plan invalid (not easy|long|tempo|intervals|race), dropped",
          "session field target_pace invalid (not 120-1200 s/km), dropped"]),
    ],
)  # fmt: skip
def test_session_start_drops_an_invalid_plan_or_target_pace(
    payload: bytes, plan: SessionPlan, reasons: list[str]
) -> None:
    """As a profile drops a bad field and keeps the rest, a start keeps its time and event without the bad field."""
    msg, bad = wire.parse_session(payload)
    assert (msg.t, msg.event, msg.session_plan(), bad) == (5.0, "start", plan, reasons)


@pytest.mark.parametrize(
    "payload",
    [b'{"t": 5, "event": "pause"}', b'{"t": -1, "event": "start", "plan": "tempo"}', b'{"event": "start"}',
     b'{"t": 5, "event": "start", "plan": "jog", "colour": "red"}', b'[{"t": 5, "event": "start"}]'],
)  # fmt: skip
def test_session_with_a_broken_envelope_is_rejected_whole(payload: bytes) -> None:
    with pytest.raises(RejectedMessage):
        wire.parse_session(payload)

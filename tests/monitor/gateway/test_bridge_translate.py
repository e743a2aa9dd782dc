"""Foreign messages to contract frames (pure, no broker): OwnTracks, ESPHome state topics, a layout file's units
and times, and bad payloads — rejected with a reason, the valid values beside them kept."""

from __future__ import annotations

import json
import math

import pytest

from monitor.core.wire import RANGES, parse_frames
from monitor.gateway.layout import load_layout_text
from monitor.gateway.layouts import load_layout
from monitor.gateway.translate import Translation, translate
from monitor.gateway.units import UNITS, Unusable, convert

T = 1_732_400_000
NOW = T + 2.5


def owntracks(payload: object, topic: str = "owntracks/jane/phone") -> Translation:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return translate(load_layout("owntracks"), topic, data, now=NOW, squad="club")


def test_owntracks_location_becomes_a_pace_frame_at_the_fix_time() -> None:
    out = owntracks({"_type": "location", "tst": T, "vel": 12, "lat": 52.1, "lon": 5.1, "acc": 8, "tid": "je"})
    assert out.frames == [("club", "jane", {"t": float(T), "pace": 300.0})] and not out.rejected
    # what the bridge sends is a frame the monitor's own parser takes as it is
    parsed = parse_frames(json.dumps(out.frames[0][2]).encode())
    assert parsed.samples == [("pace", float(T), 300.0)] and not parsed.rejected


@pytest.mark.parametrize(
    ("vel", "pace"),
    [(10, 360.0), (13, 276.9), (0, 3600.0), (None, 3600.0), (0.5, 3600.0), (1, 3600.0), (2, 3600.0), (3, 1200.0),
     (3.6, 1000.0)],
)  # fmt: skip
def test_owntracks_speed_to_pace_and_standing_still(vel: float | None, pace: float) -> None:
    """vel is km/h (pace = 3600 / vel); OwnTracks leaves vel out when it is 0; slower than the contract's running
    limit (1200 s/km, 3 km/h) is the "not running" pace 3600."""
    message: dict[str, object] = {"_type": "location", "tst": T}
    if vel is not None:
        message["vel"] = vel
    assert owntracks(message).frames == [("club", "jane", {"t": float(T), "pace": pace})]


def test_owntracks_other_types_and_topics_are_ignored_not_rejected() -> None:
    for message, topic in [
        ({"_type": "lwt", "tst": T}, "owntracks/jane/phone"),
        ({"_type": "transition", "tst": T, "event": "enter"}, "owntracks/jane/phone"),
        ({"_type": "location", "tst": T, "vel": 12}, "owntracks/jane/phone/event"),  # not this layout's topic
    ]:
        out = owntracks(message, topic)
        assert out.ignored and not out.frames and not out.rejected


def test_owntracks_user_names_become_contract_ids() -> None:
    out = owntracks({"_type": "location", "tst": T, "vel": 12}, "owntracks/Zoë.van Dijk/iphone")
    assert [athlete for _, athlete, _ in out.frames] == ["Zoe_van_Dijk"]  # accents off, as analyze's file names
    long = owntracks({"_type": "location", "tst": T, "vel": 12}, f"owntracks/{'x' * 100}/phone")
    assert [athlete for _, athlete, _ in long.frames] == ["x" * 64]
    empty = owntracks({"_type": "location", "tst": T, "vel": 12}, "owntracks//phone")
    assert empty.rejected == ["bad squad or athlete id"] and not empty.frames
    nothing_usable = owntracks({"_type": "location", "tst": T, "vel": 12}, "owntracks/张伟/phone")
    assert nothing_usable.rejected == ["bad squad or athlete id"] and not nothing_usable.frames  # not "__"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "payload is not UTF-8"),
        (b"{not json", "payload is not JSON"),
        (b"[1, 2]", "payload is not a JSON object"),
        (b"12", "payload is not a JSON object"),
        ({"_type": "location", "vel": 12}, "time field missing"),
        ({"_type": "location", "tst": "yesterday", "vel": 12}, "bad event time"),
        ({"_type": "location", "tst": -5, "vel": 12}, "bad event time"),
        ({"_type": "location", "tst": T + 3600, "vel": 12}, "future time"),
        # audit6: seconds in a unix_ms field (or a device clock at 0) made frames of 1970, and monitor sessions
        ({"_type": "location", "tst": T // 1000, "vel": 12}, "time before 2001 (wrong unit?)"),
        ({"_type": "location", "tst": T, "vel": 90}, "pace value out of range"),  # a car
        ({"_type": "location", "tst": T, "vel": -1}, "pace value out of range"),
        ({"_type": "location", "tst": T, "vel": "fast"}, "pace value not a number"),
        ({"_type": "location", "tst": T, "vel": True}, "pace value not a number"),
        ({"_type": "location", "tst": T, "vel": [12]}, "pace value not a number"),
        (b'{"_type": "location", "tst": 1732400000, "vel": NaN}', "pace value not a finite number"),
        (b"x" * 70_000, "payload too large"),
    ],
)
def test_bad_owntracks_payloads_are_rejected_with_a_reason(payload: object, reason: str) -> None:
    out = owntracks(payload)
    assert out.rejected == [reason] and not out.frames


def esphome(topic: str, payload: bytes) -> Translation:
    return translate(load_layout("esphome"), topic, payload, now=NOW, squad="club")


def test_esphome_plain_numbers_at_the_arrival_time() -> None:
    assert esphome("ann/sensor/heart_rate/state", b"142").frames == [("club", "ann", {"t": NOW, "hr": 142.0})]
    assert esphome("ann/sensor/speed/state", b"12.0").frames == [("club", "ann", {"t": NOW, "pace": 300.0})]
    assert esphome("ann/sensor/cadence/state", b" 172\n").frames == [("club", "ann", {"t": NOW, "cadence": 172.0})]
    assert esphome("ann/sensor/temperature/state", b"21.5").frames == [("club", "ann", {"t": NOW, "temp": 21.5})]
    assert esphome("ann/sensor/battery/state", b"80").ignored


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"unavailable", "hr value not a number"),
        (b"nan", "hr value not a finite number"),
        (b"", "hr value not a number"),
        (b"300", "hr value out of range"),
        (b"12", "hr value out of range"),
    ],
)
def test_esphome_bad_states_are_rejected(payload: bytes, reason: str) -> None:
    out = esphome("ann/sensor/heart_rate/state", payload)
    assert out.rejected == [reason] and not out.frames


CLUB = """
topic = "club/{squad}/{athlete}/+/telemetry"
match = { kind = "sample" }
time = { field = "ts", unit = "unix_ms" }
[hr]
field = "heart.bpm"
unit = "bpm"
[pace]
field = "speed"
unit = "m/s"
[cadence]
field = "cad"
unit = "strides/min"
[temp]
field = "air"
unit = "F"
time = { field = "when", unit = "iso8601" }
"""


def club(payload: dict[str, object], topic: str = "club/blue/ann/watch/telemetry") -> Translation:
    return translate(load_layout_text(CLUB, "club.toml"), topic, json.dumps(payload).encode(), now=NOW, squad=None)


def test_a_layout_file_converts_units_and_reads_its_times() -> None:
    out = club(
        {
            "kind": "sample",
            "ts": T * 1000 + 250,
            "heart": {"bpm": 151},
            "speed": 3.2,
            "cad": 86,
            "air": 77.0,
            "when": "2024-11-23T23:13:20+01:00",
        }
    )
    assert not out.rejected
    assert out.frames == [
        ("blue", "ann", {"t": T + 0.25, "hr": 151.0, "pace": 312.5, "cadence": 172.0}),
        ("blue", "ann", {"t": float(T), "temp": 25.0}),  # its own time: a frame of its own
    ]


def test_valid_values_beside_bad_ones_are_kept() -> None:
    out = club({"kind": "sample", "ts": T * 1000, "heart": {"bpm": 400}, "speed": 3.0, "cad": "x"})
    assert out.frames == [("blue", "ann", {"t": float(T), "pace": 333.3})]
    assert sorted(out.rejected) == ["cadence value not a number", "hr value out of range"]


def test_absent_fields_are_left_out_and_a_payload_with_none_is_rejected() -> None:
    assert club({"kind": "sample", "ts": T * 1000, "heart": {"bpm": 150}}).frames == [
        ("blue", "ann", {"t": float(T), "hr": 150.0})
    ]
    assert club({"kind": "sample", "ts": T * 1000, "heart": 150}).rejected == ["no field of the layout in the payload"]
    assert club({"kind": "status", "ts": T * 1000, "heart": {"bpm": 150}}).ignored  # match fails: ignored


def test_a_naive_iso_time_is_rejected_not_guessed() -> None:
    out = club({"kind": "sample", "ts": T * 1000, "air": 70, "when": "2024-11-23T22:13:20"})
    assert out.rejected == ["time without a UTC offset"]


@pytest.mark.parametrize(
    ("stream", "unit", "raw", "want"),
    [
        ("pace", "s/km", 312.5, 312.5),
        ("pace", "s/km", 5000, 3600.0),  # slower than the slowest pace the contract takes: not running
        ("pace", "s/km", 1500, 3600.0),  # slower than the running limit (1200 s/km): not running
        ("pace", "s/km", 1200, 1200.0),
        ("pace", "m/s", 0.8, 3600.0),  # 1250 s/km
        ("pace", "min/km", "5.25", 315.0),
        ("pace", "m/s", 0, 3600.0),
        ("pace", "mph", 7.5, 298.3),
        ("pace", "km/h", 36, 100.0),
        ("cadence", "steps/min", 172, 172.0),
        ("cadence", "strides/min", 130, 260.0),
        ("temp", "C", -30, -30.0),
        ("temp", "°F", 32, 0.0),
        ("hr", "bpm", 25, 25.0),
    ],
)
def test_units(stream: str, unit: str, raw: object, want: float) -> None:
    assert convert(stream, unit, raw) == want


@pytest.mark.parametrize(
    ("stream", "unit", "raw"),
    [
        ("pace", "s/km", 0),
        ("pace", "min/km", 1.5),
        ("pace", "km/h", 36.5),
        ("cadence", "strides/min", 131),
        ("temp", "F", 150),
        ("hr", "bpm", 251),
        ("hr", "bpm", math.inf),
    ],
)
def test_out_of_range_after_conversion(stream: str, unit: str, raw: float) -> None:
    with pytest.raises(Unusable, match=f"^{stream} value"):
        convert(stream, unit, raw)


def test_every_unit_lands_in_range_or_says_why() -> None:
    """No input makes a converter raise anything but Unusable or return a value outside the contract."""
    odd: list[object] = [0, -0.0, 1e-300, 1e300, -1e300, 2**64, "1e999", "", " ", "-", None, {}, [], True]
    for stream, units in UNITS.items():
        for unit in units:
            for raw in odd:
                try:
                    value = convert(stream, unit, raw)
                except Unusable:
                    continue
                lo, hi = RANGES[stream]
                assert math.isfinite(value) and lo <= value <= hi


def test_a_wide_layout_topic_does_not_read_the_bridges_own_output_back() -> None:
    """``{athlete}/+/+/+/+`` also matches ``crampwatch/v1/club/ann/frame``: the bridge ignores its own prefix."""
    from monitor.gateway.bridge import Bridge
    from monitor.mqtt.broker import BrokerURL

    wide = load_layout_text('topic = "{athlete}/+/+/+/+"\ntime = "arrival"\n[hr]\nfield = "hr"\nunit = "bpm"\n', "wide")
    bridge = Bridge(BrokerURL.parse("mqtt://127.0.0.1:1"), wide, "club", clock=lambda: NOW)
    bridge.handle("crampwatch/v1/club/ann/frame", b'{"t": 1732400000, "hr": 150}')
    assert (bridge.counts["ignored"], bridge.counts["frames"], bridge.publisher.pending) == (1, 0, 0)
    bridge.handle("ann/a/b/c/d", b'{"hr": 150}')  # the same shape on a foreign topic is translated
    assert (bridge.counts["frames"], bridge.publisher.pending) == (1, 1)

"""Layouts of ``gateway bridge`` (pure): topic patterns, the built-ins, and one clear line for each bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.gateway.layout import LayoutError, load_layout_text, pattern
from monitor.gateway.layouts import BUILTIN, load_layout


def test_topic_patterns_match_whole_levels() -> None:
    p = pattern("club/{squad}/{athlete}/+/state")
    assert p.subscription == "club/+/+/+/state"
    assert p.match("club/a-team/ann/hr/state") == {"squad": "a-team", "athlete": "ann"}
    assert p.match("club/a-team/ann/hr/command") is None
    assert p.match("club/a-team/ann/state") is None  # a level short
    assert p.match("other/a-team/ann/hr/state") is None


def test_the_builtin_layouts_load_and_say_where_they_listen() -> None:
    owntracks = load_layout("owntracks")
    assert owntracks.subscriptions == ["owntracks/+/+"] and owntracks.needs_squad
    (group,) = owntracks.groups
    assert group.json and [(s.stream, s.unit, s.field, s.default) for s in group.streams] == [
        ("pace", "km/h", ("vel",), 0.0)
    ]
    assert group.match == ((("_type",), "location"),)
    esphome = load_layout("esphome")
    assert esphome.subscriptions == sorted(
        f"+/sensor/{s}/state" for s in ("heart_rate", "speed", "cadence", "temperature")
    )
    assert all(not g.json and g.streams[0].time.field is None for g in esphome.groups)  # arrival time
    assert set(BUILTIN) == {"owntracks", "esphome"}


def test_a_layout_file_with_every_option(tmp_path: Path) -> None:
    path = tmp_path / "club.toml"
    path.write_text(
        """
description = "the club's app"
topic = "runclub/{squad}/{athlete}/+/telemetry"
match = { kind = "sample", "meta.ok" = true }
time = { field = "ts", unit = "unix_ms" }
[hr]
field = "heart.bpm"
unit = "bpm"
[pace]
field = "speed"
unit = "mph"
default = 0
[cadence]
topic = "runclub/{squad}/{athlete}/cadence"
payload = "number"
unit = "strides/min"
time = "arrival"
[temp]
field = "air"
unit = "F"
time = { field = "when", unit = "iso8601" }
""",
        encoding="utf-8",
    )
    layout = load_layout(str(path))
    assert layout.name == "club.toml" and layout.description == "the club's app" and not layout.needs_squad
    assert layout.subscriptions == ["runclub/+/+/+/telemetry", "runclub/+/+/cadence"]
    json_group = next(g for g in layout.groups if g.json)
    assert [s.stream for s in json_group.streams] == ["hr", "pace", "temp"]
    assert json_group.match == ((("kind",), "sample"), (("meta", "ok"), True))
    assert json_group.streams[2].time.unit == "iso8601"


N = 'topic = "a/{athlete}"\ntime = "arrival"\n[hr]\npayload = "number"\n'  # a plain-number hr, unit to add


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("topic = [", "not TOML"),
        ('topic = "a/{athlete}"\ntime = "arrival"', "no stream"),
        ('topic = "a/{athlete}"\ntime = "arrival"\ncolour = 1\n[hr]\npayload = "number"\nunit = "bpm"', "'colour'"),
        ('topic = "a/b"\ntime = "arrival"\n[hr]\npayload = "number"\nunit = "bpm"', "{athlete} exactly once"),
        ('topic = "a/x{athlete}"\ntime = "arrival"\n[hr]\npayload = "number"\nunit = "bpm"', "a whole level"),
        ('topic = "a/#/{athlete}"\ntime = "arrival"\n[hr]\npayload = "number"\nunit = "bpm"', "not '#'"),
        (N + 'unit = "Hz"', "unit = 'Hz': expected one of bpm"),
        ('topic = "a/{athlete}"\ntime = "arrival"\n[hr]\nunit = "bpm"', 'give field = "a.b"'),
        ('topic = "a/{athlete}"\ntime = "arrival"\n[hr]\nfield="x"\npayload="number"\nunit = "bpm"', "give field"),
        ('topic = "a/{athlete}"\ntime = "arrival"\n[hr]\nfield = "a..b"\nunit = "bpm"', "dotted path"),
        ('topic = "a/{athlete}"\ntime = "now"\n[hr]\nfield = "x"\nunit = "bpm"', 'expected "arrival"'),
        ('topic = "a/{athlete}"\ntime = {field="t", unit="s"}\n[hr]\nfield = "x"\nunit = "bpm"', "unix_s, unix_ms"),
        ('topic = "a/{athlete}"\n[hr]\nfield = "x"\nunit = "bpm"', "no time"),
        ('time = "arrival"\n[hr]\nfield = "x"\nunit = "bpm"', "no topic"),
        (
            'topic = "a/{athlete}"\ntime = {field="t", unit="unix_s"}\n[hr]\npayload = "number"\nunit = "bpm"',
            "no time field",
        ),
        (
            N + 'unit = "bpm"\n[pace]\npayload = "number"\nunit = "s/km"',
            "already carries a plain number",
        ),
        ('topic = "a/{athlete}"\ntime = "arrival"\n[hr]\npayload = "number"\nunit = "bpm"\ndefault = 60', "default"),
        ('topic = "a/{athlete}"\ntime = "arrival"\nmatch = {k = 1}\n[hr]\npayload = "number"\nunit = "bpm"', "match"),
        ('topic = "a/{athlete}"\ntime = "arrival"\n[hr]\nfield = "x"\nunit = "bpm"\nscale = 2', "unknown key 'scale'"),
    ],
)
def test_a_bad_layout_is_one_line_naming_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(LayoutError) as caught:
        load_layout_text(text, "bad.toml")
    message = str(caught.value)
    assert says in message and "\n" not in message


def test_a_missing_or_unreadable_file_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match=r"--layout nope: neither a built-in layout \(owntracks, esphome\)"):
        load_layout("nope")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'description = "caf\xe9"\n')
    with pytest.raises(LayoutError, match="cannot read it"):
        load_layout(str(bad))
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('topic = "x/{athlete}"\n', encoding="utf-8")
    with pytest.raises(LayoutError, match=r"^--layout .*wrong.toml: no stream"):
        load_layout(str(wrong))


def test_the_documented_example_layout_works_as_documented() -> None:
    """The TOML example in docs/devices.md loads and converts what its comments say."""
    import json
    import re

    from monitor.gateway.translate import translate

    doc = (Path(__file__).parents[3] / "docs" / "devices.md").read_text(encoding="utf-8")
    (text,) = re.findall(r"```toml\n(.*?)```", doc, re.S)
    layout = load_layout_text(text, "club.toml")
    assert not layout.needs_squad  # {squad} is in every topic
    sample = {"kind": "sample", "ts": 1_732_400_000_250, "heart": {"bpm": 151}, "speed": 3.2, "air": 68}
    out = translate(layout, "runclub/a-team/ann/w1/telemetry", json.dumps(sample).encode(), now=1.8e9, squad=None)
    assert out.frames == [("a-team", "ann", {"t": 1_732_400_000.25, "hr": 151.0, "pace": 312.5, "temp": 20.0})]
    no_speed = translate(layout, "runclub/a-team/ann/w1/telemetry", b'{"kind": "sample", "ts": 1732400001000}',
                         now=1.8e9, squad=None)  # fmt: skip
    assert no_speed.frames == [("a-team", "ann", {"t": 1_732_400_001.0, "pace": 3600.0})]  # default = 0: standing
    assert translate(layout, "runclub/a-team/ann/w1/telemetry", b'{"kind": "hello"}', now=1.8e9, squad=None).ignored
    cadence = translate(layout, "runclub/a-team/ann/cadence", b"86", now=1.8e9, squad=None)
    assert cadence.frames == [("a-team", "ann", {"t": 1.8e9, "cadence": 172.0})]

"""The built-in foreign layouts of ``crampwatch gateway bridge``, each a small TOML mapping in the format of
:mod:`monitor.gateway.layout` (``--print-layout NAME`` prints one, a starting point for a file of one's own).

``owntracks`` — the OwnTracks phone app in MQTT mode. Per the OwnTracks booklet, "JSON" page
(https://owntracks.org/booklet/tech/json/): the apps publish ``_type=location`` messages to
``owntracks/user/device`` (other types — ``lwt``, ``transition``, ``cmd``, ``steps`` … — on the same or deeper
topics are ignored here); ``tst`` is the "UNIX epoch timestamp in seconds of the location fix" (integer, required)
and ``vel`` the velocity, "integer/kmh/optional"; "the ``acc``, ``alt``, ``cog``, ``vac``, ``vel`` elements are only
added if they are not zero" — so a location without ``vel`` is a speed of 0, published as the "not running" pace
3600 s/km (``docs/devices.md``), as is any speed slower than the contract's running limit of 1200 s/km (1 and 2
km/h). The booklet also warns that "some Android devices always return 0 for ``alt`` or ``vel``": such a phone
only ever gives "not running". ``vel`` is a whole number of km/h and the pace is 3600 / ``vel``, so it moves in
steps (12 km/h = 300 s/km, 13 km/h = 277 s/km). The athlete is the topic's ``user`` level, as a contract id
(characters outside ``[A-Za-z0-9_-]`` become ``_``); the device level is ignored. OwnTracks sends no heart rate,
cadence or temperature.

``esphome`` — ESPHome's MQTT state topics, ``<topic_prefix>/<component_type>/<name>/state`` with the state as a
plain number, the topic prefix being the node name by default (ESPHome "MQTT Client Component",
https://esphome.io/components/mqtt.html): a node named after the athlete publishes
``ann/sensor/heart_rate/state`` = ``"142"``. Sensors ``heart_rate`` (bpm), ``speed`` (km/h), ``cadence``
(steps/min) and ``temperature`` (°C). The payload carries no time: the event time is the arrival time at the
bridge (see ``docs/devices.md``).
"""

from __future__ import annotations

from pathlib import Path

from monitor.gateway.layout import Layout, LayoutError, load_layout_text

BUILTIN: dict[str, str] = {
    "owntracks": """\
description = "OwnTracks (MQTT mode): owntracks/{user}/{device}, _type location, vel km/h, tst Unix s"
topic = "owntracks/{athlete}/+"
match = { _type = "location" }
time = { field = "tst", unit = "unix_s" }

[pace]
field = "vel"
unit = "km/h"
default = 0     # OwnTracks leaves vel out when it is 0
""",
    "esphome": """\
description = "ESPHome state topics of a node named after the athlete: {athlete}/sensor/{sensor}/state"
time = "arrival"   # plain numbers carry no time

[hr]
topic = "{athlete}/sensor/heart_rate/state"
payload = "number"
unit = "bpm"

[pace]
topic = "{athlete}/sensor/speed/state"
payload = "number"
unit = "km/h"

[cadence]
topic = "{athlete}/sensor/cadence/state"
payload = "number"
unit = "steps/min"

[temp]
topic = "{athlete}/sensor/temperature/state"
payload = "number"
unit = "C"
""",
}


def layout_text(name_or_file: str) -> tuple[str, str]:
    """``(name, TOML text)`` of a built-in layout or a layout file; :class:`LayoutError` (one line) otherwise."""
    if name_or_file in BUILTIN:
        return name_or_file, BUILTIN[name_or_file]
    path = Path(name_or_file)
    if not path.is_file():
        choices = ", ".join(BUILTIN)
        raise LayoutError(f"--layout {name_or_file}: neither a built-in layout ({choices}) nor a file")
    try:
        return path.name, path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError(f"--layout {name_or_file}: cannot read it ({exc.__class__.__name__})") from None


def load_layout(name_or_file: str) -> Layout:
    """A built-in layout by name or a layout file; :class:`LayoutError` whose message names the file."""
    name, text = layout_text(name_or_file)
    try:
        return load_layout_text(text, name)
    except LayoutError as exc:
        raise LayoutError(f"--layout {name_or_file}: {exc}") from None

"""Home Assistant MQTT discovery (opt-in: ``crampwatch monitor --ha-discovery [PREFIX]``).

Each runner appears in Home Assistant as a device ("<name> (crampwatch)") whose entities read the monitor's own
``status`` and ``alert`` topics (contract.md): nothing is published twice, only one retained *config* message per
entity, sent before the runner's first status of the monitor's life and again when the runner's name changes.
Home Assistant's discovery topic is ``<PREFIX>/<component>/crampwatch_<squad>_<athlete>/<key>/config`` (PREFIX
``homeassistant`` by default); see https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery.

A value a status carries as ``null`` (no heart-rate strap, no cadence yet) renders as ``None``, which Home
Assistant shows as *unknown*, never as 0. Every entity is *available* while the monitor says it is online (its
retained presence ``{prefix}/_monitor/online``, which its MQTT will turns to offline when it dies): a monitor that
stopped leaves its runners *unavailable*, not frozen at their last values. The risk is the status's relative
index shown in percent; the level and the alert say what to do, as on the dashboard (docs/dashboard.md, "What the
risk means").

>>> d = Discovery("crampwatch/v1")
>>> msgs = d.announce({"squad": "club", "athlete": "ann", "name": "Ann"})
>>> topic, payload = msgs[0]
>>> topic
'homeassistant/sensor/crampwatch_club_ann/risk/config'
>>> import json; config = json.loads(payload)
>>> config["state_topic"], config["device"]["name"], config["unit_of_measurement"]
('crampwatch/v1/club/ann/status', 'Ann (crampwatch)', '%')
>>> config["availability_topic"]
'crampwatch/v1/_monitor/online'
>>> d.announce({"squad": "club", "athlete": "ann", "name": "Ann"})  # already announced
[]
>>> len(d.announce({"squad": "club", "athlete": "ann", "name": "Ann B."})) == len(msgs)  # renamed: again
True
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final

from monitor.coach.words import LEVELS
from monitor.core.topics import Topics

DEFAULT_DISCOVERY_PREFIX: Final = "homeassistant"
#: The monitor's presence as Home Assistant's availability payloads (``online`` / ``offline``, its defaults).
AVAILABILITY_TEMPLATE: Final = "{{ 'online' if value_json.online else 'offline' }}"
#: A discovery prefix: MQTT topic levels without wildcards.
PREFIX_RE: Final = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")


def check_prefix(prefix: str) -> str:
    """``prefix`` if it is a valid discovery prefix, else ``ValueError`` with the reason."""
    if not PREFIX_RE.match(prefix):
        raise ValueError(f"discovery prefix {prefix!r}: expected topic levels of [A-Za-z0-9_-], no wildcards")
    return prefix


@dataclass(frozen=True, slots=True)
class Entity:
    """One Home Assistant entity of a runner: read from the runner's ``leaf`` topic with ``template``."""

    component: str  # "sensor" or "binary_sensor"
    key: str  # stable: part of the unique id and of the discovery topic
    name: str
    template: str
    unit: str | None = None
    device_class: str | None = None
    state_class: str | None = None
    icon: str | None = None
    options: tuple[str, ...] = ()
    leaf: str = "status"
    attributes: bool = False  # the message's other keys as the entity's attributes (the alert)


def _value(key: str, *, percent: bool = False) -> str:
    """A status key as a template (a fraction as a percent, one decimal); ``None`` (unknown in Home Assistant) while the
    status carries null."""
    shown = f"(value_json.{key} * 100) | round(1)" if percent else f"value_json.{key}"
    return f"{{{{ none if value_json.{key} is none else {shown} }}}}"


ENTITIES: Final = (
    Entity("sensor", "risk", "Cramp risk index", _value("risk", percent=True), "%", icon="mdi:run",
           state_class="measurement"),
    Entity("sensor", "level", "Risk level", "{{ value_json.level }}", device_class="enum", options=LEVELS,
           icon="mdi:alert-circle-outline"),
    Entity("binary_sensor", "cramp_signs", "Cramp signs",
           "{{ 'ON' if value_json.acute_cramp else 'OFF' }}", device_class="problem"),
    Entity("sensor", "last_alert", "Last alert", "{{ value_json.message }}", icon="mdi:message-alert",
           leaf="alert", attributes=True),
    Entity("sensor", "heart_rate", "Heart rate", _value("hr"), "bpm", icon="mdi:heart-pulse",
           state_class="measurement"),
    Entity("sensor", "pace", "Pace", _value("pace"), "s/km", icon="mdi:timer-outline", state_class="measurement"),
    Entity("sensor", "cadence", "Cadence", _value("cadence"), "steps/min", icon="mdi:shoe-print",
           state_class="measurement"),
    Entity("sensor", "temperature", "Temperature", _value("temp"), "°C", device_class="temperature",
           state_class="measurement"),
    Entity("sensor", "fatigue", "Fatigue", _value("fatigue", percent=True), "%", icon="mdi:battery-60",
           state_class="measurement"),
    Entity("sensor", "sweat_loss", "Sweat loss", _value("sweat_loss_pct"), "%", icon="mdi:water-percent",
           state_class="measurement"),
    Entity("sensor", "distance", "Distance", _value("distance_m"), "m", device_class="distance",
           state_class="measurement"),
    Entity("sensor", "elapsed", "Running time", _value("elapsed_s"), "s", device_class="duration",
           state_class="measurement"),
    Entity("sensor", "signal", "Signal", "{{ value_json.signal }}", device_class="enum",
           options=("ok", "stale", "lost"), icon="mdi:access-point"),
    Entity("sensor", "session", "Session", "{{ value_json.session_state }}", device_class="enum",
           options=("live", "quiet", "finished"), icon="mdi:run"),
)  # fmt: skip


class Discovery:
    """Discovery messages for the runners a monitor publishes statuses of (see the module docstring).

    Remembers at most ``max_runners`` announced runners (the least recently announced is forgotten, and is
    announced again if it comes back)."""

    def __init__(
        self, topic_prefix: str, *, prefix: str = DEFAULT_DISCOVERY_PREFIX, max_runners: int = 100_000
    ) -> None:
        check_prefix(prefix)
        if max_runners < 1:
            raise ValueError("max_runners must be at least 1")
        self.topic_prefix = topic_prefix
        self.prefix = prefix
        self.max_runners = max_runners
        from monitor.cli import version  # the CLI module imports this one's constants

        self._origin = {"name": "crampwatch", "sw_version": version()}
        self._availability = Topics(topic_prefix).online
        self._announced: OrderedDict[tuple[str, str], str] = OrderedDict()  # (squad, athlete) -> name announced

    def announce(self, status: dict[str, Any]) -> list[tuple[str, bytes]]:
        """The retained config messages to publish before ``status`` (none when its runner is announced under
        the same name already)."""
        squad, athlete = status["squad"], status["athlete"]
        name = status.get("name") or athlete
        key = (squad, athlete)
        if self._announced.get(key) == name:
            return []
        self._announced[key] = name
        self._announced.move_to_end(key)
        while len(self._announced) > self.max_runners:
            self._announced.popitem(last=False)
        return [self._config(e, squad, athlete, name) for e in ENTITIES]

    def _config(self, e: Entity, squad: str, athlete: str, name: str) -> tuple[str, bytes]:
        node = f"crampwatch_{squad}_{athlete}"
        state_topic = f"{self.topic_prefix}/{squad}/{athlete}/{e.leaf}"
        config: dict[str, Any] = {
            "name": e.name,
            "unique_id": f"{node}_{e.key}",
            "state_topic": state_topic,
            "value_template": e.template,
            "device": {
                "identifiers": [node],
                "name": f"{name} (crampwatch)",
                "manufacturer": "crampwatch",
                "model": f"runner {athlete} of squad {squad}",
            },
            "origin": self._origin,
            "availability_topic": self._availability,
            "availability_template": AVAILABILITY_TEMPLATE,
        }
        optional = {"unit_of_measurement": e.unit, "device_class": e.device_class, "state_class": e.state_class,
                    "icon": e.icon}  # fmt: skip
        config.update({k: v for k, v in optional.items() if v is not None})
        if e.options:
            config["options"] = list(e.options)
        if e.attributes:
            config["json_attributes_topic"] = state_topic
        topic = f"{self.prefix}/{e.component}/{node}/{e.key}/config"
        return topic, json.dumps(config, ensure_ascii=False, separators=(",", ":")).encode()

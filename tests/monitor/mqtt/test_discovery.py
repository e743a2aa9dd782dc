"""Home Assistant MQTT discovery (``monitor --ha-discovery``): what is announced, when, and that every template
renders a runner's real statuses into values Home Assistant accepts; end to end over Mosquitto and amqtt."""

from __future__ import annotations

import asyncio
import json
from functools import cache
from typing import Any

import jinja2
import pytest

from monitor.cli import main
from monitor.core.pipeline import run_offline
from monitor.mqtt.discovery import ENTITIES, Discovery
from monitor.mqtt.presence import presence
from monitor.mqtt.service import Monitor
from tests.brokers import BrokerProcess
from tests.runs import EASY_PROFILE, HOT_PROFILE, Collector, easy_cool_run, hot_fast_run, publish_frames

_JINJA = jinja2.Environment(undefined=jinja2.StrictUndefined)  # a key a status lacks fails the test


@cache
def _compiled(template: str) -> jinja2.Template:
    """Each template compiled once (rendering is pure; compiling one per status and entity was most of the time)."""
    return _JINJA.from_string(template)


def _render(template: str, message: dict[str, Any]) -> str:
    return _compiled(template).render(value_json=message)


def test_a_runner_is_announced_once_and_again_when_renamed() -> None:
    d = Discovery("crampwatch/v1", max_runners=2)
    first = d.announce({"squad": "club", "athlete": "ann", "name": None})
    assert len(first) == len(ENTITIES)
    assert d.announce({"squad": "club", "athlete": "ann", "name": None}) == []
    configs = [json.loads(p) for _, p in first]
    assert {c["device"]["name"] for c in configs} == {"ann (crampwatch)"}  # no name yet: the athlete id
    assert len({c["unique_id"] for c in configs}) == len(ENTITIES)
    renamed = d.announce({"squad": "club", "athlete": "ann", "name": "Ann"})
    assert {json.loads(p)["device"]["name"] for _, p in renamed} == {"Ann (crampwatch)"}
    assert [t for t, _ in renamed] == [t for t, _ in first]  # the same entities, updated in place
    d.announce({"squad": "club", "athlete": "ben", "name": None})
    d.announce({"squad": "club", "athlete": "cat", "name": None})  # beyond max_runners: ann is forgotten
    assert len(d.announce({"squad": "club", "athlete": "ann", "name": "Ann"})) == len(ENTITIES)


def test_a_bad_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="no wildcards"):
        Discovery("crampwatch/v1", prefix="home/#")
    assert main(["monitor", "--broker", "mqtt://127.0.0.1:1", "--ha-discovery", "ha/+"]) == 2


def test_every_template_renders_real_statuses_and_alerts() -> None:
    """Numbers where the status has them, 'None' (unknown to Home Assistant) where it has null, an option of
    the enum otherwise — over every status of a run with alerts and one without a heart-rate strap."""
    hot = run_offline(hot_fast_run(), squad="club", athlete="hot", profile=HOT_PROFILE)
    strapless = [{k: v for k, v in f.streams().items() if k != "hr"} for f in easy_cool_run(minutes=12)]
    no_hr = run_offline(
        [type(f)(t=f.t, **s) for f, s in zip(easy_cool_run(minutes=12), strapless, strict=True)],
        squad="club", athlete="nohr", profile=EASY_PROFILE,
    )  # fmt: skip
    assert hot.alerts, "the hot run must raise alerts for the alert entity to be checked"
    announced = Discovery("p").announce(hot.statuses[0])
    configs = {e.key: json.loads(p) for e, (_, p) in zip(ENTITIES, announced, strict=True)}
    seen_none = set()
    for status in [*hot.statuses, *no_hr.statuses]:
        for e in ENTITIES:
            if e.leaf != "status":
                continue
            shown = _render(e.template, status)
            if e.options:
                assert shown in e.options, (e.key, shown)
            elif e.component == "binary_sensor":
                assert shown in ("ON", "OFF")
            elif shown == "None":
                seen_none.add(e.key)
            else:
                float(shown)  # a number: raises otherwise
    assert "heart_rate" in seen_none  # no strap: unknown, never 0
    assert {_render(configs["risk"]["value_template"], s) for s in hot.statuses[-3:]} == {
        str(round(s["risk"] * 100, 1)) for s in hot.statuses[-3:]
    }
    for alert in hot.alerts:
        assert _render(configs["last_alert"]["value_template"], alert.to_dict()) == alert.message


def test_entities_are_available_while_the_monitor_says_it_is_online() -> None:
    configs = [json.loads(p) for _, p in Discovery("crampwatch/v1").announce({"squad": "club", "athlete": "ann"})]
    assert {c["availability_topic"] for c in configs} == {"crampwatch/v1/_monitor/online"}
    (template,) = {c["availability_template"] for c in configs}
    # Home Assistant's default payloads: "online" available, "offline" not
    for payload, shown in ((presence(True, "cw-1"), "online"), (presence(False, "cw-1"), "offline"),
                           (presence(False, None), "offline"), (b'{"online": true}', "online")):  # fmt: skip
        assert _render(template, json.loads(payload)) == shown


async def _discovered(broker: Any, prefix: str, count: int) -> dict[str, dict[str, Any]]:
    """The retained discovery configs under ``prefix`` as a new subscriber gets them."""
    found: dict[str, dict[str, Any]] = {}
    async with broker.client() as client:
        await client.subscribe(f"{prefix}/#", qos=1)

        async def read() -> None:
            async for message in client.messages:
                if not str(message.topic).startswith(f"{prefix}/"):
                    # amqtt 0.12 sends a connecting client the retained messages of *every* filter any client has
                    # subscribed to (amqtt/broker.py, "publish any topic retained messages"): the statuses here
                    continue
                assert message.retain, message.topic
                found[str(message.topic)] = json.loads(message.payload)
                if len(found) >= count:
                    return

        await asyncio.wait_for(read(), timeout=30)
    return found


async def test_the_monitor_announces_runners_over_the_broker(any_broker_proc: BrokerProcess) -> None:
    broker = any_broker_proc.url
    frames = easy_cool_run(minutes=3)
    async with Monitor(broker, ha_discovery="ha") as monitor, Collector(broker) as seen:
        await monitor.wait_connected()
        await publish_frames(broker, "club", "ann", frames, profile=EASY_PROFILE)
        await seen.wait_for(lambda c: c.final_status("ann", frames[-1].t), timeout=60)
        serving = await _retained(broker, monitor.topics.online)
    # the configs left before the first status on the monitor's one connection: the broker holds them by now
    found = await _discovered(broker, "ha", len(ENTITIES))
    assert set(found) == {f"ha/{e.component}/crampwatch_club_ann/{e.key}/config" for e in ENTITIES}
    status_topics = {c["state_topic"] for c in found.values()}
    assert status_topics == {"crampwatch/v1/club/ann/status", "crampwatch/v1/club/ann/alert"}
    assert {c["device"]["name"] for c in found.values()} == {f"{EASY_PROFILE.name} (crampwatch)"}
    assert seen.statuses and all(s["athlete"] == "ann" for s in seen.statuses)  # where the entities read
    # the monitor has left: the presence its entities are available by now says offline
    (availability,) = {c["availability_topic"] for c in found.values()}
    (template,) = {c["availability_template"] for c in found.values()}
    left = await _retained(broker, availability)
    assert _render(template, serving) == "online" and _render(template, left) == "offline"


async def _retained(broker: Any, topic: str) -> dict[str, Any]:
    """The retained message on ``topic`` as a new subscriber gets it."""
    async with broker.client() as client:
        await client.subscribe(topic, qos=1)

        async def read() -> dict[str, Any]:
            async for message in client.messages:
                if str(message.topic) == topic:
                    assert message.retain
                    return dict(json.loads(message.payload))
            raise AssertionError("no message")

        return await asyncio.wait_for(read(), timeout=30)

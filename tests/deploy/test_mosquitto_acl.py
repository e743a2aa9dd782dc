"""deploy/mosquitto/crampwatch.acl against a real Mosquitto with a password file made by ``mosquitto_passwd``:
gateways act only as themselves, wrong passwords are refused, and the monitor and a coach work under the ACL."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from alerts.sinks.base import Sink
from monitor.core.wire import Topics, encode_ack, encode_frames, encode_session
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from simulators.frame import Frame
from tests.brokers import Mosquitto
from tests.runs import HOT_PROFILE, Collector, easy_cool_run, hot_fast_run, publish_frames

ACL = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "crampwatch.acl"
USERS = {
    "crampwatch-monitor": "monitor-pw",
    "coach": "coach-pw",
    "ann": "ann-pw",
    "bob": "bob-pw",
    "crampwatch-bridge": "bridge-pw",
}
T = Topics()


class Acks(Sink):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        self.event = asyncio.Event()

    async def on_ack(self, squad: str, athlete: str, alert_id: str) -> None:
        self.seen.append((squad, athlete, alert_id))
        self.event.set()

    async def wait(self, n: int) -> None:
        while len(self.seen) < n:
            self.event.clear()
            await asyncio.wait_for(self.event.wait(), 20)


@pytest.fixture
def acl_broker(tmp_path: Path) -> Any:
    if Mosquitto.binary() is None or shutil.which("mosquitto_passwd") is None:
        pytest.fail("mosquitto and mosquitto_passwd are needed (apt-get install mosquitto mosquitto-clients)")
    passwd = tmp_path / "crampwatch.passwd"
    passwd.touch(mode=0o600)
    for user, password in USERS.items():
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, password], check=True, capture_output=True)
    broker = Mosquitto(tmp_path, extra=f"password_file {passwd}\nacl_file {ACL}\n", anonymous=False)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def as_user(broker: Mosquitto, user: str, password: str | None = None) -> BrokerURL:
    return replace(broker.url, username=user, password=password or USERS[user])


@pytest.mark.broker
async def test_refused_without_the_right_password(acl_broker: Mosquitto) -> None:
    async def attempt(url: BrokerURL) -> str:
        with pytest.raises(aiomqtt.MqttError) as info:
            async with url.client():
                pass
        return str(info.value)

    async def scenario() -> list[str]:
        wrong = as_user(acl_broker, "ann", "not-anns-password")
        return [await attempt(wrong), await attempt(acl_broker.url)]  # wrong password, anonymous

    for message in await scenario():
        assert "authoriz" in message.lower() or "refused" in message.lower()


@pytest.mark.broker
async def test_gateways_act_only_as_themselves_and_the_monitor_works_under_the_acl(acl_broker: Mosquitto) -> None:
    bob_run = hot_fast_run(minutes=30)
    ann_run = easy_cool_run(minutes=3)
    acks = Acks()
    ann_received: list[tuple[str, Any]] = []

    async def ann_listens(ready: asyncio.Event) -> None:
        async with as_user(acl_broker, "ann").client() as client:
            await client.subscribe("crampwatch/v1/#", qos=1)  # asks for everything; gets only what it may read
            ready.set()
            async for msg in client.messages:
                ann_received.append((str(msg.topic), msg.payload))

    async def scenario() -> tuple[Collector, Monitor, int]:
        monitor_url, coach_url = as_user(acl_broker, "crampwatch-monitor"), as_user(acl_broker, "coach")
        async with Monitor(monitor_url, sinks=[acks]) as monitor, Collector(coach_url) as coach:
            await monitor.wait_connected()
            ready = asyncio.Event()
            listener = asyncio.create_task(ann_listens(ready))
            await asyncio.wait_for(ready.wait(), 10)
            # bob runs (not stopped: his alerts stay ackable); the coach sees his statuses and alerts
            await publish_frames(as_user(acl_broker, "bob"), "club", "bob", bob_run, profile=HOT_PROFILE, stop=False)
            await coach.wait_for(lambda c: c.final_status("bob", bob_run[-30].t), 60)
            bob_alerts = [a["id"] for a in coach.alerts if a["athlete"] == "bob"]
            bob_samples = monitor.router.pipelines[("club", "bob")].samples
            # ann forges: samples, an ack and a status as bob, an alert as herself; then runs for real
            forged = Frame(t=bob_run[-1].t + 1, hr=240.0, pace=200.0, cadence=120.0)
            async with as_user(acl_broker, "ann").client() as ann:
                await ann.publish(T.of("club", "bob", "frame"), encode_frames([forged]), qos=1)
                await ann.publish(T.of("club", "bob", "ack"), encode_ack(bob_alerts[0]), qos=1)
                await ann.publish(T.of("club", "bob", "status"), json.dumps({"forged": True}), qos=1)
                await ann.publish(T.of("club", "ann", "alert"), json.dumps({"id": "forged"}), qos=1)
                for i in range(0, len(ann_run), 60):
                    await ann.publish(T.of("club", "ann", "frame"), encode_frames(ann_run[i : i + 60]), qos=1)
                await ann.publish(T.of("club", "ann", "session"), encode_session(ann_run[-1].t, "stop"), qos=1)
            await coach.wait_for(lambda c: c.final_status("ann", ann_run[-1].t), 30)
            # ann's messages reach the monitor in order: her forged ones were handled before her last one
            assert acks.seen == [] and monitor.router.pipelines[("club", "bob")].samples == bob_samples
            # the coach and bob himself may ack bob's alerts
            async with coach_url.client() as c:
                await c.publish(T.of("club", "bob", "ack"), encode_ack(bob_alerts[0]), qos=1)
            await acks.wait(1)
            async with as_user(acl_broker, "bob").client() as b:
                await b.publish(T.of("club", "bob", "ack"), encode_ack(bob_alerts[1]), qos=1)
            await acks.wait(2)
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        return coach, monitor, len(bob_alerts)

    coach, monitor, n_bob_alerts = await scenario()
    assert n_bob_alerts >= 2
    assert [a[1] for a in acks.seen] == ["bob", "bob"]
    assert ("club", "bob") in monitor.router.pipelines and ("club", "ann") in monitor.router.pipelines
    assert not any(s.get("forged") for s in coach.statuses)
    assert not any(a.get("id") == "forged" for a in coach.alerts)
    topics = {topic for topic, _ in ann_received}
    assert T.of("club", "ann", "status") in topics  # ann reads her own status ...
    assert topics <= {T.of("club", "ann", "status"), T.of("club", "ann", "alert")}  # ... and nothing else


@pytest.mark.broker
async def test_the_bridge_turns_a_phones_owntracks_into_frames_and_writes_nothing_else(acl_broker: Mosquitto) -> None:
    """ann's phone (OwnTracks, logged in as ann) publishes her location; the bridge user reads it and writes her
    frame; neither may forge: ann not bob's location, the bridge not a status."""
    from monitor.gateway.bridge import Bridge
    from monitor.gateway.layouts import load_layout

    seen: list[tuple[str, Any]] = []
    got_frame = asyncio.Event()

    async def coach_reads(ready: asyncio.Event) -> None:
        async with as_user(acl_broker, "coach").client() as client:
            await client.subscribe("crampwatch/v1/#", qos=1)
            ready.set()
            async for msg in client.messages:
                seen.append((str(msg.topic), json.loads(bytes(msg.payload))))  # type: ignore[arg-type]
                if str(msg.topic).endswith("/ann/frame"):
                    got_frame.set()

    async def scenario() -> None:
        ready, stop = asyncio.Event(), asyncio.Event()
        reader = asyncio.create_task(coach_reads(ready))
        await asyncio.wait_for(ready.wait(), 10)
        bridge = Bridge(as_user(acl_broker, "crampwatch-bridge"), load_layout("owntracks"), "club")
        running = asyncio.create_task(bridge.run(stop))
        await asyncio.wait_for(bridge.subscribed.wait(), 10)
        location = {"_type": "location", "tst": 1_732_400_000, "vel": 12}
        async with as_user(acl_broker, "ann").client() as ann:
            await ann.publish("owntracks/bob/phone", json.dumps({**location, "vel": 20}), qos=1)  # not hers
            await ann.publish("owntracks/ann/phone", json.dumps(location), qos=1)
        await asyncio.wait_for(got_frame.wait(), 20)
        async with as_user(acl_broker, "crampwatch-bridge").client() as b:
            await b.publish(T.of("club", "ann", "status"), json.dumps({"forged": True}), qos=1)
            await b.publish(T.of("club", "ann", "frame"), json.dumps({"t": 1_732_400_001, "hr": 150}), qos=1)
        while len([topic for topic, _ in seen if topic.endswith("/ann/frame")]) < 2:  # the sentinel after the forgery
            got_frame.clear()
            await asyncio.wait_for(got_frame.wait(), 20)
        stop.set()
        await asyncio.wait_for(running, 20)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)

    await scenario()
    frames = [payload for topic, payload in seen if topic == T.of("club", "ann", "frame")]
    assert frames[0] == {"t": 1_732_400_000.0, "pace": 300.0}  # 12 km/h
    assert not any(topic.endswith("/bob/frame") for topic, _ in seen)  # ann could not publish bob's location
    assert not any(topic.endswith("/status") for topic, _ in seen)  # the bridge writes frames, never a status


@pytest.mark.broker
async def test_under_the_acl_a_second_monitor_sees_the_first_and_is_refused(acl_broker: Mosquitto) -> None:
    """The monitor user may read its presence: without it the look finds nothing and a second monitor would
    start beside the first."""
    from monitor.mqtt.presence import MonitorConflict

    url = as_user(acl_broker, "crampwatch-monitor")
    async with Monitor(url, identifier="acl-first", exclusive=True) as first:
        await first.wait_connected()
        async with Monitor(url, identifier="acl-second", exclusive=True) as second:
            with pytest.raises(MonitorConflict, match="'acl-first'"):
                await second.wait_connected()

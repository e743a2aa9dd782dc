"""``gateway bridge`` on real brokers: OwnTracks and ESPHome messages in, contract frames out (Mosquitto and the
embedded amqtt broker), rejections reported on ``_bridge/rejected``, and a live monitor's status from them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from monitor.core.topics import Topics
from monitor.gateway.bridge import Bridge
from monitor.gateway.layouts import load_layout
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from tests.brokers import BrokerProcess
from tests.runs import Collector

pytestmark = pytest.mark.broker

T = 1_732_400_000


class Seen:
    """Contract frames and the bridge's rejection reports, as a subscriber sees them."""

    def __init__(self) -> None:
        self.frames: list[tuple[str, dict[str, Any]]] = []  # (squad/athlete, frame)
        self.rejected: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    async def until(self, condition: Callable[[Seen], bool], timeout: float = 20.0) -> None:
        async def loop() -> None:
            while not condition(self):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(loop(), timeout)


@contextlib.asynccontextmanager
async def watching(broker: BrokerURL) -> AsyncIterator[Seen]:
    seen = Seen()
    subscribed = asyncio.Event()

    async def run() -> None:
        async with broker.client() as client:
            await client.subscribe("crampwatch/v1/+/+/frame", qos=1)
            await client.subscribe("crampwatch/v1/_bridge/rejected", qos=1)
            subscribed.set()
            async for msg in client.messages:
                assert isinstance(msg.payload, bytes)
                data = json.loads(msg.payload)
                if str(msg.topic).endswith("/rejected"):
                    seen.rejected.append(data)
                else:
                    who = "/".join(str(msg.topic).split("/")[2:4])
                    seen.frames.extend((who, f) for f in (data if isinstance(data, list) else [data]))
                seen.changed.set()

    task = asyncio.create_task(run())
    await asyncio.wait_for(subscribed.wait(), 20)
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def bridging(broker: BrokerURL, layout: str, squad: str = "club", **kw: Any) -> AsyncIterator[Bridge]:
    bridge = Bridge(broker, load_layout(layout), squad, **kw)
    stop = asyncio.Event()
    task = asyncio.create_task(bridge.run(stop, drain_s=10))
    await asyncio.wait_for(bridge.subscribed.wait(), 20)
    try:
        yield bridge
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def publish(broker: BrokerURL, messages: list[tuple[str, object]], *, retain: bool = False) -> None:
    async with broker.client() as client:
        for topic, payload in messages:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            await client.publish(topic, data, qos=1, retain=retain)


async def test_owntracks_to_contract_frames(any_broker_proc: BrokerProcess) -> None:
    broker = any_broker_proc.url
    loc = {"_type": "location", "lat": 52.37, "lon": 4.89, "acc": 5, "tid": "jd"}
    async with watching(broker) as seen, bridging(broker, "owntracks") as bridge:
        await publish(
            broker,
            [
                ("owntracks/jane.doe/phone", {**loc, "tst": T, "vel": 12}),
                ("owntracks/jane.doe/phone", {"_type": "lwt", "tst": T}),  # ignored
                ("owntracks/jane.doe/phone", b"{broken"),  # rejected
                ("owntracks/bob/pixel", {**loc, "tst": T + 1, "vel": 10}),
                ("owntracks/bob/pixel", {**loc, "tst": T + 2, "vel": 95}),  # in a car: out of range, rejected
                ("owntracks/jane.doe/phone", {**loc, "tst": T + 3}),  # no vel: standing still
            ],
        )
        await seen.until(lambda s: len(s.frames) >= 3 and len(s.rejected) >= 2)
    assert sorted(seen.frames, key=lambda x: x[1]["t"]) == [
        ("club/jane_doe", {"t": T, "pace": 300.0}),
        ("club/bob", {"t": T + 1, "pace": 360.0}),
        ("club/jane_doe", {"t": T + 3, "pace": 3600.0}),
    ]
    assert sorted(seen.rejected, key=lambda r: r["topic"]) == [
        {"topic": "owntracks/bob/pixel", "reason": "pace value out of range", "count": 1},
        {"topic": "owntracks/jane.doe/phone", "reason": "payload is not JSON", "count": 1},
    ]
    assert bridge.counts == {"messages": 6, "frames": 3, "rejected": 2, "ignored": 1}
    assert bridge.publisher.dropped == 0


async def test_esphome_numbers_at_arrival_time_and_retained_states_skipped(mosquitto: BrokerURL) -> None:
    await publish(mosquitto, [("ann/sensor/heart_rate/state", b"150")], retain=True)  # an old state
    async with watching(mosquitto) as seen, bridging(mosquitto, "esphome", squad="track") as bridge:
        before = time.time()
        await publish(
            mosquitto,
            [
                ("ann/sensor/heart_rate/state", b"142"),
                ("ann/sensor/speed/state", b"12.5"),
                ("ann/sensor/cadence/state", b"unavailable"),
                ("ann/sensor/temperature/state", b"21.5"),
            ],
        )
        await seen.until(lambda s: len(s.frames) >= 3 and len(s.rejected) >= 1)
        after = time.time()
    values = {k: v for _, f in seen.frames for k, v in f.items() if k != "t"}
    assert values == {"hr": 142.0, "pace": 288.0, "temp": 21.5}
    assert {who for who, _ in seen.frames} == {"track/ann"}
    assert all(before <= f["t"] <= after for _, f in seen.frames)  # arrival time at the bridge
    assert seen.rejected == [{"topic": "ann/sensor/cadence/state", "reason": "cadence value not a number", "count": 1}]
    assert bridge.counts["retained"] == 1 and bridge.counts["frames"] == 3


async def test_a_repeated_rejection_is_reported_with_its_running_count(mosquitto: BrokerURL) -> None:
    """Rate-limited like the monitor's: at most one report a second per (topic, reason), carrying the total."""
    async with watching(mosquitto) as seen, bridging(mosquitto, "esphome") as bridge:
        await publish(mosquitto, [("ann/sensor/heart_rate/state", b"999")] * 5)
        await seen.until(lambda s: any(r["count"] == 5 for r in s.rejected), timeout=10)
    reported = {(r["topic"], r["reason"]) for r in seen.rejected}
    assert reported == {("ann/sensor/heart_rate/state", "hr value out of range")}
    assert 1 <= len(seen.rejected) < 5 and bridge.counts["rejected"] == 5 and not seen.frames


async def test_owntracks_through_a_live_monitor(
    live_monitor: Monitor, collector: Collector, mosquitto: BrokerURL
) -> None:
    """A phone's locations for 90 s of event time at 12 km/h: the monitor's status shows the runner at 5:00/km."""
    async with bridging(mosquitto, "owntracks"):
        locations = [
            ("owntracks/jane/phone", {"_type": "location", "tst": T + i, "vel": 12, "lat": 52.0, "lon": 4.9})
            for i in range(90)
        ]
        await publish(mosquitto, locations)
        await collector.wait_for(lambda c: any(s["athlete"] == "jane" and s["t"] >= T + 60 for s in c.statuses), 60)
    status = next(s for s in collector.statuses if s["athlete"] == "jane" and s["t"] >= T + 60)
    assert status["squad"] == "club" and status["pace"] == pytest.approx(300.0, abs=1)
    assert status["hr"] is None  # OwnTracks has no heart rate: unknown, not invented
    assert live_monitor.router.counters["rejected"] == 0


def test_topics_prefix_moves_the_rejected_topic() -> None:
    bridge = Bridge(BrokerURL("127.0.0.1", 1), load_layout("owntracks"), "club", topics=Topics("club/v1"))
    assert bridge.rejected_topic == "club/v1/_bridge/rejected"

"""Gateway → Mosquitto → monitor → alert back → shown by the gateway, with a fake notifier that replays spec
byte vectors of a hot, too-fast run on a fake host clock; and the buffer while the broker is away."""

from __future__ import annotations

import asyncio
import io
import struct
from collections.abc import Callable, Sequence

import pytest

from monitor.core.wire import encode_profile
from monitor.gateway.gateway import Gateway
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from simulators.frame import Frame
from tests.brokers import BrokerProcess
from tests.runs import HOT_PROFILE, Collector, hot_fast_run

pytestmark = pytest.mark.broker

Callback = Callable[[bytes], None]


def hr_bytes(bpm: float, rr_s: float) -> bytes:
    """Heart Rate Measurement: uint8 value, contact supported and detected, one RR interval."""
    return bytes([0x16, round(bpm)]) + struct.pack("<H", round(rr_s * 1024))


def rsc_bytes(pace: float, cadence: float) -> bytes:
    """RSC Measurement: running, speed in 1/256 m/s, cadence 1/min, total distance absent."""
    return bytes([0x04]) + struct.pack("<HB", round(1000.0 / pace * 256), round(cadence))


class FakeClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class FakeNotifier:
    """Delivers a recorded run's notifications (HR at +0.2 s, foot pod at +0.6 s of each second), then waits."""

    def __init__(self, frames: Sequence[Frame], clock: FakeClock) -> None:
        self.frames, self.clock = frames, clock
        self.done = asyncio.Event()

    async def run(self, on_heart_rate: Callback, on_running: Callback, stop: asyncio.Event) -> None:
        for i, f in enumerate(self.frames):
            assert f.hr is not None and f.pace is not None and f.cadence is not None
            self.clock.t = f.t + 0.2
            on_heart_rate(hr_bytes(f.hr, 60.0 / f.hr))
            self.clock.t = f.t + 0.6
            on_running(rsc_bytes(f.pace, f.cadence))
            if i % 200 == 0:
                await asyncio.sleep(0)  # let the publisher work, as a radio would between notifications
        self.done.set()
        await stop.wait()


async def test_gateway_to_monitor_and_the_alert_back(mosquitto: BrokerURL) -> None:
    broker = mosquitto
    frames = hot_fast_run(minutes=50)
    clock = FakeClock(frames[0].t)
    out = io.StringIO()
    gateway = Gateway(broker, "club", "strap", out=out, clock=clock, temp=30.0, profile=encode_profile(HOT_PROFILE))
    stop = asyncio.Event()
    async with Monitor(broker) as monitor, Collector(broker) as seen:
        await monitor.wait_connected()
        notifier = FakeNotifier(frames, clock)
        task = asyncio.create_task(gateway.run(notifier, stop))
        await asyncio.wait_for(gateway.alert_seen.wait(), 90)
        await asyncio.wait_for(notifier.done.wait(), 30)
        stop.set()
        await asyncio.wait_for(task, 30)
        await seen.wait_for(lambda c: c.final_status("strap", frames[-1].t), timeout=60)

    # what the monitor computed from the gateway's frames is the run that was fed in
    statuses = [s for s in seen.statuses if s["athlete"] == "strap"]
    mid = next(s for s in statuses if s["t"] >= frames[0].t + 1500)
    fed = frames[int(mid["t"] - frames[0].t)]
    assert mid["hr"] == pytest.approx(fed.hr, abs=6)
    assert mid["cadence"] == pytest.approx(fed.cadence, abs=4)
    assert mid["pace"] == pytest.approx(fed.pace, rel=0.05)
    assert mid["temp"] == 30.0
    assert gateway.publisher.frames_sent == len(frames) and gateway.publisher.dropped == 0
    # the alert came back and was shown in the terminal: one line per alert, with its message
    assert gateway.alerts and {a["id"] for a in gateway.alerts} <= {a["id"] for a in seen.alerts}
    shown = out.getvalue().splitlines()
    assert len(shown) == len(gateway.alerts)
    assert gateway.alerts[0]["message"] in shown[0]
    assert shown[0].split()[1] == gateway.alerts[0]["level"].upper()


async def test_frames_wait_for_the_broker_and_none_are_lost(persistent_mosquitto: BrokerProcess) -> None:
    frames = [Frame(t=1_732_400_000.0 + i, hr=140.0, pace=330.0, cadence=170.0) for i in range(120)]
    clock = FakeClock(frames[0].t)
    url = persistent_mosquitto.url
    async with Monitor(url, identifier="crampwatch-test-gateway") as first:
        # the monitor's session exists before the outage (the broker keeps it across the restart): the gateway,
        # retrying every 0.1 s, may be back before the monitor is, and what it sends then waits for the monitor
        await first.wait_connected()
    await asyncio.to_thread(persistent_mosquitto.stop)
    gateway = Gateway(url, "club", "away", clock=clock)
    gateway.publisher.reconnect_min_s = gateway.publisher.reconnect_max_s = 0.1
    notifier = FakeNotifier(frames, clock)
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(notifier, stop, drain_s=30))
    await asyncio.wait_for(notifier.done.wait(), 10)
    assert gateway.publisher.pending >= 119 and gateway.publisher.frames_sent == 0  # buffered, nothing lost
    await asyncio.to_thread(persistent_mosquitto.start)
    async with Monitor(url, identifier="crampwatch-test-gateway") as monitor:
        await monitor.wait_connected()
        await asyncio.wait_for(gateway.publisher.connected.wait(), 20)
        stop.set()
        await asyncio.wait_for(task, 40)
        assert gateway.publisher.pending == 0
        assert gateway.publisher.frames_sent == len(frames)

        async def applied() -> None:
            while monitor.router.counters["samples"] < 3 * len(frames):
                await asyncio.sleep(0.05)

        await asyncio.wait_for(applied(), 20)
    assert monitor.router.counters["rejected"] == 0

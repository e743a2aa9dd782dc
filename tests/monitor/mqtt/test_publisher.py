"""The publisher over a real Mosquitto (issue 11): statuses keep pace with processing under a backlog, the outbox
stays small, and an overflowing outbox drops old statuses, never an alert (with the direct publisher, the default,
and with the awaited one, ``Monitor(direct_publish=False)``). Pipelined alerts: test_pipelined_alerts.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from alerts.sinks.base import Sink
from monitor.core.pipeline import OfflineResult, run_offline
from monitor.core.wire import Topics, encode_frames, encode_profile, encode_session
from monitor.mqtt.service import Monitor
from simulators.frame import Frame
from tests.brokers import BrokerProcess
from tests.proxy import TcpProxy
from tests.runs import HOT_PROFILE, Collector, hot_fast_run, publish_frames

pytestmark = pytest.mark.broker
TOPICS = Topics()


async def test_a_backlog_reaches_a_subscriber_and_the_outbox_stays_small(mosquitto_proc: BrokerProcess) -> None:
    runs = {f"b{i:02d}": hot_fast_run(minutes=6, seed=i) for i in range(20)}
    expected = {  # the ticks, then the session's end (the stop message)
        a: [s["t"] for s in run_offline(fr, squad="club", athlete=a, profile=HOT_PROFILE).statuses] + [fr[-1].t]
        for a, fr in runs.items()
    }
    identifier = "crampwatch-test-backlog"

    class Gate(Sink):
        """Holds the processing loop at the first status until the publisher runs."""

        def __init__(self) -> None:
            self.open = asyncio.Event()

        async def on_status(self, status: dict[str, Any]) -> None:
            await self.open.wait()

    async def scenario() -> tuple[Collector, Monitor]:
        url = mosquitto_proc.url
        async with Monitor(url, identifier=identifier) as first:
            await first.wait_connected()  # the session exists: the broker keeps what arrives while it is away
        await asyncio.gather(
            *(publish_frames(url, "club", a, fr, profile=HOT_PROFILE, chunk=10) for a, fr in runs.items())
        )
        # the backlog comes at once (before the SUBACKs); each 10-frame message makes 2 statuses, so a 50-message
        # batch makes ≤ 100
        gate = Gate()
        monitor = Monitor(url, identifier=identifier, batch_size=50, quiet_s=60, sinks=[gate])
        async with Collector(url) as seen, monitor:
            await monitor.wait_connected()  # the publisher runs from here on
            gate.open.set()
            await seen.wait_for(lambda c: all(c.final_status(a, fr[-1].t) for a, fr in runs.items()), 120)
        return seen, monitor

    seen, monitor = await scenario()
    got: dict[str, list[float]] = {a: [] for a in runs}
    for s in seen.statuses:
        got[s["athlete"]].append(s["t"])
    assert got == expected  # every status, in order, none twice
    total = sum(len(ts) for ts in expected.values())
    assert monitor.counters["published"] >= total and monitor._outbox.dropped == 0
    # statuses leave as fast as batches make them (before: one status per 2+ event-loop turns, ~all piled up)
    assert monitor._outbox.high_water <= 300, (monitor._outbox.high_water, total)
    # the statuses made within HOLD_S of each other leave in one send() (monitor.mqtt.sendbuf), not one each: a
    # tick takes ~0.5 ms here, so 3-4 a send
    assert monitor.counters["socket_writes"] <= total / 2, (monitor.counters["socket_writes"], total)


def overflow_run() -> tuple[list[Frame], OfflineResult, list[tuple[str, bytes]]]:
    frames = hot_fast_run(minutes=40)
    reference = run_offline(frames, squad="club", athlete="over", profile=HOT_PROFILE)
    batch = [(TOPICS.of("club", "over", "profile"), encode_profile(HOT_PROFILE))]
    batch += [(TOPICS.of("club", "over", "frame"), encode_frames(frames[i : i + 60])) for i in range(0, 2400, 60)]
    batch += [(TOPICS.of("club", "over", "session"), encode_session(frames[-1].t, "stop"))]
    return frames, reference, batch


async def test_an_overflowing_outbox_drops_old_statuses_never_an_alert(mosquitto_proc: BrokerProcess) -> None:
    """The awaited publisher: an ack first in line holds everything after it until its PUBACK."""
    frames, reference, batch = overflow_run()
    alerts = len(reference.alerts)
    size = 2 * alerts + 10  # every alert is two messages (athlete topic, coach feed)

    async def scenario() -> tuple[Collector, Monitor]:
        url = mosquitto_proc.url
        async with Monitor(url, outbox_size=size, direct_publish=False) as monitor, Collector(url) as seen:
            await monitor.wait_connected()
            # one event-loop turn: the ack (QoS 1, first in line until the broker's PUBACK comes back) holds
            # everything after it in the outbox
            monitor.publish_ack("club", "over", "no-such-alert")
            await monitor.process_batch(batch)
            await seen.wait_for(lambda c: len(c.alerts) >= alerts and c.final_status("over", frames[-1].t), 30)
        return seen, monitor

    seen, monitor = await scenario()
    check_overflow(seen, monitor, frames, reference, size)


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "awaited"])
async def test_an_outbox_overflowing_while_the_broker_is_away_drops_old_statuses_never_an_alert(
    mosquitto_proc: BrokerProcess, direct: bool
) -> None:
    """Both publishers (the direct one writes through and pipelines alerts while connected, so the outbox fills
    only while the broker is away): the monitor reaches the broker through a proxy that cuts the connection and
    holds the next one while the batch is processed."""
    frames, reference, batch = overflow_run()
    alerts = len(reference.alerts)
    size = 2 * alerts + 10

    async def scenario() -> tuple[Collector, Monitor]:
        url = mosquitto_proc.url
        async with TcpProxy(mosquitto_proc.port) as proxy, Collector(url) as seen:
            monitor = Monitor(proxy.url, outbox_size=size, direct_publish=direct, reconnect_min_s=0.05)
            async with monitor:
                await monitor.wait_connected()
                proxy.cut(reopen=False)
                await asyncio.wait_for(proxy.attempt.wait(), 10)  # the monitor lost the broker and tries again
                monitor.publish_ack("club", "over", "no-such-alert")
                await monitor.process_batch(batch)
                proxy.let_through()
                await seen.wait_for(lambda c: len(c.alerts) >= alerts and c.final_status("over", frames[-1].t), 30)
        return seen, monitor

    seen, monitor = await scenario()
    check_overflow(seen, monitor, frames, reference, size)


def check_overflow(seen: Collector, monitor: Monitor, frames: list[Frame], reference: OfflineResult, size: int) -> None:
    alerts = len(reference.alerts)
    assert alerts >= 2
    assert [a["id"] for a in seen.alerts] == [a.id for a in reference.alerts]  # all of them, in order
    statuses = [s["t"] for s in reference.statuses] + [frames[-1].t]  # the ticks, then the session's end
    kept = size - 2 * alerts - 1
    assert monitor.router.counters["statuses"] == len(statuses)
    assert monitor._outbox.dropped == len(statuses) - kept
    assert [s["t"] for s in seen.statuses] == statuses[-kept:]  # the newest survive

"""Pipelined alerts (issue 11) over a real Mosquitto: the monitor talks to the broker through a TCP proxy that can
hold the broker → monitor direction (the PUBACKs wait in the proxy), cut the connection and hold the next one.
A subscriber on the broker itself sees what reached the wire, in arrival order."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from alerts.alert import Alert
from monitor.mqtt.service import Monitor
from tests.brokers import BrokerProcess
from tests.proxy import TcpProxy

pytestmark = pytest.mark.broker


def alert(n: int) -> Alert:
    return Alert(id=f"a{n}", t=float(n), squad="club", athlete="ann", level="warning", kind="hydrate", risk=0.6,
                 message="Drink now", detail="", factors={})  # fmt: skip


def status(t: float) -> dict[str, Any]:
    return {"squad": "club", "athlete": "ann", "t": t}


def label(topic: str, payload: bytes) -> str:
    """``s<t>`` for a status, ``a<n>`` for alert n on the athlete's topic, ``c<n>`` on the coach feed."""
    data, leaf = json.loads(payload), topic.rsplit("/", 1)[1]
    if leaf == "status":
        return f"s{data['t']:g}"
    ident = str(data["id"])
    return ident if leaf == "alert" else "c" + ident[1:]


class Wire:
    """A subscriber on the broker: statuses (``s<t>``), alerts (``a<n>``) and the coach feed (``c<n>``) in the
    order they arrive."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.changed = asyncio.Event()

    async def run(self, proc: BrokerProcess, ready: asyncio.Event) -> None:
        async with proc.url.client() as client:
            for topic in ("crampwatch/v1/+/+/status", "crampwatch/v1/+/+/alert", "crampwatch/v1/_coach/+/alerts"):
                await client.subscribe(topic, qos=1)
            ready.set()
            async for msg in client.messages:
                assert isinstance(msg.payload, bytes)
                self.seen.append(label(str(msg.topic), msg.payload))
                self.changed.set()

    async def wait_for(self, condition: Callable[[list[str]], bool], timeout: float = 10.0) -> None:
        async def until() -> None:
            while not condition(self.seen):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(until(), timeout)


@pytest_asyncio.fixture
async def wire(mosquitto_proc: BrokerProcess) -> AsyncIterator[Wire]:
    sub, ready = Wire(), asyncio.Event()
    task = asyncio.create_task(sub.run(mosquitto_proc, ready))
    await asyncio.wait_for(ready.wait(), 10)
    yield sub
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest_asyncio.fixture
async def proxy(mosquitto_proc: BrokerProcess) -> AsyncIterator[TcpProxy]:
    async with TcpProxy(mosquitto_proc.port) as p:
        yield p


async def test_a_status_after_an_alert_leaves_while_the_alerts_puback_is_held(proxy: TcpProxy, wire: Wire) -> None:
    async with Monitor(proxy.url) as monitor:
        await monitor.wait_connected()
        proxy.hold()  # no PUBACK reaches the monitor from here on
        before = monitor.counters["published"]
        await monitor.publish_alert(alert(1))  # two QoS-1 messages: the athlete's topic and the coach feed
        monitor._publish_status(status(5))
        await wire.wait_for(lambda seen: "s5" in seen)
        assert wire.seen == ["a1", "c1", "s5"]
        assert monitor.counters["published"] == before + 1  # the status; the alert is not acknowledged yet
        assert not monitor._outbox.items and not monitor._outbox.drained.is_set()
        proxy.release()
        await asyncio.wait_for(monitor._outbox.drained.wait(), 10)  # both PUBACKs read
        assert monitor.counters["published"] == before + 3 and monitor.counters["publish_timeouts"] == 0


async def test_status_alert_status_reach_the_wire_in_put_order(proxy: TcpProxy, wire: Wire) -> None:
    async with Monitor(proxy.url) as monitor:
        await monitor.wait_connected()
        proxy.hold()
        for n in range(1, 4):  # three alerts in one turn, each between statuses
            monitor._publish_status(status(10 * n))
            await monitor.publish_alert(alert(n))
            monitor._publish_status(status(10 * n + 5))
        expected = ["s10", "a1", "c1", "s15", "s20", "a2", "c2", "s25", "s30", "a3", "c3", "s35"]
        await wire.wait_for(lambda seen: len(seen) >= len(expected))
        assert wire.seen == expected  # all of it while no PUBACK came back
        proxy.release()
        await asyncio.wait_for(monitor._outbox.drained.wait(), 10)


async def test_an_alert_unacknowledged_when_the_connection_drops_is_published_again_first(
    proxy: TcpProxy, wire: Wire
) -> None:
    async with Monitor(proxy.url, reconnect_min_s=0.05) as monitor:
        await monitor.wait_connected()
        before = monitor.counters["published"]
        proxy.hold()
        await monitor.publish_alert(alert(1))
        monitor._publish_status(status(5))
        await wire.wait_for(lambda seen: "s5" in seen)  # the broker has the alert; its PUBACK waits in the proxy
        proxy.cut(reopen=False)  # the PUBACK is lost with the connection; the next one is held
        await asyncio.wait_for(proxy.attempt.wait(), 10)  # the monitor noticed and connects again
        assert not monitor.connected and [i[0].rsplit("/", 1)[1] for i in monitor._outbox.items] == ["alert", "alerts"]
        monitor._publish_status(status(10))  # put after the alert, while away
        proxy.let_through()
        await monitor.wait_connected(connects=2)
        await wire.wait_for(lambda seen: "s10" in seen)
        assert wire.seen == ["a1", "c1", "s5", "a1", "c1", "s10"]  # again, before what was put after it
        await asyncio.wait_for(monitor._outbox.drained.wait(), 10)
        # counted once: the two alert messages when acknowledged on the second connection, and the two statuses
        assert monitor.counters["published"] == before + 4


async def test_alerts_beyond_the_inflight_bound_wait_and_arrive_in_order(proxy: TcpProxy, wire: Wire) -> None:
    async with Monitor(proxy.url, publish_inflight=3) as monitor:
        await monitor.wait_connected()
        proxy.hold()
        for n in range(1, 4):
            await monitor.publish_alert(alert(n))
            monitor._publish_status(status(n))
        # a1, c1, a2 in flight (the bound); c2 waits first in the outbox, and everything after it
        await wire.wait_for(lambda seen: "s1" in seen and "a2" in seen)
        assert [label(topic, payload) for topic, payload, *_ in monitor._outbox.items] == ["c2", "s2", "a3", "c3", "s3"]
        assert wire.seen == ["a1", "c1", "s1", "a2"]
        proxy.release()  # PUBACKs free the slots: the rest follows
        await wire.wait_for(lambda seen: "s3" in seen)
        assert wire.seen == ["a1", "c1", "s1", "a2", "c2", "s2", "a3", "c3", "s3"]
        await asyncio.wait_for(monitor._outbox.drained.wait(), 10)
        assert monitor.counters["publish_timeouts"] == 0


async def test_an_alert_not_acknowledged_in_time_is_counted_and_frees_its_slot(proxy: TcpProxy, wire: Wire) -> None:
    async with Monitor(proxy.url, publish_inflight=2, publish_timeout_s=0.5) as monitor:
        await monitor.wait_connected()
        proxy.hold()  # a stalled broker, as the monitor sees it
        await monitor.publish_alert(alert(1))
        await monitor.publish_alert(alert(2))  # waits for a slot: the bound is two messages
        await wire.wait_for(lambda seen: "c2" in seen)  # after the timeout the slots are free again
        assert monitor.counters["publish_timeouts"] >= 2 and monitor.counters["task_restarts"] == 0
        published = monitor.counters["published"]
        proxy.release()
        await monitor.publish_alert(alert(3))  # its PUBACK comes after the late ones
        await asyncio.wait_for(monitor._outbox.drained.wait(), 10)
        assert wire.seen == ["a1", "c1", "a2", "c2", "a3", "c3"]
        assert monitor.counters["published"] == published + 6  # late PUBACKs still count, once each

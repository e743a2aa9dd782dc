"""The documented queue policy: a full inbox stops reading (tested over a broker in test_durable.py) and beyond
that refuses, counts and reports; a full outbox drops the oldest status,
never an alert."""

from __future__ import annotations

import asyncio
import json

import pytest

from alerts.alert import Alert
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.embedded import free_port
from monitor.mqtt.service import Monitor


async def test_a_receiver_that_cannot_stop_reading_refuses_beyond_twice_the_bound_counts_and_reports() -> None:
    async def scenario() -> Monitor:
        monitor = Monitor(BrokerURL("127.0.0.1", 1), queue_size=2)
        for i in range(7):
            monitor._receiver.put("crampwatch/v1/club/ann/hr", json.dumps({"t": i, "v": 150}).encode())
        return monitor

    monitor = await scenario()
    assert len(monitor._inbox) == 4 and monitor._inbox.full  # full at 2: a paho receiver stops reading there
    assert monitor.counters["overload"] == 3
    reports = [json.loads(p) for topic, p, _, _ in monitor._outbox.items if topic.endswith("_monitor/rejected")]
    assert reports and reports[0]["reason"] == "monitor overloaded"
    assert monitor.rejects.counts[("crampwatch/v1/club/ann/hr", "monitor overloaded")] == 3


async def test_full_outbox_drops_oldest_status_and_keeps_alerts() -> None:
    async def scenario() -> Monitor:
        monitor = Monitor(BrokerURL("127.0.0.1", 1), outbox_size=3)
        alert = Alert(id="a1", t=1.0, squad="club", athlete="ann", level="warning", kind="hydrate", risk=0.6,
                      message="Drink now", detail="", factors={})  # fmt: skip
        await monitor.publish_alert(alert)  # two messages: athlete topic and coach feed
        for t in range(5):
            monitor._publish_status({"squad": "club", "athlete": "ann", "t": t})
        return monitor

    monitor = await scenario()
    items = monitor._outbox.items
    assert len(items) == 3 and monitor._outbox.dropped == 4
    assert [topic.rsplit("/", 1)[1] for topic, *_ in items] == ["alert", "alerts", "status"]
    assert json.loads(items[-1][1])["t"] == 4  # the newest snapshot survives


async def test_full_outbox_keeps_home_assistant_configs() -> None:
    """Discovery configs are retained like a status but are not superseded by the next status: kept."""

    async def scenario() -> Monitor:
        monitor = Monitor(BrokerURL("127.0.0.1", 1), outbox_size=16, ha_discovery="homeassistant")
        for t in range(5):
            monitor._publish_status({"squad": "club", "athlete": "ann", "name": "Ann", "t": t})
        return monitor

    monitor = await scenario()
    leaves = [topic.rsplit("/", 1)[1] for topic, *_ in monitor._outbox.items]
    assert leaves.count("config") == 14 and leaves[-1] == "status"  # 14 entities, the newest status
    assert monitor._outbox.dropped == 3


async def test_a_task_that_dies_is_logged_counted_and_restarted(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> Monitor:
        monitor = Monitor(BrokerURL("127.0.0.1", free_port()), reconnect_min_s=0.05, quiet_s=0.2)
        calls: list[float] = []
        again = asyncio.Event()
        original = monitor._check_idle

        async def flaky(now: float) -> None:
            calls.append(now)
            if len(calls) == 1:
                raise RuntimeError("boom")
            if len(calls) >= 3:
                again.set()
            await original(now)

        monitor._check_idle = flaky  # type: ignore[method-assign]
        async with monitor:
            await asyncio.wait_for(again.wait(), 10)  # the housekeeping task runs again after dying
        return monitor

    monitor = await scenario()
    assert monitor.counters["task_restarts"] == 1 and monitor.counters["task_restarts:housekeeping"] == 1
    assert any("task housekeeping died" in r.getMessage() for r in caplog.records)

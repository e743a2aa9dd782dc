"""``/metrics`` and ``/healthz`` of a monitor on a real Mosquitto (end to end: gateway frames in, scrape out)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.coach.live import LiveView
from monitor.core.wire import Topics, encode_frames, encode_session
from monitor.http import serve
from monitor.http.ops import check
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from simulators.frame import Frame
from tests.brokers import BrokerProcess
from tests.runs import HOT_PROFILE, T0, Collector, hot_fast_run, publish_frames

pytestmark = pytest.mark.broker

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(http: aiohttp.ClientSession) -> Samples:
    async with http.get("/metrics") as res:
        assert res.status == 200
        assert res.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await res.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def total(samples: Samples, name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and want <= set(lab))


async def until(check_: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    """Wait until ``check_()`` is true (re-checked every 50 ms), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not await check_():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_metrics_move_during_an_end_to_end_run(mosquitto_proc: BrokerProcess) -> None:
    broker = mosquitto_proc.url
    topics = Topics()
    frames = hot_fast_run(minutes=30)
    view = LiveView()
    async with Monitor(broker, sinks=[view]) as monitor, Collector(broker) as seen:
        await monitor.wait_connected()
        server = await serve(view, "127.0.0.1", 0, ack=monitor.publish_ack, monitor=monitor)
        try:
            async with aiohttp.ClientSession(base_url=server.url) as http:
                before = await scrape(http)
                assert total(before, "crampwatch_messages_in_total") == 0
                assert total(before, "crampwatch_broker_connected") == 1
                await publish_frames(broker, "club", "hot", frames, profile=HOT_PROFILE, stop=False)
                async with broker.client() as client:
                    frame_topic = topics.of("club", "hot", "frame")
                    await client.publish(frame_topic, b"{not json", qos=1)
                    await client.publish(frame_topic, json.dumps({"t": frames[-1].t, "hr": 999}).encode(), qos=1)
                    late = Frame(t=T0 + 10, hr=150.0, pace=300.0, cadence=170.0)
                    await client.publish(frame_topic, encode_frames([late]), qos=1)
                    stop = encode_session(frames[-1].t, "stop")
                    await client.publish(topics.of("club", "hot", "session"), stop, qos=1)
                await seen.wait_for(lambda c: c.final_status("hot", frames[-1].t) and len(c.rejected) >= 2)
                await monitor._drain()  # everything handled and published
                after = await scrape(http)
        finally:
            await server.close()

    messages = monitor.router.counters["messages"]
    assert total(after, "crampwatch_messages_in_total") == messages > len(frames) // 60
    assert total(after, "crampwatch_samples_accepted_total") == monitor.router.counters["samples"] >= 3 * len(frames)
    assert total(after, "crampwatch_rejections_total") == 2
    assert total(after, "crampwatch_rejections_total", reason="payload is not UTF-8 JSON") == 1
    assert total(after, "crampwatch_late_drops_total") >= 1
    statuses = monitor.router.counters["statuses"]
    assert statuses > 300
    assert total(after, "crampwatch_tick_seconds_count") == statuses
    assert total(after, "crampwatch_ingest_seconds_count") == messages
    assert total(after, "crampwatch_tick_seconds_sum") > 0
    alerts = total(after, "crampwatch_alerts_total")
    assert alerts == len(seen.alerts) > 0
    for alert in seen.alerts:
        assert total(after, "crampwatch_alerts_total", kind=alert["kind"], level=alert["level"]) >= 1
    assert total(after, "crampwatch_athletes") == 1
    assert total(after, "crampwatch_sessions_active") == 0  # the stop ended it
    assert total(after, "crampwatch_queue_depth", queue="incoming") == 0
    assert total(after, "crampwatch_broker_connects_total") == 1
    # the run allocated enough for young collections: each was timed (monitor.gcguard)
    assert total(after, "crampwatch_gc_pause_seconds_total", generation="0") > 0
    assert total(after, "crampwatch_gc_pause_max_seconds", generation="0") > 0
    assert ("crampwatch_gc_frozen_objects", ()) in after


async def test_healthz_follows_the_broker(mosquitto_proc: BrokerProcess) -> None:
    view = LiveView()
    async with Monitor(mosquitto_proc.url, reconnect_min_s=0.05, reconnect_max_s=0.2) as monitor:
        await monitor.wait_connected()
        server = await serve(view, "127.0.0.1", 0, ack=monitor.publish_ack, monitor=monitor)
        try:
            async with aiohttp.ClientSession(base_url=server.url) as http:

                async def health() -> tuple[int, dict[str, Any]]:
                    async with http.get("/healthz") as res:
                        return res.status, await res.json()

                code, body = await health()
                assert (code, body["ok"], body["reason"], body["broker"]) == (200, True, None, "connected")

                await asyncio.to_thread(mosquitto_proc.stop)
                await until(lambda: _is(health, 503))
                code, body = await health()
                assert body == body | {"ok": False, "reason": "broker not connected", "broker": "disconnected"}

                await asyncio.to_thread(mosquitto_proc.start)
                await monitor.wait_connected(timeout=20, connects=2)
                code, body = await health()
                assert (code, body["ok"]) == (200, True)
                metrics = await scrape(http)
                assert total(metrics, "crampwatch_broker_connects_total") == 2
                assert total(metrics, "crampwatch_broker_reconnect_attempts_total") >= 1
        finally:
            await server.close()


async def _is(health: Callable[[], Awaitable[tuple[int, dict[str, Any]]]], code: int) -> bool:
    return (await health())[0] == code


async def test_healthz_is_503_when_an_active_session_goes_silent(mosquitto: BrokerURL, live_monitor: Monitor) -> None:
    monitor = live_monitor
    frames = hot_fast_run(minutes=1)
    await publish_frames(mosquitto, "club", "quiet", frames, stop=False)

    async def handled() -> bool:
        return monitor.router.counters["samples"] >= 3 * len(frames)

    await until(handled)
    assert monitor.last_input_at is not None
    fresh = check(monitor, now=monitor.last_input_at + 5)
    assert fresh.ok and fresh.body["sessions"] == 1
    silent = check(monitor, now=monitor.last_input_at + 61)
    assert not silent.ok
    assert silent.reason == "no data for more than 60 s while 1 session(s) are active"

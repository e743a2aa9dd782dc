"""A session start whose optional ``plan`` or ``target_pace`` is invalid is taken, live on Mosquitto: the session
starts at its time, the valid field is kept, the bad one dropped and reported on ``_monitor/rejected`` (as a
profile's bad field is); before, the whole start was rejected and the session began at the first sample."""

from __future__ import annotations

from monitor.core.wire import Topics
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from tests.runs import EASY_PROFILE, T0, Collector, easy_cool_run, publish_frames

START = T0 - 30.0  # the gateway's start, half a minute before the first sample


async def test_start_with_a_bad_plan_is_taken_and_the_field_reported(
    mosquitto: BrokerURL, live_monitor: Monitor, collector: Collector
) -> None:
    assert live_monitor.connected
    topics = Topics()
    session_topic = topics.of("club", "ann", "session")
    async with mosquitto.client() as client:
        payload = f'{{"t": {START}, "event": "start", "plan": "recovery", "target_pace": 290}}'
        await client.publish(session_topic, payload.encode(), qos=1)
    await publish_frames(mosquitto, "club", "ann", easy_cool_run(minutes=1), profile=EASY_PROFILE)
    await collector.wait_for(lambda c: c.finished("ann") and c.rejected)

    statuses = [s for s in collector.statuses if s["athlete"] == "ann"]
    assert statuses and all(s["session_start"] == START for s in statuses)
    assert all(s["target_pace"] == 290.0 and s["plan"] is None for s in statuses)
    assert [(r["topic"], r["reason"]) for r in collector.rejected] == [
        (session_topic, "session field plan invalid (not easy|long|tempo|intervals|race), dropped")
    ]
    assert live_monitor.router.counters["rejected"] == 1

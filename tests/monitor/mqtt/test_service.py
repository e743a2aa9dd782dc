"""End to end over real brokers: Mosquitto and (for the key tests) the embedded amqtt broker."""

from __future__ import annotations

import asyncio
import json

import pytest

from monitor.core.pipeline import STATUS_KEYS, run_offline
from monitor.mqtt.service import Monitor
from tests.brokers import BrokerProcess
from tests.runs import EASY_PROFILE, HOT_PROFILE, Collector, easy_cool_run, hot_fast_run, publish_frames, run_live

pytestmark = pytest.mark.broker


async def test_hot_fast_runner_gets_alerts_and_high_risk(any_broker_proc: BrokerProcess) -> None:
    frames = hot_fast_run()
    seen = await run_live(any_broker_proc.url, "hot", frames, HOT_PROFILE)
    assert all(set(STATUS_KEYS) <= set(s) for s in seen.statuses)
    assert max(s["risk"] for s in seen.statuses) >= 0.5
    assert {s["level"] for s in seen.statuses} & {"high", "critical"}
    kinds = {a["kind"] for a in seen.alerts}
    assert kinds & {"ease_pace", "shorten_stride"}, kinds
    assert all(len(a["message"]) <= 80 and a["athlete"] == "hot" for a in seen.alerts)
    last = seen.statuses[-1]
    assert last["pace_over_training"] == pytest.approx(1.1, abs=0.03)
    assert last["distance_m"] == pytest.approx(len(frames) * 1000 / 300, rel=0.03)


async def test_easy_cool_run_gets_no_warning(any_broker_proc: BrokerProcess) -> None:
    frames = easy_cool_run()
    seen = await run_live(any_broker_proc.url, "easy", frames, EASY_PROFILE)
    assert len(seen.statuses) >= len(frames) // 5 - 2
    assert not [a for a in seen.alerts if a["level"] in ("warning", "critical")]
    assert max(s["risk"] for s in seen.statuses) < 0.5


async def test_malformed_payloads_are_rejected_and_valid_samples_kept(mosquitto_proc: BrokerProcess) -> None:
    frames = easy_cool_run(minutes=12)
    clean = run_offline(frames, squad="club", athlete="mixed", profile=EASY_PROFILE)

    async def scenario() -> tuple[Collector, Monitor]:
        broker = mosquitto_proc.url
        async with Monitor(broker) as monitor, Collector(broker) as seen:
            await monitor.wait_connected()
            async with broker.client() as client:
                base = "crampwatch/v1/club/mixed"
                await client.publish(
                    f"{base}/profile",
                    json.dumps(
                        {
                            "name": "Easy",
                            "sex": "female",
                            "age": 30,
                            "hr_max": 190,
                            "hr_rest": 50,
                            "training_pace": 330,
                        }
                    ),
                    qos=1,
                    retain=True,
                )
                for i, f in enumerate(frames):
                    good = {k: v for k, v in {"t": f.t, **f.streams()}.items()}
                    if i % 50 == 7:  # a bad value beside good ones: the good ones must be kept
                        good["cadence"] = "fast"
                    await client.publish(f"{base}/frame", json.dumps(good), qos=1)
                    if i % 100 == 3:
                        await client.publish(f"{base}/frame", b"{not json", qos=1)
                        await client.publish(f"{base}/hr", json.dumps({"t": f.t, "v": float("nan")}), qos=1)
                        await client.publish("crampwatch/v1/club/bad id/hr", b'{"t": 1, "v": 150}', qos=1)
                # the bad cadence values were dropped, so the clean run is the reference only where it had them
                await client.publish(f"{base}/session", json.dumps({"t": frames[-1].t, "event": "stop"}), qos=1)
            await seen.wait_for(lambda c: c.final_status("mixed", frames[-1].t), timeout=60)
            await seen.wait_for(lambda c: sum(1 for r in c.rejected if r["reason"]) >= 3, timeout=10)
        return seen, monitor

    seen, monitor = await scenario()
    n_bad_cadence = sum(1 for i in range(len(frames)) if i % 50 == 7)
    n_bad_msgs = sum(1 for i in range(len(frames)) if i % 100 == 3)
    assert monitor.router.counters["rejected"] == n_bad_cadence + 3 * n_bad_msgs
    reasons = {r["reason"] for r in seen.rejected}
    assert {"payload is not UTF-8 JSON", "bad squad or athlete id"} <= reasons
    assert all("not json" not in json.dumps(r) for r in seen.rejected)  # never echoes the payload
    assert max(r["count"] for r in seen.rejected) >= 1
    # every valid sample was used: HR, pace and distance match the clean offline run
    ours = {s["t"]: s for s in seen.statuses}
    for ref in clean.statuses:
        got = ours[ref["t"]]
        assert got["hr"] == pytest.approx(ref["hr"], abs=0.5)
        assert got["distance_m"] == pytest.approx(ref["distance_m"], rel=1e-6)


async def test_monitor_reconnects_after_broker_restart(mosquitto_proc: BrokerProcess) -> None:
    frames = easy_cool_run(minutes=20)
    first, second = frames[:600], frames[600:]

    async def scenario() -> tuple[Collector, Monitor]:
        broker = mosquitto_proc.url
        async with Monitor(broker, reconnect_min_s=0.05, reconnect_max_s=0.5) as monitor:
            await monitor.wait_connected()
            async with Collector(broker) as seen:
                await publish_frames(broker, "club", "rc", first, profile=EASY_PROFILE, stop=False)
                await seen.wait_for(lambda c: c.final_status("rc", first[-1].t - 15), timeout=30)
            before = len(seen.statuses)
            mosquitto_proc.stop()
            await asyncio.to_thread(mosquitto_proc.start)
            async with Collector(broker) as seen2:
                await monitor.wait_connected(30, connects=2)
                await publish_frames(broker, "club", "rc", second)
                await seen2.wait_for(lambda c: c.final_status("rc", second[-1].t), timeout=30)
            seen.statuses = seen.statuses[:before] + seen2.statuses
        return seen, monitor

    seen, monitor = await scenario()
    assert monitor.counters["connects"] >= 2
    times = [s["t"] for s in seen.statuses]
    assert times == sorted(times)
    assert times[-1] >= int(second[-1].t) - 5
    assert seen.statuses[-1]["elapsed_s"] >= 19 * 60  # the session went on across the outage


async def test_same_input_twice_as_fast_gives_same_alerts(any_broker_proc: BrokerProcess) -> None:
    frames = hot_fast_run(minutes=40)

    async def once(speed: float) -> Collector:
        broker = any_broker_proc.url
        # event time only: with the 2 s default, a broker or publisher stalled that long on a loaded machine adds
        # a wall-clock 'quiet' status to one run's list and not the other's
        async with Monitor(broker, quiet_s=60.0) as monitor, Collector(broker) as seen:
            await monitor.wait_connected()
            await publish_frames(broker, "club", "det", frames, profile=HOT_PROFILE, chunk=30, speed=speed)
            await seen.wait_for(lambda c: c.finished("det"), timeout=60)  # the stop's final status comes last
        return seen

    slow = await once(800.0)
    fast = await once(1600.0)
    assert slow.alerts, "the run should produce alerts"
    assert [a["id"] for a in slow.alerts] == [a["id"] for a in fast.alerts]
    assert slow.alerts == fast.alerts
    assert slow.statuses == fast.statuses


async def test_a_short_session_started_between_two_seconds_still_ends(mosquitto_proc: BrokerProcess) -> None:
    """audit6: a gateway's start at a fraction of a second (host time, 'replay --now') and less than a tick of
    data: the only status is at the whole second before the start, and ending the silent session at that time was
    refused as before the session. The session stayed open for good — 'quiet' on the dashboard, 'open' in
    sessions, /healthz 503 'no data ... while 1 session(s) are active' until the athlete came back."""
    t0 = 1_732_400_000.886
    url = mosquitto_proc.url
    async with Monitor(url, idle_stale_s=0.5, idle_lost_s=1.0, idle_end_s=2.0, idle_publish_s=0.5) as monitor:
        async with Collector(url) as seen:
            await monitor.wait_connected()
            async with url.client() as client:
                await client.publish("crampwatch/v1/club/brief/session", json.dumps({"t": t0, "event": "start"}), qos=1)
                frame = {"t": t0 + 1.0, "hr": 120, "pace": 330, "cadence": 170}
                await client.publish("crampwatch/v1/club/brief/frame", json.dumps(frame), qos=1)
            await seen.wait_for(lambda c: c.finished("brief"), timeout=15)
        assert not monitor.router.pipelines[("club", "brief")].active


async def test_silent_gateway_goes_stale_then_lost_then_session_ends(mosquitto_proc: BrokerProcess) -> None:
    """Event time stands still without data, so the live monitor marks a silent athlete on the wall clock."""
    frames = easy_cool_run(minutes=2)

    async def scenario() -> tuple[Collector, Monitor]:
        url = mosquitto_proc.url
        # stale from 0.5 s to 3 s of silence: judged every 0.5 s, a process held back a second on a loaded machine
        # still sees 'stale' first (with lost at 1.5 s its first judgement could already be 'lost')
        async with (
            Monitor(url, idle_stale_s=0.5, idle_lost_s=3.0, idle_end_s=4.5, idle_publish_s=0.5) as monitor,
            Collector(url) as seen,
        ):
            await monitor.wait_connected()
            await publish_frames(url, "club", "quiet", frames, profile=EASY_PROFILE, stop=False)
            await seen.wait_for(lambda c: any(s["signal"] == "lost" for s in c.statuses), timeout=15)
            await seen.wait_for(lambda c: not monitor.router.pipelines[("club", "quiet")].active, timeout=15)
        return seen, monitor

    seen, _ = await scenario()
    signals = [s["signal"] for s in seen.statuses]
    first_stale = signals.index("stale")
    assert set(signals[:first_stale]) == {"ok"}
    assert signals.index("lost") > first_stale
    assert all(s["t"] <= frames[-1].t for s in seen.statuses)  # event time is never invented
    assert "wall_idle_s" in seen.statuses[first_stale]

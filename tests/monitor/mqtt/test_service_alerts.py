"""Alert behaviour over a real broker (issue 5): exact sequences, no storm on a noisy safe run, escalation,
and an MQTT ``ack`` that stops repeats."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import numpy as np
import pytest

from alerts.alert import ALERT_LEVELS
from alerts.sinks.base import Sink
from monitor.core.pipeline import run_offline
from monitor.mqtt.service import Monitor
from simulators.frame import Frame
from tests.brokers import BrokerProcess
from tests.runs import EASY_PROFILE, HOT_PROFILE, Collector, easy_cool_run, hot_fast_run, publish_frames, run_live

pytestmark = pytest.mark.broker
RANK = {level: i for i, level in enumerate(ALERT_LEVELS)}


def noisy(frames: list[Frame], seed: int = 5) -> list[Frame]:
    """Optical-sensor noise and spikes on a safe run."""
    rng = np.random.default_rng(seed)
    out = []
    for f in frames:
        hr = f.hr + rng.normal(0, 4) + (60 if rng.random() < 0.01 else 0) if f.hr else None
        cad = f.cadence + rng.normal(0, 3) if f.cadence else None
        pace = f.pace + rng.normal(0, 12) if f.pace else None
        out.append(replace(f, hr=min(hr, 250) if hr else None, cadence=cad, pace=pace))
    return out


async def test_worsening_run_escalates_with_the_exact_offline_sequence(any_broker_proc: BrokerProcess) -> None:
    frames = hot_fast_run(minutes=60)
    expected = run_offline(frames, squad="club", athlete="worse", profile=HOT_PROFILE).alerts
    seen = await run_live(any_broker_proc.url, "worse", frames, HOT_PROFILE)
    got = [(a["t"], a["kind"], a["level"], a["id"]) for a in seen.alerts]
    assert got == [(a.t, a.kind, a.level, a.id) for a in expected]
    ranks = [RANK[a["level"]] for a in seen.alerts]
    assert ranks[0] < max(ranks), "risk kept rising, so the level escalated"
    first_at = [next(a["t"] for a in seen.alerts if RANK[a["level"]] == r) for r in sorted(set(ranks))]
    assert first_at == sorted(first_at)  # advice before warning before critical
    assert all(a["t"] - frames[0].t >= 600 or a["level"] == "critical" for a in seen.alerts)  # warm-up


async def test_noisy_but_safe_run_gives_no_alert_storm(mosquitto_proc: BrokerProcess) -> None:
    frames = noisy(easy_cool_run(minutes=60))
    seen = await run_live(mosquitto_proc.url, "noisy", frames, EASY_PROFILE)
    assert len(seen.statuses) > 600
    assert len(seen.alerts) <= 1, [(a["kind"], a["level"]) for a in seen.alerts]
    assert not [a for a in seen.alerts if a["level"] != "advice"]


async def test_mqtt_ack_stops_repeats(mosquitto_proc: BrokerProcess) -> None:
    frames = hot_fast_run(minutes=70)
    url = mosquitto_proc.url
    unacked = run_offline(frames, squad="club", athlete="ack", profile=HOT_PROFILE).alerts

    class AckSeen(Sink):
        def __init__(self) -> None:
            self.event = asyncio.Event()

        async def on_ack(self, squad: str, athlete: str, alert_id: str) -> None:
            self.event.set()

    async def scenario() -> tuple[Collector, dict[str, object]]:
        acks = AckSeen()
        async with Monitor(url, sinks=[acks]) as monitor, Collector(url) as seen:
            await monitor.wait_connected()
            cut = 0
            for i in range(0, len(frames), 60):  # publish until the first alert arrives
                await publish_frames(url, "club", "ack", frames[i : i + 60], profile=HOT_PROFILE, stop=False)
                cut = i + 60
                if monitor.counters["alerts"]:
                    break
            await seen.wait_for(lambda c: bool(c.alerts), timeout=30)
            first = seen.alerts[0]
            async with url.client() as client:
                await client.publish("crampwatch/v1/club/ack/ack", json.dumps({"alert_id": first["id"]}), qos=1)
            await asyncio.wait_for(acks.event.wait(), 10)
            await publish_frames(url, "club", "ack", frames[cut:])
            await seen.wait_for(lambda c: c.final_status("ack", frames[-1].t), timeout=60)
        return seen, first

    seen, first = await scenario()
    same = [
        a
        for a in seen.alerts[1:]
        if a["kind"] == first["kind"] and RANK[a["level"]] <= RANK[str(first["level"])] and a["t"] > first["t"]
    ]
    assert same == [], "the acknowledged alert is not repeated"
    repeats_without_ack = [
        a for a in unacked[1:] if a.kind == first["kind"] and RANK[a.level] <= RANK[str(first["level"])]
    ]
    assert repeats_without_ack, "without the ack the same alert would have come again"

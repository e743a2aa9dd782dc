"""Live, on a real Mosquitto: a heart-rate-only gateway's athlete has ``distance_m: null`` (not 0.0) in every
status and a real TRIMP; a pace-only watch's athlete has ``trimp: null`` and a real distance (contract:
unknown values are null, never invented)."""

from __future__ import annotations

from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from simulators.frame import Frame
from tests.runs import EASY_PROFILE, T0, Collector, publish_frames

SECONDS = 180


def _hr_only() -> list[Frame]:
    return [Frame(t=T0 + i, hr=150.0 + (i % 7)) for i in range(SECONDS)]


def _pace_only() -> list[Frame]:
    return [Frame(t=T0 + i, pace=300.0 + (i % 5), cadence=174.0) for i in range(SECONDS)]


async def test_missing_streams_give_null_totals_live(
    mosquitto: BrokerURL, live_monitor: Monitor, collector: Collector
) -> None:
    assert live_monitor.connected
    await publish_frames(mosquitto, "club", "hronly", _hr_only(), profile=EASY_PROFILE)
    await publish_frames(mosquitto, "club", "paceonly", _pace_only(), profile=EASY_PROFILE)
    await collector.wait_for(lambda c: c.finished("hronly") and c.finished("paceonly"))

    hr_only = [s for s in collector.statuses if s["athlete"] == "hronly"]
    assert len(hr_only) >= SECONDS // 5 - 2
    assert all(s["distance_m"] is None for s in hr_only)
    assert all(s["faster_than_training_s"] is None for s in hr_only)
    assert hr_only[-1]["trimp"] is not None and hr_only[-1]["trimp"] > 1.0
    assert hr_only[-1]["hr_zone_s"] is not None and sum(hr_only[-1]["hr_zone_s"]) > SECONDS - 10

    pace_only = [s for s in collector.statuses if s["athlete"] == "paceonly"]
    assert len(pace_only) >= SECONDS // 5 - 2
    assert all(s["trimp"] is None and s["hr_zone_s"] is None for s in pace_only)
    assert pace_only[-1]["distance_m"] is not None and 500.0 < pace_only[-1]["distance_m"] < 700.0

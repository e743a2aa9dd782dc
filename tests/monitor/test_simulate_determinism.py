"""Issue 4 evidence: a scenario published at x60 and as fast as possible (and per stream instead of frames) gives
the same statuses and the same alerts, with the same ids, through Mosquitto and the monitor."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.mqtt.service import Monitor
from simulators.publish import Run, publish
from simulators.scenarios import load_scenario
from tests.brokers import BrokerProcess
from tests.runs import Collector

pytestmark = pytest.mark.broker


def squad_runs(minutes: float) -> list[Run]:
    sims = load_scenario("squad").simulate(6, seed=0)
    runs = []
    for sim in sims:
        if sim.athlete not in ("femi", "ana"):
            continue
        cut = sim.frames[0].t + minutes * 60
        runs.append(Run(squad="club", athlete=sim.athlete, profile=sim.profile,
                        frames=[f for f in sim.frames if f.t <= cut]))  # fmt: skip
    return runs


async def test_speed_and_mode_do_not_change_statuses_or_alerts(mosquitto_proc: BrokerProcess) -> None:
    runs = squad_runs(minutes=16)
    athletes = [r.athlete for r in runs]

    async def once(speed: float, mode: Any) -> Collector:
        url = mosquitto_proc.url
        # event time only: with the 2 s default, a broker or publisher stalled that long on a loaded machine adds
        # a wall-clock 'quiet' copy of a status (and releases held seconds) in one run only
        async with Monitor(url, quiet_s=60.0) as monitor, Collector(url) as seen:
            await monitor.wait_connected()
            await publish(url, runs, speed=speed, mode=mode, batch=10)
            # each run ends with its session stop: wait for every session's "finished" status (its last second may
            # also have had a regular tick, published just before)
            await seen.wait_for(lambda c: all(c.finished(a) for a in athletes), timeout=60)
        return seen

    x60 = await once(60.0, "frame")
    fast = await once(0.0, "frame")
    samples = await once(0.0, "samples")
    assert x60.alerts, "femi, too fast in the heat, gets an alert within 16 min"
    assert [a["id"] for a in x60.alerts] == [a["id"] for a in fast.alerts] == [a["id"] for a in samples.alerts]

    def by_key(c: Collector) -> dict[tuple[str, float], dict[str, Any]]:
        return {(s["athlete"], s["t"]): s for s in c.statuses}

    assert by_key(x60) == by_key(fast)
    assert by_key(fast) == by_key(samples)

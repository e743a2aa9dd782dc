"""Issue 4 evidence: every real recording replayed with ``crampwatch replay`` through Mosquitto into a live
monitor gives the statuses and alerts ``crampwatch analyze`` computes offline for the same file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.commands.analyze import analyze, file_profile
from monitor.core.pipeline import run_offline
from monitor.mqtt.service import Monitor
from simulators.readers import read_recording
from tests.brokers import BrokerProcess
from tests.runs import Collector

FILES = ["fenix2-run-47min.fit", "fenix5-run-1min.fit", "polar-m400-run.tcx", "watch-run-2020-12-06.tcx"]


@pytest.mark.broker
@pytest.mark.realdata
@pytest.mark.parametrize("name", FILES)
async def test_replay_into_the_live_monitor_matches_analyze(
    name: str, realdata: Path, mosquitto_proc: BrokerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    path = realdata / name
    rec = read_recording(path)
    # Both sides use what the file says of the athlete (fenix5: its user_profile), as the CLIs do by default.
    expected = analyze(rec, squad="club", athlete="rec", profile=None)
    profile, _source = file_profile(rec)
    last_t = max(f.t for f in rec.frames())
    url = mosquitto_proc.url

    async def scenario() -> Collector:
        # event time only: with the 2 s default, a replay or broker stalled that long on a loaded machine adds a
        # wall-clock 'quiet' copy of a status, which would stand in for that second's tick below
        async with Monitor(url, quiet_s=60.0) as monitor, Collector(url) as seen:
            await monitor.wait_connected()
            argv = ["replay", str(path), "--broker", f"mqtt://127.0.0.1:{url.port}", "--squad", "club",
                    "--athlete", "rec", "--speed", "0"]  # fmt: skip
            assert await asyncio.to_thread(main, argv) == 0
            await seen.wait_for(lambda c: c.finished("rec"), timeout=60)  # replay ends with a session stop
        return seen

    seen = await scenario()
    capsys.readouterr()
    live = {s["t"]: s for s in seen.statuses if s["session_state"] != "finished"}
    offline = run_offline(rec.frames(), squad="club", athlete="rec", profile=profile).statuses
    assert offline, "the recording yields statuses"
    assert [live[s["t"]] for s in offline] == offline  # every offline status, identical live
    final = seen.statuses[-1]  # the stop's: the session's final status comes last, at the last second
    assert final["session_state"] == "finished" and final["t"] == int(last_t) >= max(live)
    assert [a["id"] for a in seen.alerts] == [a["id"] for a in expected["alerts"]]
    summary = expected["indicators"]["final"]  # analyze prints it rounded to 3 digits
    for key in ("distance_m", "trimp", "risk"):
        assert live[summary["t"]][key] == pytest.approx(summary[key], abs=1e-3)

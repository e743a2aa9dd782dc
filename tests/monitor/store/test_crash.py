"""Crash recovery of a real ``crampwatch monitor`` process: SIGKILLed mid-run, samples published while it is down
(kept for it by the broker: persistent MQTT session), restarted on the same store: the same statuses and alerts as
an uninterrupted run, none repeated, the session continued. And a store that cannot write (the process's file size
limit: the OS refuses the write, as on a full disk) never stops alerts on MQTT."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from monitor.core.wire import Topics, encode_frames, encode_profile, encode_session
from monitor.mqtt.broker import BrokerURL
from tests.brokers import BrokerProcess
from tests.runs import HOT_PROFILE, T0, Collector, hot_fast_run

T = Topics()
CHUNK = 60
SQUAD, ATHLETE = "club", "crash"


class MonitorProcess:
    def __init__(self, broker: BrokerURL, store: Path, log: Path, *, fsize: int | None = None) -> None:
        self.cmd = [sys.executable, "-m", "monitor.cli", "monitor", "--broker", str(broker), "--store", str(store),
                    "--client-id", "crash-test", "--log-level", "info"]  # fmt: skip
        self.log = log
        self.fsize = fsize
        self.proc: subprocess.Popen[bytes] | None = None

    def _limit(self) -> None:  # in the child: writes beyond fsize bytes fail with EFBIG (SIGXFSZ is ignored)
        if self.fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.fsize, self.fsize))

    async def start(self) -> None:
        seen = self.log.read_text().count("connected to") if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=out, preexec_fn=self._limit)
        deadline = time.monotonic() + 60
        while self.log.read_text().count("connected to") <= seen:  # start-up: poll the log with a deadline
            assert self.proc.poll() is None and time.monotonic() < deadline, self.log.read_text()[-3000:]
            await asyncio.sleep(0.05)

    async def __aenter__(self) -> MonitorProcess:
        return self

    async def __aexit__(self, *exc: object) -> None:  # never leave a monitor behind, whatever failed
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def chunks(minutes: int) -> list[bytes]:
    frames = hot_fast_run(minutes=minutes)
    return [encode_frames(frames[i : i + CHUNK]) for i in range(0, len(frames), CHUNK)]


async def publish(broker: BrokerURL, payloads: list[bytes]) -> None:
    async with broker.client() as client:
        for payload in payloads:
            await client.publish(T.of(SQUAD, ATHLETE, "frame"), payload, qos=1)


def last_tick(n_chunks: int) -> float:
    """Event time of the last status n_chunks of frames release (lateness 10 s, ticks every 5 s; the runs start
    at T0)."""
    return T0 + n_chunks * CHUNK - 15


def stored(store: Path, sql: str) -> Any:
    with contextlib.closing(sqlite3.connect(store)) as conn:
        return conn.execute(sql).fetchone()[0]


async def settle(seen: Collector, n_chunks: int) -> None:
    last = last_tick(n_chunks)  # once: the condition is checked again at every status that arrives
    await seen.wait_for(lambda c: any(s["t"] >= last for s in c.statuses), timeout=60)
    if "session_state" in seen.statuses[-1]:  # the monitor judges quiet athletes: wait for it, in both runs
        await seen.wait_for(lambda c: c.statuses[-1].get("session_state") == "quiet", timeout=30)


def event_statuses(seen: Collector) -> list[dict[str, Any]]:
    """Statuses computed on event time (not the wall-clock re-publications of a quiet or lost athlete)."""
    return [s for s in seen.statuses if "wall_idle_s" not in s]


async def run(broker: BrokerURL, tmp: Path, *, crash: bool, parts: tuple[int, int, int]) -> Collector:
    payloads = chunks(sum(parts))
    a, b = parts[0], parts[0] + parts[1]
    store = tmp / ("crash.db" if crash else "whole.db")
    monitor = MonitorProcess(broker, store, tmp / ("crash.log" if crash else "whole.log"))
    async with Collector(broker) as seen, monitor:
        await monitor.start()
        async with broker.client() as client:
            await client.publish(T.of(SQUAD, ATHLETE, "profile"), encode_profile(HOT_PROFILE), qos=1, retain=True)
        await publish(broker, payloads[:a])
        await settle(seen, a)
        if crash:  # everything handled so far is in the store before the kill
            deadline = time.monotonic() + 30
            while stored(store, "SELECT COUNT(*) FROM inputs WHERE leaf = 'frame'") < a:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            monitor.kill()
            await publish(broker, payloads[a:b])  # while it is down
            await monitor.start()
        else:
            await publish(broker, payloads[a:b])
        if b > a:
            await settle(seen, b)
        await publish(broker, payloads[b:])
        async with broker.client() as client:
            t_end = hot_fast_run(minutes=sum(parts))[-1].t
            await client.publish(T.of(SQUAD, ATHLETE, "session"), encode_session(t_end, "stop"), qos=1)
        await seen.wait_for(lambda c: any(s["t"] >= int(t_end) for s in c.statuses), timeout=60)
        assert monitor.stop() == 0
        async with broker.client() as client:
            await client.publish(T.of(SQUAD, ATHLETE, "profile"), b"", qos=1, retain=True)
    return seen


@pytest.mark.broker
@pytest.mark.timeout(300)  # two full runs with three monitor start-ups: ~80 s on an idle 2-core machine
async def test_sigkill_mid_run_then_restart_continues_the_session(
    mosquitto_proc: BrokerProcess, tmp_path: Path
) -> None:
    parts = (21, 4, 5)  # the middle part is published while the monitor is down (alerts at 19, 24, 27 min)
    whole = await run(mosquitto_proc.url, tmp_path, crash=False, parts=parts)
    crashed = await run(mosquitto_proc.url, tmp_path, crash=True, parts=parts)
    kill_t = last_tick(parts[0])
    assert any(a["t"] <= kill_t for a in whole.alerts) and any(a["t"] > kill_t for a in whole.alerts)
    assert crashed.alerts == whole.alerts  # same alerts, none lost, none repeated
    assert event_statuses(crashed) == event_statuses(whole)  # the session continued (distance, trimp, ...)
    restarted = (tmp_path / "crash.log").read_text()
    assert "restored 1 open sessions" in restarted


@pytest.mark.broker
async def test_store_on_a_full_disk_never_stops_alerts(mosquitto_proc: BrokerProcess, tmp_path: Path) -> None:
    from monitor.core.pipeline import run_offline

    frames = hot_fast_run(minutes=30)
    expected = run_offline(frames, squad=SQUAD, athlete=ATHLETE, profile=HOT_PROFILE)
    assert expected.alerts
    url = mosquitto_proc.url
    monitor = MonitorProcess(url, tmp_path / "full.db", tmp_path / "full.log", fsize=256 * 1024)

    async def scenario() -> Collector:
        async with Collector(url) as seen, monitor:
            await monitor.start()
            async with url.client() as client:
                await client.publish(T.of(SQUAD, ATHLETE, "profile"), encode_profile(HOT_PROFILE), qos=1, retain=True)
            await publish(url, [encode_frames(frames[i : i + CHUNK]) for i in range(0, len(frames), CHUNK)])
            async with url.client() as client:
                await client.publish(T.of(SQUAD, ATHLETE, "session"), encode_session(frames[-1].t, "stop"), qos=1)
                await seen.wait_for(lambda c: c.final_status(ATHLETE, frames[-1].t), timeout=60)
                await client.publish(T.of(SQUAD, ATHLETE, "profile"), b"", qos=1, retain=True)
            assert monitor.stop() == 0
        return seen

    seen = await scenario()
    assert [a["id"] for a in seen.alerts] == [a.id for a in expected.alerts]  # every alert went out on MQTT
    log = (tmp_path / "full.log").read_text()
    assert "session store" in log and "write failed" in log  # the store did fail, and said so
    assert "could not be written" in log  # ... and at shutdown, how much it could not keep
    assert "Traceback" not in log
    assert (tmp_path / "full.db").stat().st_size <= 256 * 1024

"""Ctrl-C in ``crampwatch replay`` / ``crampwatch simulate`` ends the sessions the command started: without a
``stop`` the monitor kept each one open until its 10-min silence timeout (audit7)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from monitor.mqtt.broker import BrokerURL

CLI = [sys.executable, "-m", "monitor.cli"]
#: frames of each athlete received before the command gets its Ctrl-C
BEFORE_INTERRUPT = 5
END_MARK = "crampwatch/v1/club/_test/end"
Seen = dict[str, list[tuple[str, dict[str, Any]]]]  # athlete → (topic leaf, payload) in the order received


def _csv(tmp_path: Path, name: str, start: float, seconds: int = 600) -> Path:
    rows = ["t,hr,speed,cadence"] + [f"{start + i},{140 + i % 5},3.0,170" for i in range(seconds)]
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


async def _interrupt(broker: BrokerURL, argv: list[str], athletes: int) -> tuple[Seen, str, int]:
    """Run the command, send it SIGINT once every athlete has a few frames on the broker, then collect until it has
    exited and all it published has arrived. Per athlete: (leaf, payload) in the order received."""
    seen: Seen = defaultdict(list)
    async with broker.client() as client:
        await client.subscribe("crampwatch/v1/club/+/+", qos=1)
        proc = subprocess.Popen([*CLI, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:

            def frames(athlete: str) -> int:
                return sum(leaf == "frame" for leaf, _ in seen[athlete])

            async def exited() -> str:  # then a marker of ours: it arrives after all the command published
                _out, err = await asyncio.to_thread(proc.communicate, timeout=30)
                await client.publish(END_MARK, b"", qos=1)
                return err

            async def collect() -> str:
                waiter = None
                async for msg in client.messages:
                    if str(msg.topic) == END_MARK:
                        break
                    _, _, _, athlete, leaf = str(msg.topic).split("/")
                    if leaf in ("frame", "session"):
                        assert isinstance(msg.payload, bytes)
                        seen[athlete].append((leaf, json.loads(msg.payload)))
                    if waiter is None and len(seen) == athletes and all(frames(a) >= BEFORE_INTERRUPT for a in seen):
                        proc.send_signal(signal.SIGINT)
                        waiter = asyncio.create_task(exited())
                assert waiter is not None
                return await waiter

            err = await asyncio.wait_for(collect(), timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return seen, err, proc.returncode


def _check_stops(seen: Seen) -> None:
    for athlete, messages in seen.items():
        leaves = [leaf for leaf, _ in messages]
        assert leaves[0] == "session" and messages[0][1]["event"] == "start", athlete
        assert leaves[-1] == "session" and leaves.count("session") == 2, (athlete, leaves[-5:])  # the stop, last
        stop = messages[-1][1]
        sent = [p["t"] for leaf, p in messages if leaf == "frame"]
        assert stop == {"t": max(sent), "event": "stop"}, athlete  # at the event time of the last frame sent
        assert len(sent) < 300, "interrupted in the middle of the run"


@pytest.mark.broker
async def test_ctrl_c_in_replay_stops_every_started_session(mosquitto: BrokerURL, tmp_path: Path) -> None:
    a = _csv(tmp_path, "ann.csv", 1_700_000_000)
    b = _csv(tmp_path, "bob.csv", 1_700_000_007)
    argv = ["replay", str(a), str(b), "--broker", f"mqtt://127.0.0.1:{mosquitto.port}", "--squad", "club",
            "--speed", "20"]  # fmt: skip
    seen, err, code = await _interrupt(mosquitto, argv, athletes=2)
    assert sorted(seen) == ["ann", "bob"]
    _check_stops(seen)
    assert code == 130 and "Traceback" not in err, err  # exits as before


@pytest.mark.broker
async def test_ctrl_c_in_simulate_stops_every_started_session(mosquitto: BrokerURL) -> None:
    argv = ["simulate", "--broker", f"mqtt://127.0.0.1:{mosquitto.port}", "--squad", "club", "--athletes", "2",
            "--speed", "20"]  # fmt: skip
    seen, err, code = await _interrupt(mosquitto, argv, athletes=2)
    assert len(seen) == 2
    _check_stops(seen)
    assert code == 130 and "Traceback" not in err, err

"""Progress bars on a terminal (a pseudo-terminal here) and silence when piped; ``replay`` aligns the starts of runs
recorded on different days (``--keep-times`` keeps them) and says how long it will take."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.mqtt.broker import BrokerURL

pytestmark = pytest.mark.broker
CLI = [sys.executable, "-m", "monitor.cli"]
DAY = 86_400


def csv_run(path: Path, start: int, minutes: int = 10) -> Path:
    rows = ["time,hr,speed,cadence"]
    rows += [f"{start + i},{140 + i // 60},3.0,170" for i in range(minutes * 60)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def run_on_pty(argv: list[str], timeout: float = 120.0) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (stdout piped); return (code, stdout, terminal output)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen([*CLI, *argv], stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            assert ready, "the command stopped writing to the terminal"
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal (EIO on Linux)
                break
            if not data:
                break
            chunks.append(data)
        out, _ = proc.communicate(timeout=timeout)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


def test_replay_progress_on_a_terminal_only(mosquitto: BrokerURL, tmp_path: Path) -> None:
    a = csv_run(tmp_path / "a.csv", 1_700_000_000)
    url = f"mqtt://127.0.0.1:{mosquitto.port}"
    argv = ["replay", str(a), "--broker", url, "--squad", "s", "--speed", "0", "--unpaced"]  # no monitor here
    code, _out, tty = run_on_pty(argv)
    assert code == 0, tty
    assert "replaying" in tty and "s of run" in tty and "━" in tty  # rich's bar on the terminal
    piped = subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0
    assert "replaying" in piped.stderr and "━" not in piped.stderr and "\r" not in piped.stderr  # no bar on a pipe
    assert piped.stderr.count("\n") == 1  # the one banner line, as simulate's
    assert "\r" not in piped.stdout and "━" not in piped.stdout and "replaying" not in piped.stdout
    assert "published" in piped.stdout


def test_simulate_progress_on_a_terminal_only(mosquitto: BrokerURL) -> None:
    url = f"mqtt://127.0.0.1:{mosquitto.port}"
    argv = ["simulate", "--broker", url, "--scenario", "intervals", "--speed", "0", "--unpaced"]  # no monitor here
    code, _out, tty = run_on_pty(argv)
    assert code == 0, tty
    assert "simulating" in tty and "━" in tty
    piped = subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and "simulating" not in piped.stderr and "━" not in piped.stderr
    assert piped.stderr.count("\n") == 1 and "of running" in piped.stderr  # the one banner line


def test_evaluate_progress_on_a_terminal_only() -> None:
    argv = ["evaluate", "--scenario", "intervals", "--athletes", "1", "--json"]
    code, out, tty = run_on_pty(argv, timeout=300)
    assert code == 0, tty
    assert "evaluating" in tty and "runners" in tty
    json.loads(out)  # stdout stays clean JSON
    piped = subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and piped.stderr == ""


async def _collect_first_times(broker: BrokerURL, n_athletes: int, ready: asyncio.Event) -> dict[str, float]:
    first: dict[str, float] = {}
    async with broker.client() as client:
        await client.subscribe("crampwatch/v1/s/+/frame", qos=1)
        ready.set()
        async for msg in client.messages:
            athlete = str(msg.topic).split("/")[-2]
            payload = json.loads(msg.payload if isinstance(msg.payload, bytes) else b"{}")
            t = payload[0]["t"] if isinstance(payload, list) else payload["t"]
            first.setdefault(athlete, t)
            if len(first) == n_athletes:
                return first
    return first


@pytest.mark.parametrize("keep", [False, True])
async def test_replay_aligns_runs_from_different_days(
    mosquitto: BrokerURL, tmp_path: Path, keep: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    from monitor.cli import main

    a = csv_run(tmp_path / "a.csv", 1_700_000_000, minutes=10)
    b = csv_run(tmp_path / "b.csv", 1_700_000_000 + 597 * DAY + 3600, minutes=12)
    argv = ["replay", str(a), str(b), "--broker", f"mqtt://127.0.0.1:{mosquitto.port}", "--squad", "s",
            "--speed", "0", "--unpaced", *(["--keep-times"] if keep else [])]  # fmt: skip

    async def scenario() -> dict[str, float]:
        ready = asyncio.Event()
        collector = asyncio.create_task(_collect_first_times(mosquitto, 2, ready))
        await asyncio.wait_for(ready.wait(), 10)
        assert await asyncio.to_thread(main, argv) == 0
        return await asyncio.wait_for(collector, 30)

    first = await scenario()
    out = capsys.readouterr().err  # the banner line
    assert first["a"] == 1_700_000_000
    if keep:
        assert first["b"] == 1_700_000_000 + 597 * DAY + 3600
        assert "0:21:58 of running over 14329:11:59 of event time" in out  # the runs, and the ~597 days between
    else:
        assert first["b"] == 1_700_000_000  # aligned to the earliest start
        assert "0:11:59 of running, as fast as the broker takes it" in out


def test_report_progress_on_a_terminal_only(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    run = csv_run(tmp_path / "r.csv", 1_700_000_000, minutes=20)
    argv = ["report", str(run), "-o", str(tmp_path / "r.html")]
    code, out, tty = run_on_pty(argv, timeout=300)
    assert code == 0, tty
    assert "report" in tty and "steps" in tty and "━" in tty
    assert out.startswith("report: ")
    piped = subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and piped.stderr == ""


async def test_replay_of_elapsed_times_ends_now(
    mosquitto: BrokerURL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """audit6: a CSV with elapsed seconds (no date) was replayed at its own times, 0 s onward: the monitor's
    history listed a session of 1970-01-01 00:00. Without --now or --keep-times such a run is placed to end at
    the clock (at --speed 0 --now is refused for a long run: its times would run ahead of the monitor's)."""
    import time

    from monitor.cli import main

    run = csv_run(tmp_path / "run.csv", 0, minutes=10)
    argv = ["replay", str(run), "--broker", f"mqtt://127.0.0.1:{mosquitto.port}", "--squad", "s",
            "--speed", "0", "--unpaced"]  # fmt: skip
    ready = asyncio.Event()
    collector = asyncio.create_task(_collect_first_times(mosquitto, 1, ready))
    await asyncio.wait_for(ready.wait(), 10)
    before = time.time()
    assert await asyncio.to_thread(main, argv) == 0
    first = (await asyncio.wait_for(collector, 30))["run"]
    assert before - 600 - 5 <= first <= time.time() - 599  # the 10-min run ends now
    said = capsys.readouterr()
    assert "elapsed times (no date): placed to end now" in said.out + said.err  # the header line

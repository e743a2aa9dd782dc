"""``crampwatch gateway bridge`` on the command line: bad usage is one line and exit 2; the real process forwards
an OwnTracks location and stops cleanly on Ctrl-C with a summary."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.gateway.layouts import BUILTIN
from tests.brokers import BrokerProcess

CLI = [sys.executable, "-m", "monitor.cli"]
BROKER = ["--broker", "mqtt://127.0.0.1:1"]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--squad", "club", *BROKER], "needs --layout"),
        (["--layout", "strava", "--squad", "club", *BROKER], "neither a built-in layout"),
        (["--layout", "owntracks", *BROKER], "needs --squad"),
        (["--layout", "owntracks", "--squad", "a/b", *BROKER], "--squad: bad id"),
        (["--layout", "owntracks", "--squad", "club"], "--broker URL is required"),
        (["--layout", "SQUADFILE", "--squad", "club", *BROKER], "carry the squad"),
        (["--layout", "BADFILE", "--squad", "club", *BROKER], "[hr] unit = 'beats': expected one of bpm"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(
    argv: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRAMPWATCH_BROKER", raising=False)
    squad_file = tmp_path / "squads.toml"
    squad_file.write_text('topic = "t/{squad}/{athlete}"\ntime = "arrival"\n[hr]\npayload = "number"\nunit = "bpm"\n')
    bad_file = tmp_path / "bad.toml"
    bad_file.write_text('topic = "t/{athlete}"\ntime = "arrival"\n[hr]\npayload = "number"\nunit = "beats"\n')
    files = {"SQUADFILE": str(squad_file), "BADFILE": str(bad_file)}
    assert main(["gateway", "bridge", *[files.get(a, a) for a in argv]]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and says in err and "Traceback" not in err, err


def test_print_layout_prints_the_builtin_toml(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gateway", "bridge", "--layout", "esphome", "--print-layout"]) == 0
    assert capsys.readouterr().out == BUILTIN["esphome"]


@pytest.mark.broker
async def test_the_bridge_process_forwards_and_stops_on_ctrl_c(mosquitto_proc: BrokerProcess) -> None:
    url = mosquitto_proc.url
    env = {**os.environ, "CRAMPWATCH_BROKER": str(url)}
    argv = [*CLI, "gateway", "bridge", "--layout", "owntracks", "--squad", "club"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        banner = await asyncio.to_thread(lines.get, timeout=30)  # printed once the bridge is subscribed
        assert banner is not None and banner.startswith("gateway bridge: owntracks (owntracks/+/+) → mqtt://")
        assert "crampwatch/v1/_bridge/rejected" in banner
        async with url.client() as client:
            await client.subscribe("crampwatch/v1/club/+/frame", qos=1)
            location = {"_type": "location", "tst": 1_732_400_000, "vel": 15, "lat": 1.0, "lon": 2.0}
            await client.publish("owntracks/ann/phone", json.dumps(location).encode(), qos=1)
            message = await asyncio.wait_for(anext(aiter(client.messages)), 20)
        assert str(message.topic) == "crampwatch/v1/club/ann/frame"
        assert isinstance(message.payload, bytes) and json.loads(message.payload) == {"t": 1_732_400_000, "pace": 240.0}
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.to_thread(proc.wait, 20)
        assert proc.stderr is not None
        err = proc.stderr.read()
        proc.stderr.close()
    out = list(iter(lines.get, None))
    assert proc.stdout is not None
    proc.stdout.close()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert out[-1].strip() == (
        "gateway bridge: 1 message(s) in, 1 frame(s) out, 0 rejected, 0 ignored, 0 retained skipped"
    )

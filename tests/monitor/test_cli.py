from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from monitor.cli import main
from tests.brokers import BrokerProcess
from tests.runs import HOT_PROFILE, Collector, hot_fast_run, publish_frames

CLI = [sys.executable, "-m", "monitor.cli"]


@pytest.mark.parametrize(
    "argv",
    [
        ["monitor"],
        ["monitor", "--broker", "http://127.0.0.1:1883"],
        ["monitor", "--broker", "mqtt://127.0.0.1:1883", "--profiles", "/nonexistent/profiles.toml"],
        ["monitor", "--broker", "mqtt://127.0.0.1:1883", "--http", "nonsense"],
        ["monitor", "--broker", "mqtt://127.0.0.1:1883", "--prefix", "bad/#"],
        ["monitor", "--broker", "mqtt://127.0.0.1:1883", "--webhook", "ftp://x"],
        ["monitor", "--bogus-flag"],
        ["no-such-command"],
        ["demo", "--duration", "-3"],
        ["demo", "--scenario", "no-such-scenario"],
    ],
)
def test_bad_usage_exits_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    env_broker = os.environ.pop("CRAMPWATCH_BROKER", None)
    try:
        with pytest.raises(SystemExit) as exc:
            raise SystemExit(main(argv))
    finally:
        if env_broker is not None:
            os.environ["CRAMPWATCH_BROKER"] = env_broker
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_bad_profiles_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text("[athletes.ann]\nhr_max = 'high'\n")
    assert main(["monitor", "--broker", "mqtt://127.0.0.1:1", "--profiles", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "hr_max" in err and len(err.strip().splitlines()) == 1


@pytest.mark.broker
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_monitor_process_serves_and_stops_cleanly(
    mosquitto_proc: BrokerProcess, tmp_path: Path, sig: int
) -> None:
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[athletes.hot]\nname = "Hot"\ntraining_pace = 330\nsex = "male"\nage = 45\n')
    proc = subprocess.Popen(
        [*CLI, "monitor", "--broker", str(mosquitto_proc.url), "--profiles", str(profiles), "--log-level", "info"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    frames = hot_fast_run(minutes=15)

    async def scenario() -> Collector:
        async with Collector(mosquitto_proc.url) as seen, mosquitto_proc.url.client() as probe:
            # the service subscribes asynchronously: poke it with a bad message until its rejection report
            # proves it listens (then nothing of the run is published before it is there)
            while not seen.rejected:
                await probe.publish("crampwatch/v1/club/hot/hr", b"probe", qos=1)
                with contextlib.suppress(TimeoutError):
                    await seen.wait_for(lambda c: bool(c.rejected), timeout=1)
            await publish_frames(mosquitto_proc.url, "club", "hot", frames, profile=HOT_PROFILE)
            await seen.wait_for(lambda c: c.final_status("hot", frames[-1].t), timeout=30)
        return seen

    try:
        seen = await scenario()
    finally:
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert seen.statuses[-1]["name"] == "Hot"
    assert seen.statuses[-1]["pace_over_training"] is not None


def _is_alert(line: str) -> bool:
    words = line.split()
    return len(words) > 2 and words[1] in ("ADVICE", "WARNING", "CRITICAL")


@pytest.mark.timeout(300)
def test_demo_shows_a_squad_and_an_alert(tmp_path: Path) -> None:
    # Ctrl-C once the first alert is printed, not a fixed --duration: how much event time a wall-clock duration
    # covers depends on the machine (25 s at x240 covered 14 min of the runs instead of 100 on a loaded one, before
    # the squad's first alert)
    lines: queue.Queue[str | None] = queue.Queue()
    out: list[str] = []
    with (
        (tmp_path / "err.txt").open("w+") as err,
        subprocess.Popen([*CLI, "demo", "--speed", "240"], stdout=subprocess.PIPE, stderr=err, text=True) as proc,
    ):

        def read() -> None:  # stdout line by line, then None at its end
            for line in proc.stdout or ():
                lines.put(line.rstrip("\n"))
            lines.put(None)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 240
            while not (out and _is_alert(out[-1])):
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    pytest.fail(f"no alert within 240 s: {out[-12:]}")
                assert line is not None, f"the demo ended without an alert: {out}"
                out.append(line)
        finally:
            proc.send_signal(signal.SIGINT)  # its handlers are in place once the monitor printed an alert
            try:
                returncode = proc.wait(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
            reader.join(timeout=10)
        while (rest := lines.get_nowait()) is not None:
            out.append(rest)
        err.seek(0)
        stderr = err.read()
    assert returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "dashboard: http://127.0.0.1:" in out[0]
    runners = [line for line in out if "training pace" in line]
    assert len(runners) >= 6
    assert out[-1].startswith("stopped: ") and "alert" in out[-1]


async def test_demo_keeps_its_sessions_for_the_dashboards_history() -> None:
    """The demo's History link showed "no session store: start the monitor with --store PATH" (a flag the demo
    does not have); it keeps its own store now, so History lists the squad's sessions and a report opens."""
    import re

    import aiohttp

    proc = subprocess.Popen(
        [*CLI, "demo", "--speed", "240", "--duration", "120"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first = await asyncio.to_thread(proc.stdout.readline)
        m = re.search(r"dashboard: (http://\S+)", first)
        assert m, first
        rows: list[dict[str, object]] = []
        async with aiohttp.ClientSession(base_url=m.group(1)) as http:
            deadline = time.monotonic() + 60
            while len(rows) < 8:  # the squad's 8 runners, each a session in the store
                assert time.monotonic() < deadline, rows
                async with http.get("/api/sessions") as res:
                    assert res.status == 200, await res.text()
                    rows = await res.json()
                await asyncio.sleep(0.1)
            async with http.get(str(rows[0]["report"])) as res:
                assert res.status == 200 and res.content_type == "text/html"
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = await asyncio.to_thread(proc.communicate, timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


#: ``crampwatch demo`` whose broker never finishes starting: it lists the temporary folder (the demo's store folder
#: exists by now) and sends itself SIGTERM from inside the broker's start-up.
_TERM_DURING_START = """
import asyncio, os, signal, sys, tempfile
from monitor.cli import main
from monitor.mqtt import embedded

class StartingBroker(embedded.EmbeddedBroker):
    async def start(self):
        print("folders:", *sorted(os.listdir(tempfile.gettempdir())), flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.Event().wait()
        raise AssertionError("not stopped")

embedded.EmbeddedBroker = StartingBroker
sys.exit(main(["demo", "--athletes", "1"]))
"""


def test_demo_stopped_during_start_up_removes_its_folder(tmp_path: Path) -> None:
    """A SIGTERM between creating the store folder and starting the broker left ``crampwatch-demo-*`` behind (the
    signal handlers came after the broker): now they come first, and a stop during start-up cancels it."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", _TERM_DURING_START], env=env, capture_output=True, text=True, timeout=120
    )
    listed = proc.stdout.splitlines()[0].split()[1:] if proc.stdout else []
    assert len([f for f in listed if f.startswith("crampwatch-demo-")]) == 1, proc.stdout  # it existed at SIGTERM
    assert proc.returncode == 0, (proc.returncode, proc.stderr)  # was -15: killed by the signal
    assert proc.stdout.splitlines()[-1] == "stopped during start-up" and "Traceback" not in proc.stderr
    assert list(tmp_path.glob("crampwatch-demo-*")) == []  # the folder is gone


def test_http_takes_an_ipv6_address_in_brackets() -> None:
    """audit5: '--http [::1]:8080' kept the brackets, which went to the resolver: 'cannot serve HTTP on [::1]:8080:
    Name or service not known' (with port 0: a late failure with tracebacks), and the loopback drew the
    'without --http-token' warning."""
    from monitor.commands.common import host_port

    assert host_port("[::1]:8080") == ("::1", 8080) and host_port("[fe80::1]:0") == ("fe80::1", 0)
    assert host_port("0.0.0.0:8080") == ("0.0.0.0", 8080)

"""The monitor's presence on ``_monitor/online`` (retained): true once it is subscribed, false when it stops, and
false from the broker (its MQTT will) when the process dies without a word; each names its client id, and a second
monitor on the prefix is refused instead of taking the topic over."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.presence import MonitorConflict
from monitor.mqtt.service import Monitor
from tests.brokers import BrokerProcess

pytestmark = pytest.mark.broker
TOPIC = "crampwatch/v1/_monitor/online"


async def _presence(broker: BrokerURL, want: bool, timeout: float = 30.0) -> dict[str, Any]:
    """The retained presence, read by a new subscriber until it says ``online: want``."""
    async with broker.client() as client:
        await client.subscribe(TOPIC, qos=1)

        async def read() -> dict[str, Any]:
            async for message in client.messages:
                state: dict[str, Any] = json.loads(message.payload)  # type: ignore[arg-type]
                if state.get("online") is want:
                    return state
            raise AssertionError("subscription ended")

        return await asyncio.wait_for(read(), timeout)


async def test_online_while_serving_offline_after_a_clean_stop(any_broker_proc: BrokerProcess) -> None:
    broker = any_broker_proc.url
    async with Monitor(broker, identifier="presence-test") as monitor:
        await monitor.wait_connected()
        assert await _presence(broker, True) == {"online": True, "client_id": "presence-test"}
    # retained: a publisher that comes later sees it
    assert await _presence(broker, False) == {"online": False, "client_id": "presence-test"}


async def test_a_monitor_that_dies_is_said_offline_by_the_broker(mosquitto_proc: BrokerProcess, tmp_path: Path) -> None:
    broker = mosquitto_proc.url
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "monitor", "--broker", f"mqtt://127.0.0.1:{broker.port}", "--store",
         "none", "--client-id", "presence-kill"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert (await _presence(broker, True, timeout=60))["client_id"] == "presence-kill"
        proc.send_signal(signal.SIGKILL)  # no DISCONNECT: the broker publishes the will
        proc.wait(timeout=30)
        assert await _presence(broker, False) == {"online": False, "client_id": "presence-kill"}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_a_second_monitor_on_the_prefix_is_refused_and_the_first_stays_online(mosquitto: BrokerURL) -> None:
    """A second monitor on the same prefix said ``online`` over the first one's, and when it left its ``offline``
    said the first was gone while it still served (a paced ``simulate --speed 0`` then published unpaced)."""
    async with Monitor(mosquitto, identifier="first", exclusive=True) as first:
        await first.wait_connected()
        second = Monitor(mosquitto, identifier="second", exclusive=True)
        async with second:
            with pytest.raises(MonitorConflict, match=r"another monitor is online on .*\(client id 'first'"):
                await second.wait_connected()
        assert second.conflict is not None and second.counters["connects"] == 0  # never online, no will
        assert await _presence(mosquitto, True) == {"online": True, "client_id": "first"}
        # the same client id in another monitor (two `crampwatch monitor` on one host: the default id) would take
        # the session from the first, which takes it back, a few times a second: refused as well
        async with Monitor(mosquitto, identifier="first", exclusive=True) as again:
            with pytest.raises(MonitorConflict, match=r"\(client id 'first', this one's own too: two monitors"):
                await again.wait_connected()
        assert first.connected and first.counters["connects"] == 1  # never taken over
        assert await _presence(mosquitto, True) == {"online": True, "client_id": "first"}
    async with Monitor(mosquitto, identifier="first", exclusive=True) as restarted:  # it left: its id is free
        await restarted.wait_connected()
    async with Monitor(mosquitto, identifier="second", exclusive=True) as second:  # the first one left: free
        await second.wait_connected()
        assert await _presence(mosquitto, True) == {"online": True, "client_id": "second"}


def test_crampwatch_monitor_refuses_a_prefix_another_monitor_serves(
    mosquitto_proc: BrokerProcess, tmp_path: Path
) -> None:
    async def online() -> None:
        async with Monitor(mosquitto_proc.url, identifier="cw-first") as first:
            await first.wait_connected()
            argv = ["monitor", "--broker", f"mqtt://127.0.0.1:{mosquitto_proc.url.port}", "--store", "none"]
            env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
            done = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "monitor.cli", *argv], env=env, capture_output=True,
                text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == 1, done.stderr
            last = done.stderr.splitlines()[-1]
            assert last.startswith("crampwatch: another monitor is online on ") and "'cw-first'" in last
            assert "Traceback" not in done.stderr
            assert await _presence(mosquitto_proc.url, True) == {"online": True, "client_id": "cw-first"}

    asyncio.run(online())

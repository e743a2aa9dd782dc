"""The monitor's presence on ``_monitor/online`` (retained): true once it is subscribed, false when it stops, and
false from the broker (its MQTT will) when the process dies without a word."""

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
        assert await _presence(broker, True) == {"online": True}
    assert await _presence(broker, False) == {"online": False}  # retained: a publisher that comes later sees it


async def test_a_monitor_that_dies_is_said_offline_by_the_broker(mosquitto_proc: BrokerProcess, tmp_path: Path) -> None:
    broker = mosquitto_proc.url
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "monitor", "--broker", f"mqtt://127.0.0.1:{broker.port}", "--store",
         "none"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert await _presence(broker, True, timeout=60) == {"online": True}
        proc.send_signal(signal.SIGKILL)  # no DISCONNECT: the broker publishes the will
        proc.wait(timeout=30)
        assert await _presence(broker, False) == {"online": False}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

"""The broker settings docs/deploy.md asks for ("Mosquitto settings the monitor needs") and the listener file
deploy/mosquitto/crampwatch.conf are accepted by the installed Mosquitto: a broker started with them runs, and a
monitor on it turns a frame into a status (a setting Mosquitto does not know stops it at start)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from monitor.core.wire import Topics
from monitor.mqtt.service import Monitor
from tests.brokers import Mosquitto

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.broker


def documented_settings() -> str:
    text = (ROOT / "docs" / "deploy.md").read_text()
    section = text.split("## Mosquitto settings the monitor needs", 1)[1]
    block = re.search(r"```conf\n(.*?)```", section, re.S)
    assert block is not None, "docs/deploy.md lost its settings block"
    return block.group(1)


def test_the_documented_settings_include_sending_at_once() -> None:
    settings = documented_settings()
    assert re.search(r"^set_tcp_nodelay true$", settings, re.M)
    assert re.search(r"^set_tcp_nodelay true$", (ROOT / "deploy" / "mosquitto" / "crampwatch.conf").read_text(), re.M)


async def test_mosquitto_runs_with_the_documented_settings(tmp_path: Path) -> None:
    if Mosquitto.binary() is None:
        pytest.fail("mosquitto is not installed (apt-get install mosquitto)")
    data = tmp_path / "data"
    data.mkdir()
    settings = re.sub(r"^persistence_location .*$", f"persistence_location {data}/", documented_settings(), flags=re.M)
    listener = (ROOT / "deploy" / "mosquitto" / "crampwatch.conf").read_text()
    kept = [line for line in listener.splitlines() if line.startswith("set_tcp_nodelay")]  # the rest needs TLS files
    broker = Mosquitto(tmp_path, extra=settings + "\n".join(kept) + "\n")
    broker.start()
    try:
        topics = Topics()
        async with Monitor(broker.url) as monitor, broker.url.client() as sub, broker.url.client() as pub:
            await monitor.wait_connected()
            await sub.subscribe(topics.of("club", "ann", "status"), qos=1)
            frames = [{"t": 1_732_400_000 + i, "hr": 150, "pace": 330, "cadence": 170} for i in range(12)]
            await pub.publish(topics.of("club", "ann", "frame"), json.dumps(frames).encode(), qos=1)

            async def first_status() -> dict[str, object]:
                async for message in sub.messages:
                    return dict(json.loads(message.payload))  # type: ignore[arg-type]
                raise AssertionError("no status")

            status = await asyncio.wait_for(first_status(), 20)
            assert status["athlete"] == "ann" and 1_732_400_000 <= float(status["t"]) <= 1_732_400_011  # type: ignore[arg-type]
    finally:
        broker.stop()
    log = next(tmp_path.glob("mosquitto-*.log")).read_text()
    assert "Error" not in log, log

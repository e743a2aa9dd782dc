"""``gateway bridge`` while the broker is away: one log line per retry. It has two connections (one reads the
foreign topics, one publishes frames) and each logged its own failure: two lines every retry."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
from collections.abc import Callable

import pytest

from monitor.gateway.bridge import Bridge
from monitor.gateway.layouts import load_layout
from monitor.mqtt.broker import BrokerURL

LOCATION = json.dumps({"_type": "location", "tst": 1_732_400_000, "vel": 12}).encode()


def nobody_listening() -> BrokerURL:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return BrokerURL.parse(f"mqtt://127.0.0.1:{port}")


def warnings(caplog: pytest.LogCaptureFixture, word: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and word in r.getMessage()]


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    async def loop() -> None:
        while not condition():
            await asyncio.sleep(0.05)  # polling a condition, not waiting for time to pass

    await asyncio.wait_for(loop(), timeout)


async def test_one_line_per_retry_while_the_broker_is_away(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="crampwatch.gateway")
    bridge = Bridge(nobody_listening(), load_layout("owntracks"), "club")
    bridge.handle("owntracks/jane/phone", LOCATION)  # one frame waits for the broker
    stop = asyncio.Event()
    task = asyncio.create_task(bridge.run(stop, drain_s=0.0))
    try:
        await until(lambda: len(warnings(caplog, "retrying")) >= 3)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    lines = warnings(caplog, "retrying")
    delays = [float(m[1]) for line in lines if (m := re.search(r"retrying in ([\d.]+) s", line))]
    assert delays[:3] == [0.5, 1.0, 2.0], lines  # main: 0.5, 0.5, 1.0 — each retry said twice
    assert all("1 message(s) buffered" in line for line in lines), lines
    assert bridge.publisher.failures >= 2  # the publishing connection did fail and retry meanwhile, unlogged


@pytest.mark.broker
async def test_a_publishing_connection_failing_alone_is_still_said(
    mosquitto: BrokerURL, caplog: pytest.LogCaptureFixture
) -> None:
    """Reading works, publishing does not: the bridge says so (its publisher's own retries are not logged)."""
    caplog.set_level(logging.WARNING, logger="crampwatch.gateway")
    bridge = Bridge(mosquitto, load_layout("owntracks"), "club")
    bridge.publisher.broker = nobody_listening()
    bridge.handle("owntracks/jane/phone", LOCATION)
    stop = asyncio.Event()
    task = asyncio.create_task(bridge.run(stop, drain_s=0.0))
    try:
        await asyncio.wait_for(bridge.subscribed.wait(), 20)
        await until(lambda: bool(warnings(caplog, "frames not sent")))
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert not warnings(caplog, "retrying")  # the reading connection never failed
    assert "1 message(s) buffered" in warnings(caplog, "frames not sent")[0]

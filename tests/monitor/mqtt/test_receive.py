"""The receive path skips paho's topic matching only while nothing needs it (monitor.mqtt.intake)."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest

from monitor.core.wire import Topics
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor

pytestmark = pytest.mark.broker


async def _handled(monitor: Monitor, n: int, timeout: float = 10.0) -> None:
    async def until() -> None:
        while monitor.router.counters["messages"] < n:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(until(), timeout)


async def test_messages_reach_the_router_and_a_filtered_callback_still_gets_its_own(mosquitto: BrokerURL) -> None:
    topics = Topics()
    hr = topics.of("club", "ann", "hr")
    special = topics.of("club", "bob", "hr")  # subscribed, like any runner's stream
    async with Monitor(mosquitto) as monitor, mosquitto.client() as pub:
        await monitor.wait_connected()
        paho: Any = monitor._receiver._paho
        assert paho is not None and "_handle_on_message" in vars(paho)  # the direct dispatch is installed
        for i in range(3):
            await pub.publish(hr, json.dumps({"t": 1_732_400_000 + i, "v": 150}).encode(), qos=1)
        await _handled(monitor, 3)

        got: asyncio.Queue[str] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        paho.message_callback_add(special, lambda _c, _u, m: loop.call_soon_threadsafe(got.put_nowait, m.topic))
        # paho's own dispatch: the filtered callback, not on_message
        await pub.publish(special, json.dumps({"t": 1_732_400_000, "v": 140}).encode(), qos=1)
        await pub.publish(hr, json.dumps({"t": 1_732_400_003, "v": 151}).encode(), qos=1)  # no filter: on_message
        assert await asyncio.wait_for(got.get(), 10) == special
        await _handled(monitor, 4)
        assert monitor.router.counters["messages"] == 4  # the special message never reached the router
        assert monitor.router.counters["samples"] == 4


class _SockSpy:
    """The receiver's real socket, with its ``setsockopt`` calls recorded."""

    def __init__(self, sock: Any) -> None:
        self.sock, self.calls = sock, []

    def setsockopt(self, *args: Any) -> None:
        self.calls.append(args)
        self.sock.setsockopt(*args)


@pytest.mark.skipif(not hasattr(socket, "TCP_QUICKACK"), reason="TCP_QUICKACK is Linux's")
async def test_every_read_acknowledges_at_once(mosquitto: BrokerURL) -> None:
    """A broker sending with Nagle's algorithm (Mosquitto's default) holds each further small message until the last
    is acknowledged; with delayed ACKs that put ~40 ms between a frame and its status (docs/performance.md). The
    receiver asks for an immediate ACK after every read of the socket (the kernel drops quick-ACK mode by itself)."""
    topics = Topics()
    async with Monitor(mosquitto) as monitor, mosquitto.client() as pub:
        await monitor.wait_connected()
        receiver: Any = monitor._receiver
        spy = _SockSpy(receiver._sock)
        assert spy.sock is not None and spy.sock.fileno() == receiver._fd  # the socket the monitor reads
        receiver._sock = spy
        for i in range(3):
            await pub.publish(topics.of("club", "ann", "hr"), json.dumps({"t": 1_732_400_000 + i, "v": 150}).encode())
            await _handled(monitor, i + 1)  # one message per read: three reads
        quick = [c for c in spy.calls if c == (socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)]
        assert len(quick) >= 3, spy.calls
        assert spy.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0

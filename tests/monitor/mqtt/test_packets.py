"""PUBLISH packets split off the receive buffer (monitor.mqtt.packets) give the inbox exactly what paho's own
reader gives it, whatever the packets and however the bytes arrive."""

from __future__ import annotations

import asyncio
import json
import socket
import types
from collections import Counter
from typing import Any

import paho.mqtt.client as mqtt_client
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.wire import Topics
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.intake import Inbox, Received, Receiver
from monitor.mqtt.packets import split_publishes
from monitor.mqtt.service import Monitor

PINGRESP = bytes([0xD0, 0x00])


def _length(n: int) -> bytes:
    out = b""
    while True:
        n, d = divmod(n, 128)
        out += bytes([d | (0x80 if n else 0)])
        if not n:
            return out


def publish(topic: bytes, payload: bytes, qos: int = 0, mid: int = 0, retain: bool = False) -> bytes:
    body = len(topic).to_bytes(2, "big") + topic + (mid.to_bytes(2, "big") if qos else b"") + payload
    return bytes([0x30 | qos << 1 | int(retain)]) + _length(len(body)) + body


_topics = st.one_of(
    st.sampled_from([b"crampwatch/v1/club/ann/hr", b"crampwatch/v1/club/bob/frame", b"a"]),
    st.binary(max_size=40),  # any bytes: invalid UTF-8 too
)
_packets = st.lists(
    st.one_of(
        st.builds(publish, _topics, st.binary(max_size=300), st.just(0), st.just(0), st.booleans()),
        st.builds(publish, _topics, st.binary(max_size=300), st.just(1), st.integers(1, 65535)),
        st.builds(publish, _topics, st.binary(min_size=130, max_size=20000)),  # 2- and 3-byte lengths
        st.just(PINGRESP),
        st.just(bytes([0x30, 0x03, 0x00, 0x00, 0x61])),  # malformed (empty topic): paho closes the connection
    ),
    max_size=40,
)


def test_a_split_packet_waits_for_its_rest() -> None:
    pkt = publish(b"t/x", b"y" * 200)
    for cut in range(len(pkt)):
        assert split_publishes(pkt[:cut], 0, 10, qos1=True) == ([], 0)
    assert split_publishes(pkt, 0, 10, qos1=True) == ([(b"t/x", b"y" * 200, 0, 0)], len(pkt))


def test_malformed_and_foreign_packets_are_left_to_paho() -> None:
    cases = [
        bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),  # a 5-byte remaining length
        bytes([0x30, 0x03, 0x00, 0x09, 0x61]),  # topic longer than the packet
        bytes([0x32, 0x03, 0x00, 0x01, 0x61]),  # QoS 1 without room for its packet id
        bytes([0x34, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]),  # QoS 2: paho's (PUBREC)
        bytes([0x38, 0x04, 0x00, 0x01, 0x61, 0x62]),  # QoS 0 with DUP set
        bytes([0x30, 0x01, 0x00]),  # shorter than a topic length
        bytes([0x30, 0x03, 0x00, 0x00, 0x61]),  # an empty topic
        PINGRESP,
    ]
    for pkt in cases:
        assert split_publishes(pkt + publish(b"a", b"1"), 0, 10, qos1=True) == ([], 0), pkt
    assert split_publishes(publish(b"a", b"1", qos=1, mid=7), 0, 10, qos1=False) == ([], 0)  # paho acks it
    assert split_publishes(publish(b"a", b"1", qos=1, mid=7), 0, 10, qos1=True)[0] == [(b"a", b"1", 7, 1)]


async def _read_all(data: bytes, chunk: int, *, fast: bool, ack_after: bool) -> tuple[list[Received], list[str], bool]:
    """Everything a Receiver puts in its inbox from ``data`` sent over a socket in ``chunk``-byte pieces, what it
    refused, and whether paho closed the connection (a malformed packet)."""
    a, b = socket.socketpair()
    a.setblocking(False)
    paho = mqtt_client.Client(mqtt_client.CallbackAPIVersion.VERSION2, protocol=mqtt_client.MQTTv311)
    paho._sock = a
    client: Any = types.SimpleNamespace(_client=paho)
    refused: list[str] = []
    box = Inbox(max_messages=10_000, max_bytes=10**8)
    rx = Receiver(box, Counter(), refused.append)
    rx.prepare(client, ack_after=ack_after)
    assert rx.attach(client)
    assert rx._fast
    rx._fast = fast
    fd = a.fileno()
    try:
        for i in range(0, len(data), chunk):
            if paho._sock is None:  # paho closed the connection
                break
            b.sendall(data[i : i + chunk])
            rx._readable()
        for _ in range(len(data) + 1):  # each call reads at least one packet or finds the socket empty
            rx._readable()
    finally:
        asyncio.get_running_loop().remove_reader(fd)
        for sock in (a, b, paho._sockpairR, paho._sockpairW):
            if sock is not None:
                sock.close()
    return [(t, bytes(p), mid, qos, c) for t, p, mid, qos, c in box.items], refused, paho._sock is None


@settings(max_examples=60, deadline=None)
@given(packets=_packets, chunk=st.integers(1, 5000), ack_after=st.booleans())
def test_the_inbox_gets_what_pahos_reader_gives(packets: list[bytes], chunk: int, ack_after: bool) -> None:
    data = b"".join(packets)

    async def both() -> None:
        want = await _read_all(data, chunk, fast=False, ack_after=ack_after)
        got = await _read_all(data, chunk, fast=True, ack_after=ack_after)
        assert got == want

    asyncio.run(both())


@pytest.mark.broker
async def test_a_monitor_reads_qos0_messages_itself(mosquitto: BrokerURL) -> None:
    hr = Topics().of("club", "ann", "hr")
    async with Monitor(mosquitto) as monitor, mosquitto.client() as pub:
        await monitor.wait_connected()
        for i in range(200):
            await pub.publish(hr, json.dumps({"t": 1_732_400_000 + i, "v": 150}).encode(), qos=0)

        async def handled() -> None:
            while monitor.router.counters["messages"] < 200:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(handled(), 10)
        assert monitor.router.counters["samples"] == 200
        assert monitor._receiver.fast_count > 0

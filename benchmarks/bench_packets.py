"""The receive path alone, no broker: CPU per message of QoS-0 PUBLISH packets read by paho's own reader and split
off the receive buffer by :func:`monitor.mqtt.packets.split_publishes`, through the monitor's ``Receiver`` over a
local socket pair.

    python -m benchmarks.bench_packets [--messages 100000] [--rounds 2]

Prints one JSON line: µs of CPU per message for each path (best of the rounds) and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import time
import types
from collections import Counter
from typing import Any

import paho.mqtt.client as mqtt_client

from monitor.core.wire import Topics
from monitor.mqtt.intake import Inbox, Receiver

PAYLOAD = b'{"t":1732400000.0,"v":151}'


def publish_packet(topic: bytes, payload: bytes) -> bytes:
    """An MQTT 3.1.1 QoS-0 PUBLISH packet."""
    body = len(topic).to_bytes(2, "big") + topic + payload
    n, length = len(body), b""
    while True:
        n, d = divmod(n, 128)
        length += bytes([d | (0x80 if n else 0)])
        if not n:
            return bytes([0x30]) + length + body


async def receive(data: bytes, messages: int, *, split: bool) -> float:
    """CPU seconds for a Receiver to put ``messages`` packets from ``data`` into its inbox."""
    a, b = socket.socketpair()
    a.setblocking(False)
    paho = mqtt_client.Client(mqtt_client.CallbackAPIVersion.VERSION2, protocol=mqtt_client.MQTTv311)
    paho._sock = a
    client: Any = types.SimpleNamespace(_client=paho)
    box = Inbox(max_messages=2 * messages, max_bytes=2 * len(data) + 1)
    rx = Receiver(box, Counter(), lambda _topic: None)
    rx.prepare(client, ack_after=False)
    if not rx.attach(client):
        raise SystemExit("bench_packets: this paho version does not allow the monitor's receive path")
    rx._fast = rx._fast and split
    fd = a.fileno()
    began = time.process_time()
    try:
        for i in range(0, len(data), 16384):  # the socket pair's buffer is small: send, then read, in turn
            b.sendall(data[i : i + 16384])
            rx._readable()
        while len(box) < messages:
            rx._readable()
        return time.process_time() - began
    finally:
        asyncio.get_running_loop().remove_reader(fd)
        for sock in (a, b, paho._sockpairR, paho._sockpairW):
            if sock is not None:
                sock.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="receive path: paho's reader vs split_publishes")
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    topics = Topics()
    data = b"".join(
        publish_packet(topics.of("club", f"a{i % 400}", "hr").encode(), PAYLOAD) for i in range(args.messages)
    )

    async def run() -> dict[str, float]:
        best = {"paho": float("inf"), "split": float("inf")}
        for _ in range(args.rounds):
            for name in best:
                best[name] = min(best[name], await receive(data, args.messages, split=name == "split"))
        return {f"{k}_us_per_msg": round(v / args.messages * 1e6, 2) for k, v in best.items()}

    result = asyncio.run(run())
    result["ratio"] = round(result["paho_us_per_msg"] / result["split_us_per_msg"], 1)
    print(json.dumps({"messages": args.messages, **result}))


if __name__ == "__main__":
    main()

"""Coalesced socket writes (monitor.mqtt.sendbuf): one send() per flush, nothing reordered or lost when the
socket is full."""

from __future__ import annotations

import socket
from collections import Counter, deque

from monitor.mqtt.sendbuf import SendBuffer


class FakePaho:
    """The part of paho SendBuffer uses: ``_sock_send`` and a ``loop_write`` that sends each queued packet."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.queue: deque[bytes] = deque()

    def _sock_send(self, data: bytes | bytearray) -> int:
        return self._sock.send(data)

    def loop_write(self) -> None:
        while self.queue:
            packet = self.queue.popleft()
            n = self._sock_send(packet)
            assert n == len(packet)  # what SendBuffer gathers it takes whole


def _drain(sock: socket.socket) -> bytes:
    out = b""
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except BlockingIOError:
            return out
        if not chunk:
            return out
        out += chunk


def test_a_flush_is_one_send_and_a_full_socket_keeps_the_order() -> None:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    try:
        paho = FakePaho(a)
        counters: Counter[str] = Counter()
        buf = SendBuffer(paho, counters)
        packets = [bytes([i % 251]) * 1500 for i in range(2000)]  # ~3 MB: more than the socket buffers hold
        paho.queue.extend(packets[:10])
        buf.write()
        assert counters["socket_writes"] == 1 and not buf.pending  # ten packets, one send()
        paho.queue.extend(packets[10:])
        buf.write()
        assert buf.pending  # the socket is full: the rest waits, in order
        assert paho._sock_send(b"late") == 4  # a later write queues behind it, never overtakes
        received = b""
        while buf.pending:
            received += _drain(b)
            buf.send_pending()
        received += _drain(b)
        assert received == b"".join(packets) + b"late"
        buf.detach()
        assert "_sock_send" not in vars(paho)  # paho's own writer again
    finally:
        a.close()
        b.close()

"""The receive path: everything the socket holds, drained per wake-up into a bounded inbox, processed in batches.

aiomqtt keeps the connection (TLS, CONNECT/SUBSCRIBE, keepalive, reconnects); its per-message iterator is not
used. :class:`Receiver` hooks the paho client that aiomqtt wraps:

- paho's ``on_message`` appends ``(topic, payload, mid, qos)`` to the :class:`Inbox` (no per-message task, no
  validated ``Topic`` object);
- the socket's reader callback reads packets until the socket has nothing more (paho reads one packet per
  wake-up otherwise), through a 64 KiB receive buffer (paho asks the socket for 1 byte, then the length bytes,
  then the rest of every packet);
- when the inbox is full (messages or bytes) it stops reading the socket — back-pressure: the broker keeps the
  messages (QoS 1: up to its ``max_queued_messages``, see docs/deploy.md) — and reads again once the processor
  has drained half of it;
- with a persistent session, QoS 1 messages are acknowledged (PUBACK) only once processed, so a monitor killed
  with messages in its inbox gets them again from the broker (see ``Monitor(identifier=...)``);
- the PUBLISH packets that need nothing from paho (QoS 0; QoS 1 when acknowledged after processing) are split
  off that buffer by :func:`monitor.mqtt.packets.split_publishes` and go straight to the inbox, ~1.3 µs each
  where paho's reader takes ~11 µs (``python -m benchmarks.bench_packets``); every other packet, and any that is
  incomplete or malformed, is paho's to read, in order;
- TCP_NODELAY on the socket (statuses and acks are small), and on Linux TCP_QUICKACK after every read: the
  socket acknowledges what it received at once instead of up to 40 ms later (delayed ACK). A broker that sends
  with Nagle's algorithm (Mosquitto's default, ``set_tcp_nodelay false``) holds each further small PUBLISH until
  the previous one is acknowledged, so delayed ACKs put ~40 ms between a gateway's frame and the monitor's status
  (docs/performance.md, "Latency"). The kernel leaves quick-ACK mode by itself, hence once per read;
- paho's dispatch of a received message (``_handle_on_message``: the topic decoded, then matched against the
  filtered callbacks' topic tree, under two locks) is skipped while no filtered callback is registered (aiomqtt
  and crampwatch register none): the message goes straight to ``on_message``. That dispatch was 7 % of the
  monitor's CPU under the throughput load (``python -m benchmarks.spy``).

Without paho's internals (another paho version), :meth:`Receiver.attach` returns False and the monitor falls back
to aiomqtt's iterator, with the inbox's hard bound refusing (and counting) what does not fit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import aiomqtt
import paho.mqtt.client as mqtt_client

from monitor.mqtt.packets import split_publishes

log = logging.getLogger("crampwatch.monitor")

#: One received message: topic, payload, and for the acknowledgement after processing the MQTT message id, QoS
#: and the connection it came over (acknowledged only on that one; the broker redelivers the others).
Received = tuple[str, bytes, int, int, int]

_RECV_CHUNK = 65536
#: Linux's TCP_QUICKACK (None elsewhere: delayed ACKs stay as the system has them).
QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


def quick_ack(sock: socket.socket) -> None:
    """Acknowledge at once what this socket receives next (Linux; the kernel drops back to delayed ACKs by
    itself, so call it after every read). A closed or non-TCP socket is left alone."""
    if QUICKACK is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)


class Inbox:
    """Bounded FIFO of received messages, by count and by payload bytes.

    ``full`` (at ``max_messages`` or ``max_bytes``) is where the receiver stops reading; :meth:`put` refuses only
    beyond twice that (a receiver that cannot stop reading).

    >>> box = Inbox(max_messages=2, max_bytes=100)
    >>> box.put(("t", b"12345", 0, 0, 0)), box.full, box.put(("t", b"6", 0, 0, 0)), box.full
    (True, False, True, True)
    >>> [m[1] for m in box.take(10)], box.bytes
    ([b'12345', b'6'], 0)
    """

    def __init__(self, *, max_messages: int, max_bytes: int) -> None:
        if max_messages < 1 or max_bytes < 1:
            raise ValueError("inbox bounds must be positive")
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.items: deque[Received] = deque()
        self.bytes = 0
        self.high_water = 0  # most messages waiting at once
        self.ready = asyncio.Event()

    @property
    def full(self) -> bool:
        return len(self.items) >= self.max_messages or self.bytes >= self.max_bytes

    @property
    def low(self) -> bool:
        """Drained to half: time to read again."""
        return len(self.items) <= self.max_messages // 2 and self.bytes <= self.max_bytes // 2

    def put(self, item: Received) -> bool:
        if len(self.items) >= 2 * self.max_messages or self.bytes >= 2 * self.max_bytes:
            return False
        self.items.append(item)
        self.bytes += len(item[1])
        if len(self.items) > self.high_water:
            self.high_water = len(self.items)
        self.ready.set()
        return True

    def take(self, limit: int) -> list[Received]:
        """Up to ``limit`` messages, oldest first."""
        n = min(limit, len(self.items))
        batch = [self.items.popleft() for _ in range(n)]
        self.bytes -= sum(len(m[1]) for m in batch)
        if not self.items:
            self.ready.clear()
        return batch

    def __len__(self) -> int:
        return len(self.items)


class Receiver:
    """Feeds one connected aiomqtt client's messages into an :class:`Inbox` (see the module docstring)."""

    def __init__(self, inbox: Inbox, counters: Counter[str], on_refused: Callable[[str], None]) -> None:
        self.inbox = inbox
        self.counters = counters
        self.on_refused = on_refused
        self.paused = False
        self._client: aiomqtt.Client | None = None
        self._paho: Any = None
        self._fd = -1
        self._buf = b""
        self._pos = 0
        self._recv: Callable[[int], bytes] | None = None
        self._sock: socket.socket | None = None
        self.connection = 0  # counts attached connections
        self._ack_after = False
        self._matcher: Any = None  # paho's tree of filtered callbacks
        self._fast = False  # PUBLISH packets read from the buffer here (monitor.mqtt.packets), not by paho
        self._clock: Callable[[], float] | None = None
        self.fast_count = 0  # messages that took that path (tests, diagnostics)

    def prepare(self, client: aiomqtt.Client, *, ack_after: bool) -> None:
        """Before connecting: route paho's messages to the inbox (a persistent session delivers what it kept as
        soon as the connection is up). ``ack_after``: acknowledge QoS 1 messages once processed (worth it with a
        persistent session only: a clean one is gone with the connection anyway)."""
        paho = getattr(client, "_client", None)
        if paho is None or not hasattr(paho, "manual_ack_set"):
            return
        self.connection += 1
        self._client, self._paho = client, paho
        paho.on_message = self._on_message
        matcher = getattr(paho, "_on_message_filtered", None)
        dispatch = getattr(paho, "_handle_on_message", None)
        if callable(dispatch) and hasattr(getattr(matcher, "_root", None), "_children"):
            paho._handle_on_message = lambda message: self._dispatch(message, matcher, dispatch)
            self._matcher = matcher
        paho.manual_ack_set(ack_after)
        self._ack_after = ack_after

    def attach(self, client: aiomqtt.Client) -> bool:
        """Take over the reading of a connected client (after :meth:`prepare`); False if this paho version does
        not allow it (then aiomqtt's iterator feeds :meth:`put`)."""
        paho = getattr(client, "_client", None)
        sock = paho.socket() if paho is not None else None
        recv = getattr(paho, "_sock_recv", None)
        if paho is not self._paho or not isinstance(sock, socket.socket) or not callable(recv):
            return False
        self._fd = sock.fileno()
        self._buf, self._pos, self._recv, self.paused = b"", 0, recv, False
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock if QUICKACK is not None else None
        paho._sock_recv = self._buffered_recv
        self._fast = self._can_split(paho)
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._fd)
        loop.add_reader(self._fd, self._readable)
        return True

    def _can_split(self, paho: Any) -> bool:
        """Whether PUBLISH packets may be read here: MQTT 3.1.x (no properties, no topic aliases), paho's reader
        state and clock where this code expects them."""
        state = getattr(paho, "_in_packet", None)
        self._clock = getattr(mqtt_client, "time_func", None)
        return (
            getattr(paho, "_protocol", None) in (mqtt_client.MQTTv31, mqtt_client.MQTTv311)
            and isinstance(state, dict)
            and "command" in state
            and hasattr(paho, "_last_bytes_received")
            and hasattr(paho, "_sock")
            and self._matcher is not None
            and callable(self._clock)
        )

    def detach(self) -> None:
        self._client = self._paho = None
        self.paused = False
        self._fast = False

    def put(self, topic: str, payload: bytes) -> None:
        """A message from aiomqtt's iterator (fallback; paho acknowledged it already)."""
        if not self.inbox.put((topic, payload, 0, 0, -1)):
            self.counters["overload"] += 1
            self.on_refused(topic)

    def ack(self, batch: list[Received]) -> None:
        """Acknowledge the QoS 1 messages of a processed batch that came over the current connection (the
        broker redelivers the others to the persistent session)."""
        paho = self._paho
        if paho is None or not self._ack_after:
            return
        for _, _, mid, qos, connection in batch:
            if qos > 0 and connection == self.connection:
                paho.ack(mid, qos)

    def resume(self) -> None:
        """Read again after a pause (the processor drained the inbox to half)."""
        if not self.paused or self._paho is None or self._paho.socket() is None:
            return
        self.paused = False
        loop = asyncio.get_running_loop()
        loop.add_reader(self._fd, self._readable)
        loop.call_soon(self._readable)  # what is already in our receive buffer wakes no reader

    # ---- paho callbacks (on the event loop) ------------------------------------------------------------
    def _dispatch(self, message: Any, matcher: Any, paho_dispatch: Callable[[Any], None]) -> None:
        """paho's message dispatch, without its topic matching while no filtered callback exists."""
        if matcher._root._children:  # someone added a filtered callback: paho decides, as it would
            paho_dispatch(message)
        else:
            self._on_message(None, None, message)

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            self.on_refused("(topic not UTF-8)")
            return
        if not self.inbox.put((topic, message.payload, message.mid, message.qos, self.connection)):
            self.counters["overload"] += 1
            self.on_refused(topic)

    def _buffered_recv(self, bufsize: int) -> bytes:
        if self._pos >= len(self._buf):
            assert self._recv is not None
            data = self._recv(_RECV_CHUNK)  # paho's own: BlockingIOError when empty, b"" when closed
            if not data:
                return data
            self._buf, self._pos = data, 0
            if self._sock is not None:
                quick_ack(self._sock)
        start = self._pos
        self._pos = min(len(self._buf), start + bufsize)
        return self._buf[start : self._pos]

    def _readable(self) -> None:
        paho, client = self._paho, self._client
        if paho is None or client is None or self.paused:
            return
        try:
            while True:
                if self.inbox.full:
                    self._pause()
                    return
                if self._fast and self._pos < len(self._buf) and self._split(paho):
                    continue
                if paho.loop_read() != 0 or self._pos >= len(self._buf):
                    return
        except Exception as exc:  # the connection broke (paho raises from the socket): aiomqtt reconnects
            disconnected = getattr(client, "_disconnected", None)
            if disconnected is not None and not disconnected.done():
                disconnected.set_exception(exc)

    def _split(self, paho: Any) -> bool:
        """Put the complete PUBLISH packets at the head of the buffer into the inbox, as paho's ``on_message``
        would (:mod:`monitor.mqtt.packets`); False when the next packet is paho's to read."""
        if paho._sock is None or paho._in_packet["command"] != 0 or self._matcher._root._children:
            return False  # the connection is closed, paho is inside a packet, or filtered callbacks exist
        inbox = self.inbox
        found, self._pos = split_publishes(
            self._buf, self._pos, max(1, inbox.max_messages - len(inbox)), qos1=self._ack_after
        )
        if not found:
            return False
        assert self._clock is not None
        paho._last_bytes_received = self._clock()  # what paho's reader records (keepalive)
        connection = self.connection
        for topic_b, payload, mid, qos in found:
            try:
                topic = topic_b.decode()
            except UnicodeDecodeError:
                self.on_refused("(topic not UTF-8)")
                continue
            if not inbox.put((topic, payload, mid, qos, connection)):
                self.counters["overload"] += 1
                self.on_refused(topic)
        self.fast_count += len(found)
        return True

    def _pause(self) -> None:
        self.paused = True
        self.counters["backpressure"] += 1
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(self._fd)

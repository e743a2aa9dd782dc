"""The outgoing side: a bounded buffer of messages waiting for the broker, and the task that publishes it.

Statuses must leave as soon as the processing loop makes them. aiomqtt's ``publish`` returns only once paho's
writer callback has run, i.e. two or more event-loop turns per message, while the processing loop yields one turn
per batch: under a backlog every status piled up in the outbox. So messages go to the paho client that aiomqtt
wraps (:class:`PahoWriter`, while connected), in the order they were put:

- **Write-through and bursts**: a message that nothing waits before is handed to paho when it is put, and
  written on the next event-loop turn together with every other message handed over until then — one ``send()``
  (:class:`monitor.mqtt.sendbuf.SendBuffer`; each ``send()`` on a loopback connection also runs the broker's side
  of TCP, ~100 µs a status under load) — or at once when the oldest of them was handed over :data:`HOLD_S` ago (a
  status made early in a long batch does not wait for the batch's end). Otherwise the publisher hands over at most
  :data:`BURST` messages per event-loop turn, each ``paho.publish()`` only queueing its packet, then one
  ``loop_write()`` writes the burst at once (the writer callbacks are registered on the loop synchronously, so
  these flushes and paho's own bookkeeping agree). Nothing is handed over while the socket holds back bytes of
  ours: paho never holds more than one burst; the rest waits in the outbox, where the overflow rule applies.
- **QoS 0** (statuses, rejection reports) count as published once handed over.
- **QoS 1** (alerts, acks) are pipelined: handed over like a status, without waiting for the broker's PUBACK
  before later messages are handed over. Each waits in :class:`monitor.mqtt.inflight.InFlight` (paho's
  ``on_publish`` and the message's ``MQTTMessageInfo``) and counts as published once acknowledged. At most
  ``inflight`` of them wait at once: when the bound is reached, a QoS-1 message waits first in the outbox and
  everything put after it waits behind it. One not acknowledged within ``timeout_s`` (a stalled broker) is counted
  in ``publish_timeouts`` and no longer held against the bound; publishing goes on. paho's own in-flight limit is
  off (``max_inflight_messages=0``, see :meth:`monitor.mqtt.broker.BrokerURL.client`), so paho never holds a
  QoS-1 message back while later statuses leave.
- **Order**: the outbox and paho's packet queue are both FIFO, so messages reach the wire in the order they were
  put: an alert goes after every status put before it (the status it belongs to included) and before every
  message put after it. The broker acknowledges it later; statuses put after it are not held for that.
- **A lost connection**: the QoS-1 messages not yet acknowledged go back to the front of the outbox, in order, and
  are published again, first, on the next connection (at least once; a consumer de-duplicates by alert id).
  Statuses handed to paho but not yet written are lost with the connection — at most one burst; each is
  superseded by its athlete's next status.

``published`` counts messages handed over (QoS 0) or acknowledged (QoS 1). The awaited path
(:func:`publish_first`: ``await client.publish(...)`` per message; with a QoS-1 message nothing put after it is
handed over before its PUBACK or the timeout) serves ``publish_loop(direct=False)`` (``crampwatch monitor
--publish awaited``) and paho versions without the internals used here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import aiomqtt
import paho.mqtt.client as mqtt

from monitor.mqtt.inflight import InFlight, Item
from monitor.mqtt.sendbuf import SendBuffer

log = logging.getLogger("crampwatch.monitor")

#: Messages handed to paho per event-loop turn, and so the most paho holds. A status is ~1.5 KB: a burst
#: is ~1.5 MB, written in ~10-30 ms on a loaded core; a 500-message batch of 10-frame messages makes ≤ 1,000.
BURST = 1000
#: QoS-1 messages (an alert is two: the athlete's topic and the coach feed) awaiting their PUBACK at once.
INFLIGHT = 20
#: A message handed to paho is written on the next event-loop turn (with every other one handed over until then,
#: as one ``send()``), or at once when the oldest one not yet written was handed over this long ago (s).
HOLD_S = 0.002
_QUEUE_SIZE = mqtt.MQTT_ERR_QUEUE_SIZE


class Outbox:
    """Bounded buffer of (topic, payload, qos, retain) waiting for the broker. On overflow the oldest *status*
    (retained at QoS 0: a newer snapshot supersedes it) is dropped and counted; alerts and other QoS-1 messages
    (acks, Home Assistant discovery configs) are kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: deque[Item] = deque()
        self.ready = asyncio.Event()
        #: set whenever the buffer is empty, paho has written what it was given and no QoS-1 message handed over
        #: waits for its PUBACK (unless timed out)
        self.drained = asyncio.Event()
        self.drained.set()
        self.dropped = 0
        self.high_water = 0  # most messages waiting at once
        self.sending = False  # the first message is being awaited: the overflow rule leaves it alone
        #: While connected: hands a message straight to paho, or returns False (then it waits here).
        self.direct: Callable[[str, bytes, int, bool], bool] | None = None

    def put(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self.drained.clear()
        if not self.items and self.direct is not None and self.direct(topic, payload, qos, retain):
            return  # nothing waits before it: written at once
        self.items.append((topic, payload, qos, retain))
        self._trim()
        self.high_water = max(self.high_water, len(self.items))
        self.ready.set()

    def requeue(self, items: list[Item]) -> None:
        """Messages handed over but not acknowledged on a lost connection: first in line again, in order."""
        if not items:
            return
        self.drained.clear()
        self.items.extendleft(reversed(items))
        self._trim()
        self.high_water = max(self.high_water, len(self.items))
        self.ready.set()

    def _trim(self) -> None:
        while len(self.items) > self.limit:
            for i, item in enumerate(self.items):
                if item[3] and not item[2] and (i or not self.sending):  # retained at QoS 0 = a status snapshot
                    del self.items[i]
                    self.dropped += 1
                    break
            else:
                return  # alerts only: all kept


class PahoWriter:
    """Hands messages straight to the paho client under one connected aiomqtt client and writes them at once.
    Installs its own socket writer callbacks on paho (the same work as aiomqtt's, registered synchronously when
    called on the loop's thread) and chains paho's ``on_publish`` to follow the QoS-1 messages' PUBACKs;
    :meth:`detach` gives aiomqtt its own back and returns the unacknowledged QoS-1 messages to the outbox."""

    def __init__(
        self, client: aiomqtt.Client, paho: Any, box: Outbox, counters: Counter[str], inflight: InFlight
    ) -> None:
        self.client = client
        self.paho = paho
        self.box = box
        self.counters = counters
        self.inflight = inflight
        inflight.on_change = self.check_drained
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.written = asyncio.Event()  # paho holds no unwritten packet (or the connection is gone)
        self.written.set()
        self.sendbuf = SendBuffer(paho, counters)
        self._fd = paho.socket().fileno()
        self._held_since: float | None = None  # when the oldest message not yet written was handed over
        self._saved = (paho.on_socket_register_write, paho.on_socket_unregister_write, paho.on_publish)
        paho.on_socket_register_write = self._register
        paho.on_socket_unregister_write = self._unregister
        paho.on_publish = self._on_publish
        box.direct = self.direct

    @classmethod
    def attach(
        cls, client: aiomqtt.Client, box: Outbox, counters: Counter[str], *, inflight: int = INFLIGHT,
        timeout_s: float = 10.0,
    ) -> PahoWriter | None:  # fmt: skip
        """A writer for a connected client, or None where paho does not offer what it needs."""
        paho = getattr(client, "_client", None)
        methods = ("publish", "loop_write", "want_write", "socket")
        if paho is None or not all(callable(getattr(paho, m, None)) for m in methods):
            return None
        if not all(hasattr(paho, c) for c in ("on_socket_register_write", "on_publish")) or paho.socket() is None:
            return None
        return cls(client, paho, box, counters, InFlight(inflight, timeout_s, counters))

    def detach(self) -> None:
        if self.box.direct == self.direct:
            self.box.direct = None
        self.sendbuf.detach()
        paho = self.paho
        if paho.on_socket_register_write == self._register:
            paho.on_socket_register_write, paho.on_socket_unregister_write = self._saved[:2]
        if paho.on_publish == self._on_publish:
            paho.on_publish = self._saved[2]
        self.box.requeue(self.inflight.take())

    def direct(self, topic: str, payload: bytes, qos: int, retain: bool) -> bool:
        """Write-through for a message that nothing waits before: handed to paho and written on the next
        event-loop turn with every other message handed over until then (one ``send()``; at once when the oldest
        of them waited :data:`HOLD_S`), unless the socket is full (the bound), a QoS-1 message finds the
        in-flight bound reached, or paho refuses it (no connection)."""
        if self.sendbuf.pending or (qos and self.inflight.full):
            return False
        info = self._publish(topic, payload, qos, retain)
        if info.rc:
            return False
        if qos:
            self.inflight.add((topic, payload, qos, retain), info)
        else:
            self.counters["published"] += 1
        self.written.clear()
        now = time.perf_counter()
        if self._held_since is None:
            self._held_since = now
            with contextlib.suppress(ValueError, OSError):  # a socket closing: flush() finds out on its next call
                self.loop.add_writer(self._fd, self.flush)  # the next turn (paho may think it registered it already)
        elif now - self._held_since >= HOLD_S:
            self.flush()
        return True

    def burst(self, limit: int) -> int:
        """Hand the messages at the head of the box to paho (at most ``limit``; QoS-1 ones while the in-flight
        bound allows), then write them. A refused publish (no connection) raises :class:`aiomqtt.MqttCodeError`,
        the message staying first."""
        items, inflight, n, published = self.box.items, self.inflight, 0, 0
        try:
            while n < limit and items:
                topic, payload, qos, retain = item = items[0]
                if qos and inflight.full:
                    break
                info = self._publish(topic, payload, qos, retain)
                if info.rc:
                    raise aiomqtt.MqttCodeError(info.rc, "Could not publish message")
                items.popleft()
                n += 1
                if qos:
                    inflight.add(item, info)
                else:
                    published += 1
        finally:
            self.counters["published"] += published
            if n:
                self.written.clear()
                self.flush()
        return n

    def _publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> Any:
        info = self.paho.publish(topic, payload, qos, retain)
        if qos and info.rc == _QUEUE_SIZE:  # the wrapped mid is still held by an unacknowledged message: next one
            info = self.paho.publish(topic, payload, qos, retain)
        return info

    def flush(self) -> None:
        """Write what paho holds, as one ``send()`` as far as the socket takes it (the rest when it is writable
        again). Packets leave in order."""
        self._held_since = None
        try:
            if self.sendbuf.send_pending():  # earlier bytes first
                self.sendbuf.write()
        except Exception as exc:  # the connection broke (as aiomqtt's own writer callback handles it)
            disconnected = getattr(self.client, "_disconnected", None)
            if isinstance(disconnected, asyncio.Future) and not disconnected.done():
                disconnected.set_exception(exc)
            self._done()
            return
        if self.sendbuf.pending:  # the socket is full: again when it is writable
            self.written.clear()
            self.loop.add_writer(self._fd, self.flush)
            return
        if not self.paho.want_write():
            with contextlib.suppress(ValueError, OSError):
                self.loop.remove_writer(self._fd)
            if not self.written.is_set():
                self._done()

    def _done(self) -> None:
        self.written.set()
        self.check_drained()

    def check_drained(self) -> None:
        """Set the box's ``drained``: nothing waits, paho wrote all, no QoS-1 message awaits its PUBACK."""
        if not self.box.items and self.written.is_set() and not self.inflight.open:
            self.box.drained.set()

    # ---- paho callbacks ----------------------------------------------------------------------------------
    def _register(self, _client: Any, _userdata: Any, sock: Any) -> None:
        if threading.get_ident() == self.thread:
            self.loop.add_writer(sock.fileno(), self.flush)
        else:
            self.loop.call_soon_threadsafe(self.loop.add_writer, sock.fileno(), self.flush)

    def _unregister(self, _client: Any, _userdata: Any, sock: Any) -> None:
        if self.sendbuf.gathering or self.sendbuf.pending:
            return  # inside flush(), which decides; or bytes still wait for the socket (flush() is registered)
        with contextlib.suppress(ValueError, OSError):
            self.loop.remove_writer(sock.fileno())
        if not self.written.is_set():  # paho's queue is empty, or the socket is closing
            self._done()

    def _on_publish(self, client: Any, userdata: Any, mid: int, *args: Any) -> None:
        on_publish = self._saved[2]
        if on_publish is not None:
            on_publish(client, userdata, mid, *args)  # aiomqtt's: its own awaited publishes
        self.inflight.on_publish(mid)


async def publish_loop(
    client: aiomqtt.Client,
    box: Outbox,
    counters: Counter[str],
    timeout_s: float,
    *,
    burst: int = BURST,
    direct: bool = True,
    inflight: int = INFLIGHT,
) -> None:
    """Publish the outbox in order over ``client`` (see the module docstring). A lost connection raises; what
    was not handed over (and the QoS-1 messages not acknowledged) stays in the box for the next connection.
    ``direct``: through :class:`PahoWriter` (the default; at most ``inflight`` QoS-1 messages awaiting their
    PUBACK); False: every message takes the awaited path."""
    writer = PahoWriter.attach(client, box, counters, inflight=inflight, timeout_s=timeout_s) if direct else None
    try:
        while True:
            if not box.items:
                if writer is None:
                    box.drained.set()
                else:
                    writer.check_drained()
                box.ready.clear()
                await box.ready.wait()
            elif writer is None:
                await publish_first(client, box, counters, timeout_s)
            elif not writer.written.is_set():  # the socket did not take the last burst yet
                await writer.written.wait()
            elif box.items[0][2] and writer.inflight.full:  # a QoS-1 message first, the in-flight bound reached
                await writer.inflight.slot.wait()
            else:
                writer.burst(burst)
                await asyncio.sleep(0)  # one burst per turn: the processing loop and the reader get theirs
    finally:
        if writer is not None:
            writer.detach()


async def publish_first(client: aiomqtt.Client, box: Outbox, counters: Counter[str], timeout_s: float) -> None:
    """Publish the first message and wait for paho (QoS 0) or the broker (QoS 1) to confirm it. Not confirmed
    within ``timeout_s`` (a stalled broker): it stays with paho, which delivers it when the broker resumes —
    counted, never fatal. A lost connection raises; the message stays first in the box."""
    topic, payload, qos, retain = box.items[0]
    box.sending = True
    try:
        await client.publish(topic, payload, qos=qos, retain=retain, timeout=timeout_s)
    except aiomqtt.MqttCodeError:
        raise
    except aiomqtt.MqttError as exc:  # "Operation timed out": queued in paho, the broker is slow
        counters["publish_timeouts"] += 1
        if counters["publish_timeouts"] == 1 or counters["publish_timeouts"] % 1000 == 0:
            log.warning("broker slow to confirm a publish (%s); carrying on", exc)
    finally:
        box.sending = False
    box.items.popleft()
    counters["published"] += 1

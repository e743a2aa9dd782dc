"""The outgoing side: a bounded buffer of messages waiting for the broker, and the task that publishes it.

Statuses must leave as soon as the processing loop makes them. aiomqtt's ``publish`` returns only once paho's
writer callback has run, i.e. two or more event-loop turns per message, while the processing loop yields one turn
per batch: under a backlog every status piled up in the outbox. So messages go to the paho client that aiomqtt
wraps (:class:`PahoWriter`, while connected):

- **QoS 0** (statuses, rejection reports): when nothing waits before it, written through at once (handed to paho
  and written to the socket when it is put: a status made early in a batch does not wait for the batch's end);
  otherwise in bursts of at most :data:`BURST` messages per event-loop turn, each ``paho.publish()`` only queueing
  its packet, then one ``loop_write()`` writing the burst to the socket at once (the writer callbacks are
  registered on the loop synchronously, so these flushes and paho's own bookkeeping agree). Nothing is handed
  over while the last burst is not in the socket yet (paho marks a QoS-0 message published once written; its
  queue is FIFO): paho never holds more than one burst of ours (besides acks and alerts); the rest waits in the
  outbox, where the overflow rule applies.
- **QoS 1** (alerts, acks) stay on the awaited path: ``await client.publish()`` returns on the broker's PUBACK, or
  after ``timeout_s`` (counted in ``publish_timeouts``; paho keeps the message and delivers it when the broker
  resumes).
- **Order**: the outbox and paho's packet queue are both FIFO, so messages reach the wire in the order they were
  put. An alert goes after every status put before it (the status it belongs to included), and nothing put after
  it is handed over before the broker acknowledged it (or the timeout passed): an alert never overtakes a status,
  and no later status overtakes an alert — except one that timed out (a stalled broker), which paho delivers
  whenever the broker resumes.
- **A lost connection**: an alert leaves the outbox only once acknowledged (or timed out), so it is published
  again on the next connection (at least once). Statuses handed to paho but not yet written are lost with the
  connection — at most one burst; each is superseded by its athlete's next status.

``published`` counts messages handed over (QoS 0) or acknowledged (QoS 1). Without paho's internals (another paho
or aiomqtt version) every message takes the awaited path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import aiomqtt

log = logging.getLogger("crampwatch.monitor")

#: QoS-0 messages handed to paho per event-loop turn, and so the most paho holds. A status is ~1.5 KB: a burst
#: is ~1.5 MB, written in ~10-30 ms on a loaded core; a 500-message batch of 10-frame messages makes ≤ 1,000.
BURST = 1000


class Outbox:
    """Bounded buffer of (topic, payload, qos, retain) waiting for the broker. On overflow the oldest *status*
    (retained: a newer snapshot supersedes it) is dropped and counted; alerts are kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: deque[tuple[str, bytes, int, bool]] = deque()
        self.ready = asyncio.Event()
        self.drained = asyncio.Event()  # set whenever the buffer is empty and paho has written what it was given
        self.drained.set()
        self.dropped = 0
        self.high_water = 0  # most messages waiting at once
        self.sending = False  # the first message is being awaited: the overflow rule leaves it alone
        #: While connected: hands a QoS-0 message straight to paho, or returns False (then it waits here).
        self.direct: Callable[[str, bytes, bool], bool] | None = None

    def put(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self.drained.clear()
        if not qos and not self.items and self.direct is not None and self.direct(topic, payload, retain):
            return  # nothing waits before it: written at once
        self.items.append((topic, payload, qos, retain))
        if len(self.items) > self.limit:
            for i, item in enumerate(self.items):
                if item[3] and (i or not self.sending):  # retained = a status snapshot
                    del self.items[i]
                    self.dropped += 1
                    break
        self.high_water = max(self.high_water, len(self.items))
        self.ready.set()


class PahoWriter:
    """Hands QoS-0 messages straight to the paho client under one connected aiomqtt client and writes them at
    once. Installs its own socket writer callbacks on paho (the same work as aiomqtt's, registered synchronously
    when called on the loop's thread); :meth:`detach` gives aiomqtt its own back."""

    def __init__(self, client: aiomqtt.Client, paho: Any, box: Outbox, counters: Counter[str]) -> None:
        self.client = client
        self.paho = paho
        self.box = box
        self.counters = counters
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.last: Any = None  # paho's MQTTMessageInfo of the last message handed over
        self.written = asyncio.Event()  # the last burst is in the socket (or the connection is gone)
        self.written.set()
        self._saved = (paho.on_socket_register_write, paho.on_socket_unregister_write)
        paho.on_socket_register_write = self._register
        paho.on_socket_unregister_write = self._unregister
        box.direct = self.direct

    @classmethod
    def attach(cls, client: aiomqtt.Client, box: Outbox, counters: Counter[str]) -> PahoWriter | None:
        """A writer for a connected client, or None where paho does not offer what it needs."""
        paho = getattr(client, "_client", None)
        methods = ("publish", "loop_write", "socket")
        if paho is None or not all(callable(getattr(paho, m, None)) for m in methods):
            return None
        if not hasattr(paho, "on_socket_register_write") or paho.socket() is None:
            return None
        return cls(client, paho, box, counters)

    def detach(self) -> None:
        if self.box.direct == self.direct:
            self.box.direct = None
        paho = self.paho
        if paho.on_socket_register_write == self._register:
            paho.on_socket_register_write, paho.on_socket_unregister_write = self._saved

    def direct(self, topic: str, payload: bytes, retain: bool) -> bool:
        """Write-through for a QoS-0 message that nothing waits before: handed to paho and written at once,
        unless the last burst is not in the socket yet (the bound) or paho refuses it (no connection)."""
        if not self.written.is_set():
            return False
        info = self.paho.publish(topic, payload, 0, retain)
        if info.rc:
            return False
        self.last = info
        self.counters["published"] += 1
        self.written.clear()
        self.flush()
        return True

    def burst(self, limit: int) -> int:
        """Hand the QoS-0 messages at the head of the box to paho (at most ``limit``), then write them. A
        refused publish (no connection) raises :class:`aiomqtt.MqttCodeError`, the message staying first."""
        items, publish, n = self.box.items, self.paho.publish, 0
        try:
            while n < limit and items:
                topic, payload, qos, retain = items[0]
                if qos:
                    break
                info = publish(topic, payload, 0, retain)
                if info.rc:
                    raise aiomqtt.MqttCodeError(info.rc, "Could not publish message")
                items.popleft()
                n += 1
                self.last = info
        finally:
            self.counters["published"] += n
            if n:
                self.written.clear()
                self.flush()
        return n

    def flush(self) -> None:
        """Write what paho holds, as far as the socket takes it (the rest when it is writable again). paho
        marks a QoS-0 message published once its packet is in the socket; packets leave in order."""
        try:
            self.paho.loop_write()
        except Exception as exc:  # the connection broke (as aiomqtt's own writer callback handles it)
            disconnected = getattr(self.client, "_disconnected", None)
            if isinstance(disconnected, asyncio.Future) and not disconnected.done():
                disconnected.set_exception(exc)
            self._done()
            return
        if not self.written.is_set() and self.last.is_published():
            self._done()

    def _done(self) -> None:
        self.written.set()
        if not self.box.items:
            self.box.drained.set()

    # ---- paho callbacks ----------------------------------------------------------------------------------
    def _register(self, _client: Any, _userdata: Any, sock: Any) -> None:
        if threading.get_ident() == self.thread:
            self.loop.add_writer(sock.fileno(), self.flush)
        else:
            self.loop.call_soon_threadsafe(self.loop.add_writer, sock.fileno(), self.flush)

    def _unregister(self, _client: Any, _userdata: Any, sock: Any) -> None:
        with contextlib.suppress(ValueError, OSError):
            self.loop.remove_writer(sock.fileno())
        if not self.written.is_set():  # paho's queue is empty, or the socket is closing
            self._done()


async def publish_loop(
    client: aiomqtt.Client,
    box: Outbox,
    counters: Counter[str],
    timeout_s: float,
    *,
    burst: int = BURST,
    direct: bool = True,
) -> None:
    """Publish the outbox in order over ``client`` (see the module docstring). A lost connection raises; what
    was not handed over stays in the box for the next connection. ``direct``: QoS-0 messages through
    :class:`PahoWriter` (the default); False: every message takes the awaited path."""
    writer = PahoWriter.attach(client, box, counters) if direct else None
    try:
        while True:
            if not box.items:
                if writer is None or writer.written.is_set():
                    box.drained.set()
                box.ready.clear()
                await box.ready.wait()
            elif writer is not None and box.items[0][2] == 0:
                if not writer.written.is_set():  # the socket did not take the last burst yet
                    await writer.written.wait()
                    continue
                writer.burst(burst)
                await asyncio.sleep(0)  # one burst per turn: the processing loop and the reader get theirs
            else:
                await publish_first(client, box, counters, timeout_s)
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

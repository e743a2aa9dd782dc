"""The bridge: a foreign topic layout in (OwnTracks, ESPHome, a layout file), contract frames out.

::

    bridge = Bridge(broker, load_layout("owntracks"), squad="club")
    await bridge.run(stop)

One MQTT connection subscribes to the layout's topics and hands each message to the pure
:func:`~monitor.gateway.translate.translate`; the frames go out through a
:class:`~monitor.gateway.publisher.FramePublisher` (its own connection: QoS 1, buffered while the broker is away,
as ``gateway ble`` sends them), so the monitor and the RabbitMQ workers only ever read the contract.

What cannot be forwarded is counted and reported the way the monitor reports rejected input: on
``{prefix}/_bridge/rejected``, ``{"topic", "reason", "count"}`` (the foreign topic, a short fixed reason, the running
total for that pair), at most once a second per pair, never the payload; and logged at most once a minute.
Retained messages — the broker's last stored value, handed over when the bridge subscribes, not a new
measurement — are skipped and counted. Messages under the contract's prefix (``crampwatch/v1/...``) are ignored:
a layout topic such as ``{athlete}/+/+/+/+`` would otherwise read the bridge's own frames back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiomqtt

from monitor.core.rejects import RejectReporter
from monitor.core.topics import Topics
from monitor.gateway.layout import Layout
from monitor.gateway.publisher import FramePublisher, _close_socket
from monitor.gateway.translate import Translation, translate
from monitor.mqtt.broker import BrokerURL

log = logging.getLogger("crampwatch.gateway")


class Bridge:
    def __init__(
        self,
        broker: BrokerURL,
        layout: Layout,
        squad: str | None,
        *,
        topics: Topics | None = None,
        clock: Callable[[], float] = time.time,
        buffer_frames: int = 36_000,
        on_subscribed: Callable[[], None] | None = None,
    ) -> None:
        self.broker = broker
        self.layout = layout
        self.squad = squad
        self.topics = topics or Topics()
        self.clock = clock
        self.on_subscribed = on_subscribed
        # its failed connections are said by this bridge's (one line per retry while the broker is away)
        self.publisher = FramePublisher(broker, None, None, topics=self.topics, limit=buffer_frames,
                                        log_retries=False)  # fmt: skip
        self.rejects = RejectReporter()
        #: messages, frames, rejected (values or messages), ignored (not the layout's), retained (skipped)
        self.counts: Counter[str] = Counter()
        self.subscribed = asyncio.Event()
        self._outbox: list[bytes] = []
        self._logged = -1e18

    @property
    def rejected_topic(self) -> str:
        return f"{self.topics.prefix}/_bridge/rejected"

    # ---- one message (no I/O) -------------------------------------------------------------------------------
    def handle(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Translate one foreign message; queue its frames and its rejection reports."""
        self.counts["messages"] += 1
        if retain:
            self.counts["retained"] += 1
            return
        if topic.startswith(self.topics.prefix + "/"):  # our own frames and reports: a wide layout topic sees them
            self.counts["ignored"] += 1
            return
        try:
            out = translate(self.layout, topic, payload, now=self.clock(), squad=self.squad)
        except Exception:  # a foreign payload must never stop the bridge; a bug here is logged and counted
            log.exception("%s: message could not be translated", topic[:200])
            out = Translation(rejected=["message could not be translated"])
        for squad, athlete, frame in out.frames:
            self.publisher.frame(frame, squad=squad, athlete=athlete)
        self.counts["frames"] += len(out.frames)
        if out.ignored and not out.frames and not out.rejected:
            self.counts["ignored"] += 1
        for reason in out.rejected:
            self.counts["rejected"] += 1
            self._outbox.extend(self.rejects.add(topic, reason))
        if out.rejected and time.monotonic() - self._logged >= 60:
            self._logged = time.monotonic()
            log.warning("%s: %s; %d rejected so far (reported on %s)", topic[:200], out.rejected[0],
                        self.counts["rejected"], self.rejected_topic)  # fmt: skip

    def summary(self) -> str:
        c = self.counts
        return (
            f"{c['messages']} message(s) in, {c['frames']} frame(s) out, {c['rejected']} rejected, "
            f"{c['ignored']} ignored, {c['retained']} retained skipped"
        )

    # ---- connections ----------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, *, drain_s: float = 10.0) -> None:
        """Until ``stop`` is set: read the foreign topics, publish frames; then send what is buffered (waiting at
        most ``drain_s`` seconds for the broker)."""
        link_stop = asyncio.Event()
        link = asyncio.create_task(self.publisher.run(link_stop), name="crampwatch-bridge-publish")
        listen = asyncio.create_task(self._listen(stop), name="crampwatch-bridge-listen")
        try:
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({listen, stopped}, return_when=asyncio.FIRST_COMPLETED)
            await _cancel(stopped)
            if listen.done():
                listen.result()  # a failure of the listener (not the broker: it retries that) surfaces here
            await _cancel(listen)
            if not await self.publisher.drained(drain_s):
                log.warning("%d message(s) not sent: the broker did not come back in time", self.publisher.pending)
        finally:
            link_stop.set()
            await _cancel(listen)
            await _cancel(link)

    async def _listen(self, stop: asyncio.Event, min_s: float = 0.5, max_s: float = 15.0) -> None:
        delay = min_s
        while not stop.is_set():
            client = self.broker.client()
            try:
                async with client:
                    for subscription in self.layout.subscriptions:
                        await client.subscribe(subscription, qos=1)
                    delay = min_s
                    if not self.subscribed.is_set() and self.on_subscribed is not None:
                        self.on_subscribed()
                    self.subscribed.set()
                    await self._read(client)
            except aiomqtt.MqttError as exc:
                _close_socket(client)
                log.warning("broker %s: %s; %d message(s) buffered, retrying in %.1f s", self.broker, exc,
                            self.publisher.pending, delay)  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(max_s, delay * 2)

    async def _read(self, client: aiomqtt.Client) -> None:
        reporter = asyncio.create_task(self._report_due(client))
        try:
            async for message in client.messages:
                payload = message.payload
                data = payload if isinstance(payload, bytes) else str(payload).encode()
                self.handle(str(message.topic), data, retain=bool(message.retain))
                await self._send_reports(client)
        finally:
            await _cancel(reporter)

    async def _report_due(self, client: aiomqtt.Client) -> None:
        """Reports held back by the once-a-second limit go out when their second is over; a publishing connection
        that fails while this one reads is said here (its own retries are not logged: see ``__init__``)."""
        seen = self.publisher.failures
        while True:
            await asyncio.sleep(self.rejects.interval)
            self._outbox.extend(self.rejects.due())
            await self._send_reports(client)
            if self.publisher.failures > seen:
                seen = self.publisher.failures
                log.warning("broker %s: frames not sent: %s; %d message(s) buffered", self.broker,
                            self.publisher.last_error, self.publisher.pending)  # fmt: skip

    async def _send_reports(self, client: aiomqtt.Client) -> None:
        while self._outbox:
            await client.publish(self.rejected_topic, self._outbox.pop(0), qos=0)


async def _cancel(task: asyncio.Task[Any]) -> None:
    while not task.done():  # insist: Python 3.11's wait_for can swallow a cancel
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)
    if not task.cancelled():
        with contextlib.suppress(Exception):
            task.result()

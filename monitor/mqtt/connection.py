"""The monitor's connection to the broker (a part of :class:`~monitor.mqtt.service.Monitor`): connect with the
presence as its will, look at the presence first when ``exclusive`` (:mod:`monitor.mqtt.presence`), subscribe, say
``online``, serve the connection — the receiver reads, the publisher sends — and reconnect with back-off."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import Counter
from typing import Any

import aiomqtt

from monitor.core.wire import Topics
from monitor.errors import BrokerError
from monitor.mqtt.broker import BrokerURL, close_socket
from monitor.mqtt.intake import Receiver
from monitor.mqtt.lifecycle import taken_over_hint
from monitor.mqtt.outbox import Outbox, publish_loop
from monitor.mqtt.presence import MonitorConflict, conflict_message, online_elsewhere, presence
from monitor.mqtt.supervise import supervised

log = logging.getLogger("crampwatch.monitor")


class Connection:
    """The MQTT side of :class:`~monitor.mqtt.service.Monitor` (which sets every attribute below)."""

    broker: BrokerURL
    topics: Topics
    identifier: str | None
    exclusive: bool
    conflict: MonitorConflict | None
    reconnect_min_s: float
    reconnect_max_s: float
    publish_timeout_s: float
    direct_publish: bool
    publish_inflight: int
    counters: Counter[str]
    _client_ids: set[str]
    _client_id: str | None
    _receiver: Receiver
    _outbox: Outbox
    _connected_at: float
    _connected: asyncio.Event
    _connect_event: asyncio.Event
    _closing: asyncio.Event
    _stopping: asyncio.Event

    async def wait_connected(self, timeout: float = 10.0, *, connects: int = 1) -> None:
        """Wait until the service is connected and subscribed (for the ``connects``-th time)."""

        async def until() -> None:
            while not (self._connected.is_set() and self.counters["connects"] >= connects):
                if self.conflict is not None:
                    raise self.conflict
                self._connect_event.clear()
                await self._connect_event.wait()

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError as exc:
            raise BrokerError(f"cannot reach broker {self.broker} within {timeout:g} s") from exc

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def _connection_loop(self) -> None:
        delay = self.reconnect_min_s
        while not self._stopping.is_set():
            cid = self._client_id = self.identifier or f"crampwatch-{secrets.token_hex(8)}"  # named in its presence
            client = self.broker.client(  # max_inflight=0: the publisher bounds QoS-1 messages, not paho
                identifier=cid, clean_session=self.identifier is None, max_inflight=0,
                will=aiomqtt.Will(self.topics.online, presence(False, cid), qos=1, retain=True),  # said for us
            )  # fmt: skip
            self._receiver.prepare(client, ack_after=self.identifier is not None)
            try:
                if self.exclusive and await self._refused(cid):
                    break
                async with client:
                    if self._stopping.is_set():  # stopped while connecting: leave at once, not "online", no log
                        break
                    attached = self._receiver.attach(client)
                    for topic in self.topics.subscriptions():
                        await client.subscribe(topic, qos=1)
                    await client.publish(self.topics.online, presence(True, cid), qos=1, retain=True)
                    self._client_ids.add(cid)
                    self.counters["connects"] += 1
                    self._connected_at = time.monotonic()
                    self._connected.set()
                    self._connect_event.set()
                    delay = self.reconnect_min_s
                    log.info("connected to %s as %s", self.broker, client.identifier)
                    await self._serve_connection(client, attached)
            except aiomqtt.MqttError as exc:
                close_socket(client)
                if self._connected.is_set():
                    hint = taken_over_hint(self.identifier, time.monotonic() - self._connected_at)
                    log.warning("lost broker %s: %s; reconnecting%s", self.broker, exc, hint)
                else:
                    log.warning("cannot reach broker %s: %s; retrying in %.1f s", self.broker, exc, delay)
            finally:
                self._receiver.detach()
            self._connected.clear()
            if self._stopping.is_set():
                break
            self.counters["reconnect_attempts"] += 1
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(self.reconnect_max_s, delay * 2)

    async def _refused(self, cid: str) -> bool:
        """Before going online: another monitor's ``online`` on the prefix ends this one (``conflict``)."""
        # Only this process's own earlier connections are "us": another process with the same client id (two
        # monitors on one host, the default id) would take the session from the serving one, which takes it back.
        other = await online_elsewhere(self.broker, self.topics.online, set(self._client_ids))
        if other is None:
            return False
        message = conflict_message(self.broker, self.topics.prefix, self.topics.online, other, same_id=other == cid)
        self.conflict = MonitorConflict(message)
        self._stopping.set()
        self._connect_event.set()
        return True

    async def _serve_connection(self, client: aiomqtt.Client, attached: bool) -> None:
        """Publish while the connection lasts; read with aiomqtt's iterator only where the receiver could not
        take the socket over. Raises :class:`aiomqtt.MqttError` when the connection is lost."""

        async def publish() -> None:
            timeout, direct, inflight = self.publish_timeout_s, self.direct_publish, self.publish_inflight
            await publish_loop(client, self._outbox, self.counters, timeout, direct=direct, inflight=inflight)

        publisher = asyncio.create_task(supervised("publish", publish, self.counters, self._stopping))
        try:
            if attached:
                await self._until_lost_or_closing(client)
            else:
                async for message in client.messages:
                    payload = message.payload
                    self._receiver.put(str(message.topic), payload if isinstance(payload, bytes) else b"")
        finally:
            # Insist: on Python 3.11, aiomqtt's wait_for can swallow a cancellation that races with a completed
            # publish (gh-86296); the publisher would then keep waiting for more to publish.
            while not publisher.done():
                publisher.cancel()
                await asyncio.wait({publisher}, timeout=0.5)

    async def _until_lost_or_closing(self, client: aiomqtt.Client) -> None:
        """Until the connection is lost (aiomqtt's own future raises :class:`aiomqtt.MqttError`) or :meth:`close`
        has sent what was queued (then the ``async with`` around it disconnects cleanly)."""
        lost: asyncio.Future[Any] = asyncio.shield(client._disconnected)
        closing: asyncio.Future[Any] = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait({lost, closing}, return_when=asyncio.FIRST_COMPLETED)
            if lost.done():
                lost.result()
        finally:
            closing.cancel()
            lost.cancel()  # the outer future only: aiomqtt's own stays

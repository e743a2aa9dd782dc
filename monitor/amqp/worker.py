"""``crampwatch monitor --amqp URL --shards N``: one of several workers sharing a field of runners on RabbitMQ.

Usage feels like the MQTT service::

    async with ShardWorker("amqp://guest:guest@rabbit/", shards=8, store=PostgresShardStore(url)) as worker:
        await worker.wait_connected()
        ...

Every worker consumes every shard queue; RabbitMQ's single-active-consumer keeps exactly one worker active per
queue and hands the queue to another consumer when that worker's connection goes. See
:mod:`monitor.amqp.topology` for the exchanges and queues, ``docs/scale-out.md`` for the whole design.

Per shard, a worker that receives the shard's first message restores the shard's open sessions from the store,
then feeds every message to the shard's :class:`Router` (the same router and pipeline the MQTT service uses).
Statuses (with ``worker``) and alerts go back through ``amq.topic``. Messages are acknowledged only at a
*checkpoint*: the states of the athletes they changed are saved first, so a worker that takes over after a crash
restores those states and gets the rest redelivered. Alert ids already sent (store) are never sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import aiormq
from aio_pika.abc import AbstractConnection, AbstractExchange, AbstractIncomingMessage, AbstractQueue

from alerts.alert import Alert
from monitor.amqp.state import Key, ShardStore
from monitor.amqp.topology import HASH_HEADER, Topology, athlete_of, declare, routing_key, topic_of
from monitor.core.pipeline import AthletePipeline, Output, PipelineConfig
from monitor.core.profiles import ProfileBook
from monitor.core.rejects import RejectReporter
from monitor.core.router import Router
from monitor.core.wire import DEFAULT_PREFIX, Topics
from monitor.errors import BrokerError, UsageError

log = logging.getLogger("crampwatch.amqp")


def check_amqp_url(url: str) -> str:
    """Validate an ``--amqp`` URL (one clear line on error).

    >>> check_amqp_url("amqp://guest:guest@127.0.0.1:5673/")
    'amqp://guest:guest@127.0.0.1:5673/'
    >>> check_amqp_url("mqtt://x")
    Traceback (most recent call last):
    ...
    monitor.errors.UsageError: --amqp mqtt://x: expected amqp:// or amqps://
    """
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise UsageError(f"--amqp {redact_amqp(url)}: expected amqp:// or amqps://")
    return url


def redact_amqp(url: str) -> str:
    """>>> redact_amqp("amqp://u:secret@h/")
    'amqp://u:***@h/'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, host = parts.netloc.rsplit("@", 1)
    return parts._replace(netloc=f"{user.split(':', 1)[0]}:***@{host}").geturl()


def default_worker_id() -> str:
    """Stable for the process: host, pid and a short random suffix (pids repeat across hosts and restarts)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"


@dataclass(slots=True)
class _Shard:
    """What this worker holds for one shard while it is the active consumer."""

    router: Router
    active: bool = False
    dirty: set[Key] = field(default_factory=set)
    last: AbstractIncomingMessage | None = None  # newest delivery not yet acknowledged
    unacked: int = 0
    sent: set[str] = field(default_factory=set)
    since: float = field(default_factory=time.monotonic)


class ShardWorker:
    """One worker of a sharded deployment (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        shards: int,
        store: ShardStore | None = None,
        prefix: str = DEFAULT_PREFIX,
        profiles: ProfileBook | None = None,
        config: PipelineConfig | None = None,
        worker_id: str | None = None,
        prefetch: int = 20_000,
        checkpoint_s: float = 5.0,
        checkpoint_messages: int = 10_000,
        reconnect_min_s: float = 0.2,
        reconnect_max_s: float = 10.0,
    ) -> None:
        self.url = check_amqp_url(url)
        self.topology = Topology(shards, prefix)
        self.topics = Topics(prefix)
        self.store = store
        self.profiles = profiles or ProfileBook()
        self.config = config
        self.worker_id = worker_id or default_worker_id()
        self.prefetch = prefetch
        self.checkpoint_s = checkpoint_s
        self.checkpoint_messages = min(checkpoint_messages, prefetch)
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.counters: Counter[str] = Counter()
        self.rejects = RejectReporter()
        self.shards: dict[int, _Shard] = {}
        # per connection: (shard, message); a None message asks for a checkpoint of the shard
        self._inbox: asyncio.Queue[tuple[int, AbstractIncomingMessage | None]] = asyncio.Queue()
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._out: AbstractExchange | None = None
        self._confirmed: AbstractExchange | None = None
        self._connected = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # ---- lifecycle -------------------------------------------------------------------------------------
    async def __aenter__(self) -> ShardWorker:
        if self.store is not None:
            await self.store.start()
        self._tasks = [
            asyncio.create_task(self._connection_loop(), name="crampwatch-amqp"),
            asyncio.create_task(self._clock(), name="crampwatch-amqp-clock"),
        ]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def stop(self) -> None:
        """Ask the worker to stop (safe from a signal handler)."""
        self._stopping.set()

    async def wait_stopped(self) -> None:
        await self._stopping.wait()

    async def run(self) -> None:
        async with self:
            await self._stopping.wait()

    async def close(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.store is not None:
            await self.store.close()

    async def wait_connected(self, timeout: float = 30.0) -> None:
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError as exc:
            raise BrokerError(f"cannot reach {redact_amqp(self.url)} within {timeout:g} s") from exc

    @property
    def active_shards(self) -> list[int]:
        return sorted(k for k, s in self.shards.items() if s.active)

    # ---- connection ------------------------------------------------------------------------------------
    async def _connection_loop(self) -> None:
        delay = self.reconnect_min_s
        while not self._stopping.is_set():
            try:
                props: dict[str, Any] = {"connection_name": self.worker_id}
                conn = await aio_pika.connect(self.url, timeout=10, client_properties=props)
                closed = asyncio.Event()
                conn.close_callbacks.add(lambda *_, closed=closed: closed.set())
                try:
                    await self._session(conn)
                    delay = self.reconnect_min_s
                    stop = asyncio.ensure_future(self._stopping.wait())
                    lost = asyncio.ensure_future(closed.wait())
                    await asyncio.wait({stop, lost}, return_when=asyncio.FIRST_COMPLETED)
                    stop.cancel()
                    lost.cancel()
                    if self._stopping.is_set():
                        await self._shutdown()
                finally:
                    self._connected.clear()
                    await self._forget()
                    with contextlib.suppress(Exception):
                        await conn.close()
            except (aiormq.exceptions.AMQPError, ConnectionError, OSError, TimeoutError) as exc:
                log.warning("AMQP broker %s: %s; retrying in %.1f s", redact_amqp(self.url), exc, delay)
                self._connected.clear()
                await self._forget()
            if self._stopping.is_set():
                break
            self.counters["reconnect_attempts"] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(self.reconnect_max_s, delay * 2)

    async def _session(self, conn: AbstractConnection) -> None:
        setup = await conn.channel()
        shard_exchange = await declare(setup, self.topology)
        out_channel = await conn.channel(publisher_confirms=False)
        self._out = await out_channel.get_exchange("amq.topic", ensure=False)
        alert_channel = await conn.channel()  # publisher confirms: an alert is recorded as sent once confirmed
        self._confirmed = await alert_channel.get_exchange("amq.topic", ensure=False)
        self._inbox = asyncio.Queue()
        self._tasks.append(asyncio.create_task(self._process_loop(self._inbox), name="crampwatch-amqp-process"))
        self._consumers = []
        relay_channel = await conn.channel()
        await relay_channel.set_qos(prefetch_count=1000)
        relay_out = await relay_channel.get_exchange(shard_exchange.name, ensure=False)
        ingress = await relay_channel.get_queue(self.topology.ingress, ensure=False)
        self._consumers.append((ingress, await ingress.consume(lambda m: self._relay(relay_out, m))))
        for k in range(self.topology.shards):
            channel = await conn.channel(publisher_confirms=False)
            await channel.set_qos(prefetch_count=self.prefetch)
            self.shards[k] = _Shard(Router(self.topics, self.profiles, self.config))
            queue = await channel.get_queue(self.topology.queue(k), ensure=False)
            self._consumers.append((queue, await queue.consume(self._deliver(self._inbox, k))))
        self.counters["connects"] += 1
        self._connected.set()
        log.info("worker %s connected to %s (%d shards)", self.worker_id, redact_amqp(self.url), len(self.shards))

    def _deliver(self, inbox: asyncio.Queue[tuple[int, AbstractIncomingMessage | None]], shard: int) -> Any:
        async def on_message(message: AbstractIncomingMessage) -> None:
            inbox.put_nowait((shard, message))  # synchronous: the queue keeps the delivery order

        return on_message

    async def _relay(self, exchange: AbstractExchange, message: AbstractIncomingMessage) -> None:
        """Ingress → shard exchange, stamped with the athlete; acknowledged once the broker confirmed it."""
        stamped = aio_pika.Message(
            message.body,
            headers={HASH_HEADER: athlete_of(message.routing_key or "")},
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            await exchange.publish(stamped, routing_key=message.routing_key or "", mandatory=False)
            await message.ack()
            self.counters["relayed"] += 1
        except (aiormq.exceptions.AMQPError, ConnectionError, asyncio.CancelledError):
            return  # the connection is going: the broker requeues the unacknowledged message

    async def _forget(self) -> None:
        """Connection gone: other workers take our shards, so our copies of their state must go."""
        self.shards.clear()  # the old process loop finds no shard and skips what is left in its inbox

    async def _shutdown(self) -> None:
        """Graceful stop: no new deliveries; finish what arrived, checkpoint and acknowledge it."""
        for queue, tag in self._consumers:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)
        for k in list(self.shards):
            self._inbox.put_nowait((k, None))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._inbox.join(), 10.0)

    # ---- processing ------------------------------------------------------------------------------------
    async def _process_loop(self, inbox: asyncio.Queue[tuple[int, AbstractIncomingMessage | None]]) -> None:
        while True:
            k, message = await inbox.get()
            try:
                shard = self.shards.get(k) if inbox is self._inbox else None
                if shard is None:
                    continue
                if message is None:
                    await self._checkpoint(k)
                    continue
                if not shard.active:
                    await self._activate(k, shard)
                await self._handle(k, shard, message)
                if shard.unacked >= self.checkpoint_messages:
                    await self._checkpoint(k)
            except (aiormq.exceptions.AMQPError, ConnectionError):
                log.warning("AMQP connection lost while handling a message")
            except Exception:  # a bug must not stop the worker; it is logged and counted
                log.exception("error while handling a message")
                self.counters["errors"] += 1
            finally:
                inbox.task_done()

    async def _activate(self, k: int, shard: _Shard) -> None:
        """We became the shard's active consumer: restore its open sessions and the alerts already sent."""
        restored = 0
        if self.store is not None:
            for key, state in (await self.store.load(k)).items():
                shard.router.pipelines[key] = AthletePipeline.from_state(state, self.config)
                restored += 1
            shard.sent = await self.store.sent(k)
        shard.active = True
        self.counters["activations"] += 1
        log.info("worker %s active on shard %d (%d sessions restored)", self.worker_id, k, restored)

    async def _handle(self, k: int, shard: _Shard, message: AbstractIncomingMessage) -> None:
        topic = topic_of(message.routing_key or "")
        routed = shard.router.handle(topic, message.body)
        self.counters["messages"] += 1
        for rtopic, reason in routed.rejected:
            for payload in self.rejects.add(rtopic, reason):
                await self._publish(self.topics.rejected, payload)
        parts = topic.split("/")
        key = (parts[-3], parts[-2]) if len(parts) >= 3 else None
        if key is not None and key in shard.router.pipelines:
            shard.dirty.add(key)
        await self._emit(k, shard, routed.out)
        shard.last = message
        shard.unacked += 1

    async def _emit(self, k: int, shard: _Shard, out: Output) -> None:
        for status in out.statuses:
            status["worker"] = self.worker_id
            topic = self.topics.of(status["squad"], status["athlete"], "status")
            await self._publish(topic, json.dumps(status, allow_nan=False).encode())
            self.counters["statuses"] += 1
        for alert in out.alerts:
            await self._send_alert(k, shard, alert)

    async def _send_alert(self, k: int, shard: _Shard, alert: Alert) -> None:
        if alert.id in shard.sent:
            self.counters["alerts_deduplicated"] += 1
            return
        payload = json.dumps(alert.to_dict(), allow_nan=False).encode()
        assert self._confirmed is not None
        for topic in (self.topics.of(alert.squad, alert.athlete, "alert"), self.topics.coach_feed(alert.squad)):
            message = aio_pika.Message(payload, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await self._confirmed.publish(message, routing_key=routing_key(topic), mandatory=False)
        shard.sent.add(alert.id)
        if self.store is not None:
            await self.store.mark_sent(k, (alert.squad, alert.athlete), alert.id, alert.t)
        self.counters["alerts"] += 1

    async def _publish(self, topic: str, payload: bytes) -> None:
        assert self._out is not None
        await self._out.publish(aio_pika.Message(payload), routing_key=routing_key(topic), mandatory=False)

    async def _checkpoint(self, k: int) -> None:
        """Save the athletes the shard's unacknowledged messages changed, then acknowledge those messages."""
        shard = self.shards.get(k)
        if shard is None or shard.last is None:
            return
        last, dirty = shard.last, shard.dirty
        states = {key: shard.router.pipelines[key].state_dict() for key in dirty if key in shard.router.pipelines}
        shard.last, shard.dirty, shard.unacked, shard.since = None, set(), 0, time.monotonic()
        if self.store is not None:
            await self.store.save(k, states)
        await last.ack(multiple=True)
        self.counters["checkpoints"] += 1

    async def _clock(self) -> None:
        """Wall-clock duties: checkpoints of quiet shards, rate-limited rejection reports."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), min(1.0, self.checkpoint_s))
            if not self._connected.is_set():
                continue
            try:
                for payload in self.rejects.due():
                    await self._publish(self.topics.rejected, payload)
                now = time.monotonic()
                for k, shard in list(self.shards.items()):
                    if shard.last is not None and now - shard.since >= self.checkpoint_s:
                        shard.since = now  # asked once; the process loop checkpoints between two messages
                        self._inbox.put_nowait((k, None))
            except (aiormq.exceptions.AMQPError, ConnectionError):
                continue


__all__ = ["ShardWorker", "check_amqp_url", "default_worker_id", "redact_amqp"]

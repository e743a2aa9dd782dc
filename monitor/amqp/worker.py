"""``crampwatch monitor --amqp URL --shards N``: one of several workers sharing a field of runners on RabbitMQ.

Usage: ``async with ShardWorker(url, shards=8, store=PostgresShardStore(pg), history=SharedHistory(pg)) as w:``.
Every worker consumes every shard queue; RabbitMQ's single-active-consumer keeps exactly one worker active per
queue and hands the queue to another consumer when that worker's connection goes. See
:mod:`monitor.amqp.topology` for the exchanges and queues, ``docs/scale-out.md`` for the whole design.

Per shard, a worker that receives the shard's first message restores the shard's open sessions from the store,
then feeds every input to the shard's :class:`Router` (the router and pipeline of the MQTT service); statuses and
alerts go back through ``amq.topic`` (:mod:`.outputs`), silent athletes are judged as the MQTT service does
(:mod:`.silence`). Messages are acknowledged only at a *checkpoint*, after the states of the athletes they changed
were saved: a worker that takes over after a crash restores those and gets the rest redelivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractIncomingMessage,
    AbstractQueue,
)

from monitor.amqp import batch
from monitor.amqp.flush import Flush, marker_ids
from monitor.amqp.outputs import Outputs
from monitor.amqp.relay import MAX_BATCH, Relay
from monitor.amqp.shard import AMQP_ERRORS, CHECKPOINT, RELEASE, Item, Shard, share
from monitor.amqp.silence import judge
from monitor.amqp.state import ShardStore
from monitor.amqp.topology import Topology, declare, topic_of
from monitor.amqp.url import check_amqp_url, default_worker_id, redact_amqp
from monitor.core.pipeline import PipelineConfig
from monitor.core.profiles import ProfileBook
from monitor.core.rejects import RejectReporter
from monitor.core.router import Router
from monitor.core.wire import DEFAULT_PREFIX, Topics, encode_ack
from monitor.errors import BrokerError
from monitor.gcguard import GUARD
from monitor.liveness import Limits, Liveness
from monitor.mqtt.lifecycle import Service
from monitor.store.base import SessionStore

log = logging.getLogger("crampwatch.amqp")


def _not_a_failed_connect(record: logging.LogRecord) -> bool:
    """aiormq logs every failed connect at ERROR before raising it; the worker's retry warning says it once."""
    return not str(record.msg).startswith("error when creating transport")


logging.getLogger("aiormq.connection").addFilter(_not_a_failed_connect)

#: Wall-clock liveness as the single-process monitor has it (``ShardWorker(limits=None)`` turns it off).
LIVENESS = Limits()


class ShardWorker(Service):
    """One worker of a sharded deployment (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        shards: int,
        store: ShardStore | None = None,
        history: SessionStore | None = None,
        prefix: str = DEFAULT_PREFIX,
        base: str = "crampwatch",
        profiles: ProfileBook | None = None,
        config: PipelineConfig | None = None,
        worker_id: str | None = None,
        prefetch: int = 500,
        checkpoint_s: float = 5.0,
        checkpoint_messages: int = 10_000,
        rebalance_s: float = 2.0,
        limits: Limits | None = LIVENESS,
        reconnect_min_s: float = 0.2,
        reconnect_max_s: float = 10.0,
    ) -> None:
        self.url = check_amqp_url(url)
        self.topology = Topology(shards, prefix, base)
        self.topics = Topics(prefix)
        self.store = store
        self.profiles = profiles or ProfileBook()
        self.config = config
        self.worker_id = worker_id or default_worker_id()
        self.prefetch = prefetch
        self.checkpoint_s = checkpoint_s
        self.checkpoint_messages = checkpoint_messages
        self.rebalance_s = rebalance_s
        self.limits = limits  # None: no wall-clock liveness
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.counters: Counter[str] = Counter()
        self.rejects = RejectReporter()
        self.shards: dict[int, Shard] = {}
        self._inbox: asyncio.Queue[Item] = asyncio.Queue()
        self._waiting = 0
        self._conn: AbstractConnection | None = None
        self._setup: AbstractChannel | None = None
        self._relay_queue: tuple[AbstractQueue, str] | None = None
        self._relay: Relay | None = None
        self.outputs = Outputs(self.topics, self.worker_id, store, self.counters, history)
        self._connected = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._rebalanced_at = 0.0

    # ---- lifecycle -------------------------------------------------------------------------------------
    async def __aenter__(self) -> ShardWorker:
        if self.store is not None:
            await self.store.start()
        await self.outputs.open()
        self._tasks = [
            asyncio.create_task(self._connection_loop(), name="crampwatch-amqp"),
            asyncio.create_task(self._clock(), name="crampwatch-amqp-clock"),
        ]
        return self

    async def close(self) -> None:
        """Stop gracefully: what was handled is checkpointed and acknowledged, the rest goes back to the queue."""
        self._stopping.set()
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._tasks[0]), 15.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.outputs.close()
        if self.store is not None:
            await self.store.close()

    async def wait_connected(self, timeout: float = 30.0) -> None:
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError as exc:
            raise BrokerError(f"cannot reach {redact_amqp(self.url)} within {timeout:g} s") from exc

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def relaying(self) -> bool:
        """Whether this worker is the active relay (see :mod:`monitor.amqp.relay`)."""
        return self._relay is not None and self._relay.active

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
                    if self._stopping.is_set() and not closed.is_set():
                        await self._shutdown()
                finally:
                    self._connected.clear()
                    self.shards.clear()  # other workers take our shards: our copies of their state must go
                    self._relay = None
                    self._conn = None
                    with contextlib.suppress(Exception):
                        await conn.close()
            except AMQP_ERRORS as exc:
                log.warning("AMQP broker %s: %s; retrying in %.1f s", redact_amqp(self.url), exc, delay)
            if self._stopping.is_set():
                break
            self.counters["reconnect_attempts"] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(self.reconnect_max_s, delay * 2)

    async def _session(self, conn: AbstractConnection) -> None:
        self._conn = conn
        cpu = time.process_time()  # logged: the benchmark counts a worker's CPU from here
        self._setup = await conn.channel()
        await declare(self._setup, self.topology)
        out_channel = await conn.channel(publisher_confirms=False)
        self.outputs.plain = await out_channel.get_exchange("amq.topic", ensure=False)
        alert_channel = await conn.channel()  # publisher confirms: an alert counts as sent once confirmed
        self.outputs.confirmed = await alert_channel.get_exchange("amq.topic", ensure=False)
        self._inbox = asyncio.Queue()
        self._waiting = 0  # deliveries in the inbox
        self._tasks.append(asyncio.create_task(self._process_loop(self._inbox), name="crampwatch-amqp-process"))
        relay_channel = await conn.channel()
        await relay_channel.set_qos(prefetch_count=2 * MAX_BATCH)
        self._relay = relay = Relay(relay_channel.default_exchange, self.topology, self.counters)
        self._tasks.append(asyncio.create_task(relay.run(), name="crampwatch-relay"))
        ingress = await relay_channel.get_queue(self.topology.ingress, ensure=False)
        self._relay_queue = (ingress, await ingress.consume(relay.deliver))
        for k in range(self.topology.shards):
            await self._subscribe(k)
        # counted as a worker only once in line on every shard: a worker over its share hands shards over to the
        # next in line, and a worker counted too early would not be there yet (the shard would come straight back)
        presence = await self._setup.get_queue(self.topology.presence, ensure=False)

        async def never(message: AbstractIncomingMessage) -> None:
            await message.reject()

        await presence.consume(never)
        self.counters["connects"] += 1
        self._connected.set()
        log.info("worker %s connected to %s (%d shards) (cpu %.2f s)", self.worker_id, redact_amqp(self.url),
                 len(self.shards), cpu)  # fmt: skip

    async def _subscribe(self, k: int) -> None:
        """Join the shard queue's consumers (active at once if nobody else consumes it, otherwise waiting)."""
        assert self._conn is not None
        channel = await self._conn.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=self.prefetch)
        queue = await channel.get_queue(self.topology.queue(k), ensure=False)
        router = Router(self.topics, self.profiles, self.config)
        shard = Shard(k, router, channel, queue, live=Liveness(self.limits or Limits()), flush=Flush(self.worker_id))
        self.shards[k] = shard
        inbox = self._inbox

        async def on_message(message: AbstractIncomingMessage) -> None:
            self._waiting += 1
            inbox.put_nowait((shard, message))  # synchronous: the inbox keeps the delivery order

        shard.tag = await queue.consume(on_message)

    async def _shutdown(self) -> None:
        """Graceful stop: no new deliveries; finish what arrived, checkpoint and acknowledge it."""
        relay = [self._relay_queue] if self._relay_queue is not None else []
        for queue, tag in [*relay, *((s.queue, s.tag) for s in self.shards.values())]:
            with contextlib.suppress(*AMQP_ERRORS):
                await queue.cancel(tag)
        for shard in list(self.shards.values()):
            self._inbox.put_nowait((shard, CHECKPOINT))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._inbox.join(), 10.0)

    # ---- processing ------------------------------------------------------------------------------------
    async def _process_loop(self, inbox: asyncio.Queue[Item]) -> None:
        while True:
            shard, what = await inbox.get()
            try:
                if self.shards.get(shard.index) is not shard:
                    self._waiting -= not isinstance(what, str)
                    continue  # delivered on a channel we closed: the broker has requeued it
                if what == CHECKPOINT:
                    await self._checkpoint(shard)
                elif what == RELEASE:
                    await self._release(shard)
                elif not isinstance(what, str):
                    self._waiting -= 1
                    if not shard.active:
                        await self._activate(shard)
                    await self._handle(shard, what)
                    if shard.unacked >= self.checkpoint_messages or shard.deliveries >= self.prefetch // 2:
                        await self._checkpoint(shard)
            except AMQP_ERRORS as exc:
                log.warning("AMQP connection lost while handling a message: %s", exc)
            except Exception:  # a bug must not stop the worker; it is logged and counted
                log.exception("error while handling a message")
                self.counters["errors"] += 1
            finally:
                inbox.task_done()

    async def _activate(self, shard: Shard) -> None:
        """We became the shard's active consumer: restore its open sessions and the alerts already sent."""
        restored = await shard.activate(self.store, self.config)
        self.counters["activations"] += 1
        self.counters["restored"] += restored
        log.info("worker %s active on shard %d (%d sessions restored)", self.worker_id, shard.index, restored)

    async def _handle(self, shard: Shard, message: AbstractIncomingMessage) -> None:
        """Apply a delivery: a relay batch (its inputs in order) or a single input."""
        items = batch.items_of(message.content_type, message.routing_key, message.body)
        if items is None:
            log.error("shard %d: dropped a damaged relay batch", shard.index)
            self.counters["errors"] += 1
            items = []
        now = time.monotonic()
        routed_all, failed = shard.route([(topic_of(key), body) for key, body in items])
        self.counters.update(messages=len(routed_all), errors=failed)
        for routed in routed_all:
            for rtopic, reason in routed.rejected:
                for payload in self.rejects.add(rtopic, reason):
                    await self._publish(self.topics.rejected, payload)
            if routed.out.statuses or routed.out.alerts:
                await self.outputs.emit(shard, routed.out)
            if routed.applied is not None:
                squad, athlete, leaf = routed.applied
                shard.touched((squad, athlete))
                if leaf != "profile" and leaf != "ack":
                    shard.live.arrived((squad, athlete), now)
        shard.handled(message, len(items))
        point = shard.flush.returned(marker_ids(message.headers))
        if point is not None and self.limits is not None and await judge(shard, self.outputs, self.limits, point):
            await self._checkpoint(shard)  # at once: a worker taking over must not release at another point

    def _watching(self, shard: Shard) -> bool:
        """Whether the shard has athletes whose silence is judged (then a flush marker goes round, :mod:`.flush`)."""
        return self.limits is not None and shard.active and bool(shard.live.arrival) and self._relay is not None

    async def _publish(self, topic: str, payload: bytes) -> None:
        await self.outputs.publish(topic, payload)

    def publish_ack(self, squad: str, athlete: str, alert_id: str) -> None:
        """Send a contract ``ack`` through the broker (the dashboard's acknowledge button); it reaches the shard
        that holds the athlete like any gateway's ack."""
        if not self._connected.is_set():
            raise BrokerError("not connected to the AMQP broker")
        task = asyncio.get_running_loop().create_task(
            self._publish(self.topics.of(squad, athlete, "ack"), encode_ack(alert_id))
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- checkpoints and hand-over ---------------------------------------------------------------------
    async def _checkpoint(self, shard: Shard) -> None:
        if await shard.checkpoint(self.store, self.outputs.history):
            self.counters["checkpoints"] += 1

    async def _release(self, shard: Shard) -> None:
        """Hand the shard over: checkpoint, close its channel (the broker requeues what we had not handled and
        makes the next waiting consumer active), forget its athletes, then wait in line again."""
        await self._checkpoint(shard)
        del self.shards[shard.index]
        with contextlib.suppress(*AMQP_ERRORS):
            await shard.channel.close()
        self.counters["released"] += 1
        log.info("worker %s hands shard %d over", self.worker_id, shard.index)
        await self._subscribe(shard.index)

    async def _rebalance(self) -> None:
        """Take no more than a fair share: RabbitMQ makes the first consumer of a queue its active one, so the
        first worker up gets every shard; a worker over its share hands the excess over (see :func:`share`)."""
        if self._setup is None:
            return
        queue = await self._setup.declare_queue(self.topology.presence, passive=True)
        result = queue.declaration_result
        workers = max(1, result.consumer_count or 1)
        fair = share(self.topology.shards, workers, relay=self.relaying)
        now = time.monotonic()
        active = [s for s in self.shards.values() if s.active]
        settled = sorted((s for s in active if now - s.activated_at >= self.rebalance_s), key=lambda s: -s.index)
        log.debug("rebalance: %d workers, fair share %d, active on %d", workers, fair, len(active))
        for shard in settled[: max(0, len(active) - fair)]:
            self._inbox.put_nowait((shard, RELEASE))

    async def _clock(self) -> None:
        """Wall-clock duties: checkpoints of quiet shards, rejection reports, rebalancing."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), min(1.0, self.checkpoint_s))
            if not self._connected.is_set() or self._stopping.is_set():
                continue
            try:
                for payload in self.rejects.due():
                    await self._publish(self.topics.rejected, payload)
                if self._relay is not None:
                    await self._relay.probe()  # the active relay learns that it is (see monitor.amqp.relay)
                now = time.monotonic()
                GUARD.step(now)  # short full GC collections (monitor.gcguard)
                for shard in list(self.shards.values()):
                    marker = shard.flush.due(now) if self._watching(shard) else None
                    if marker is not None and self._relay is not None:
                        await self._relay.mark(shard.index, marker)  # silence is judged when it comes back
                    if shard.last is not None and now - shard.since >= self.checkpoint_s:
                        shard.since = now  # asked once; the process loop checkpoints between two messages
                        self._inbox.put_nowait((shard, CHECKPOINT))
                if self.rebalance_s > 0 and now - self._rebalanced_at >= self.rebalance_s:
                    self._rebalanced_at = now
                    await self._rebalance()
            except AMQP_ERRORS as exc:
                log.warning("worker %s: broker error in the wall-clock task: %s", self.worker_id, exc)
            except Exception:  # a bug must not stop checkpoints; it is logged and counted
                log.exception("error in the wall-clock task")
                self.counters["errors"] += 1


__all__ = ["ShardWorker"]

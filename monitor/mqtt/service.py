"""The live service: MQTT in, pipeline, MQTT and sinks out.

Usage feels like aiomqtt::

    async with Monitor(BrokerURL.parse("mqtt://127.0.0.1"), profiles=book) as monitor:
        await monitor.wait_connected()
        ...                       # runs until the block exits or monitor.stop() is called

Durable: with a fixed client id (``identifier``; ``crampwatch monitor`` defaults to ``crampwatch-monitor-<host>``,
see :func:`default_client_id`) the session is persistent (clean session off, QoS 1 subscriptions), so what the
broker accepted while the monitor was away is delivered when it returns; QoS 1 messages are acknowledged once
processed (see ``monitor/mqtt/intake.py``). Without one (tests, the demo) the id is random and the session clean.

Queue policy (never a silent drop): incoming messages are drained from the socket into a bounded inbox
(``queue_size`` messages, ``queue_bytes`` bytes). When it is full the monitor stops reading the socket
(back-pressure: the broker keeps the messages) until the processor has drained half of it; only a receiver that
cannot stop reading makes it refuse messages beyond twice the bound, counted as ``overload`` and reported on
``_monitor/rejected`` ("monitor overloaded"). Outgoing messages wait in a bounded buffer while the broker is away;
when it overflows the oldest *status* is dropped (a newer snapshot supersedes it); alerts are kept. Every task is
supervised (a task that dies is logged, counted in ``task_restarts`` and restarted); a publish the broker does not
confirm in time (a stalled broker) is counted in ``publish_timeouts`` and publishing goes on.

Liveness: an athlete whose messages stop for ``quiet_s`` of wall clock (while the monitor is connected and has
read everything) is released — the seconds held back for streams that had not reported are judged at once
(:meth:`AthletePipeline.release`) — and its last status is re-published with ``session_state: "quiet"``
(``signal`` stale/lost after ``idle_stale_s``/``idle_lost_s``); its session ends after ``idle_end_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from alerts.alert import Alert
from alerts.sinks.base import Sink
from monitor.core.pipeline import Output, PipelineConfig, encode_status
from monitor.core.profiles import ProfileBook
from monitor.core.rejects import RejectReporter
from monitor.core.router import Routed, Router
from monitor.core.wire import DEFAULT_PREFIX, Topics, encode_ack
from monitor.gcguard import GUARD, GcGuard
from monitor.liveness import Limits, Liveness
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.connection import Connection
from monitor.mqtt.discovery import Discovery
from monitor.mqtt.housekeeping import Housekeeping
from monitor.mqtt.intake import Inbox, Receiver
from monitor.mqtt.lifecycle import Service
from monitor.mqtt.outbox import INFLIGHT, Outbox
from monitor.mqtt.presence import MonitorConflict, presence
from monitor.mqtt.supervise import supervised
from monitor.store.base import SessionStore
from monitor.store.recorder import Recorder

log = logging.getLogger("crampwatch.monitor")
#: How long a stop waits for the connection to end by itself (an attempt under way included) before cancelling it.
SETTLE_S = 3.0
#: Ticks due that end a part of a processing batch (Monitor.process_batch): past ~10-40 athletes a round, running
#: the ticks together saves no more CPU, while the part's first status waits for all of them (~0.2 ms each).
TICKS_PER_PART = 64


class Monitor(Connection, Housekeeping, Service):
    """The crampwatch service for one broker. See the module docstring for the queue policy. Its roles: the
    connection to the broker (:class:`~monitor.mqtt.connection.Connection`), the processing of what arrives (here),
    the wall-clock housekeeping (:class:`~monitor.mqtt.housekeeping.Housekeeping`)."""

    def __init__(
        self,
        broker: BrokerURL,
        *,
        prefix: str = DEFAULT_PREFIX,
        profiles: ProfileBook | None = None,
        sinks: Sequence[Sink] = (),
        config: PipelineConfig | None = None,
        queue_size: int = 50_000,
        queue_bytes: int = 64 * 1024 * 1024,
        batch_size: int = 500,
        outbox_size: int = 100_000,
        identifier: str | None = None,
        reconnect_min_s: float = 0.2,
        reconnect_max_s: float = 10.0,
        idle_stale_s: float = 15.0,
        idle_lost_s: float = 60.0,
        idle_end_s: float = 600.0,
        idle_publish_s: float = 5.0,
        quiet_s: float = 2.0,
        publish_timeout_s: float = 10.0,
        max_athletes: int = 10_000,
        max_payload: int = 256 * 1024,
        store: SessionStore | None = None,
        snapshot_s: float = 30.0,
        direct_publish: bool = True,
        gc_guard: GcGuard | None = GUARD,
        publish_inflight: int = INFLIGHT,
        ha_discovery: str | None = None,
        exclusive: bool = False,
    ) -> None:
        self.broker = broker
        #: Messages straight to paho (monitor.mqtt.outbox.PahoWriter; alerts pipelined, at most ``publish_inflight``
        #: awaiting their PUBACK); False: every message through aiomqtt's awaited publish (see docs/architecture.md)
        self.direct_publish, self.publish_inflight = direct_publish, publish_inflight
        #: freezes long-lived objects so full GC collections stay short (monitor.gcguard); None: CPython's own
        self.gc_guard = gc_guard
        self.topics = Topics(prefix)
        #: Home Assistant discovery (monitor.mqtt.discovery; None: off): configs announced before a runner's status
        self.discovery = Discovery(prefix, prefix=ha_discovery) if ha_discovery is not None else None
        self.router = Router(
            self.topics, profiles or ProfileBook(), config, max_athletes=max_athletes, max_payload=max_payload
        )
        self.sinks = list(sinks)
        self.identifier = identifier
        #: look at the presence before going online, and refuse a prefix another monitor serves (monitor.mqtt.presence;
        #: ``crampwatch monitor`` sets it); the refusal ends the service and is kept in ``conflict``
        self.exclusive = exclusive
        self.conflict: MonitorConflict | None = None
        self._client_ids: set[str] = set()  # this monitor's connections so far (its own presence is not another's)
        self._client_id: str | None = None  # the current (or last) connection's
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        #: wall-clock liveness (monitor.liveness): when a silent athlete is released, re-published, ended
        self.limits = Limits(quiet_s, idle_stale_s, idle_lost_s, idle_end_s, idle_publish_s)
        self._live = Liveness(self.limits)
        self.publish_timeout_s = publish_timeout_s
        self.batch_size = batch_size
        self.counters: Counter[str] = Counter()
        self.rejects = RejectReporter()
        self._inbox = Inbox(max_messages=queue_size, max_bytes=queue_bytes)
        self._receiver = Receiver(self._inbox, self.counters, lambda topic: self._reject(topic, "monitor overloaded"))
        self._outbox = Outbox(outbox_size)
        self._busy = False  # a batch is being processed
        self._idle = asyncio.Event()  # set when nothing waits or is being processed
        self._idle.set()
        self._connected_at = 0.0  # monotonic time of the last (re)connection
        self._connected = asyncio.Event()
        self._connect_event = asyncio.Event()
        #: set by :meth:`close` once what was queued is sent: the connection ends itself, cleanly (a stop right after
        #: the start, mid-connect, otherwise cancelled aiomqtt half-way or had its cancellation swallowed: a
        #: paho traceback, or a process that never ended)
        self._closing = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        #: Called with every handled message's outcome and handling time (metrics; must not raise).
        self.observers: list[Callable[[Routed, float], None]] = []
        #: ``time.monotonic()`` when the last message was handled (None: none yet). Health checks read it.
        self.last_input_at: float | None = None
        self.store = store
        self.recorder = Recorder(store, self.router, snapshot_s=snapshot_s) if store is not None else None

    # ---- lifecycle -------------------------------------------------------------------------------------
    async def __aenter__(self) -> Monitor:
        if self.gc_guard is not None:
            self.gc_guard.time_collections()
        for sink in self.sinks:
            await sink.start()
        if self.store is not None and self.recorder is not None:
            await self.store.open()
            restored = await self.recorder.recover()
            self._live.restored((k for k, pipe in self.router.pipelines.items() if pipe.active), time.monotonic())
            await self._emit(restored.out)
        loops = {"mqtt": self._connection_loop, "process": self._process_loop, "housekeeping": self._housekeeping}
        self._tasks = [
            asyncio.create_task(supervised(name, run, self.counters, self._stopping), name=f"crampwatch-{name}")
            for name, run in loops.items()
        ]
        return self

    async def close(self) -> None:
        self._stopping.set()
        if self._connected.is_set():  # a clean disconnect sends no will: say it, after what is queued before it
            self._outbox.put(self.topics.online, presence(False, self._client_id), 1, True)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._drain(), timeout=5.0)
        self._closing.set()
        mqtt = [task for task in self._tasks if task.get_name() == "crampwatch-mqtt"]
        if mqtt:  # an attempt under way ends (connected, then closed; or failed) before anything is cancelled
            await asyncio.wait(mqtt, timeout=SETTLE_S)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.store is not None and self.recorder is not None:
            self.recorder.finish()
            try:
                await self.store.close()
            except Exception:
                log.exception("closing the session store failed")
        for sink in self.sinks:
            with contextlib.suppress(Exception):
                await sink.close()

    async def _drain(self) -> None:
        await self._idle.wait()
        if self._connected.is_set():
            await self._outbox.drained.wait()

    def queue_depths(self) -> dict[str, int]:
        """Messages waiting: ``incoming`` (to be processed) and ``outgoing`` (to be published)."""
        return {"incoming": len(self._inbox), "outgoing": len(self._outbox.items)}

    @property
    def reading(self) -> bool:
        """False while back-pressure holds the socket (the inbox is full)."""
        return not self._receiver.paused

    # ---- processing ------------------------------------------------------------------------------------
    async def _process_loop(self) -> None:
        box = self._inbox
        while True:
            if not box.items:
                self._idle.set()
                await box.ready.wait()
                continue
            self._idle.clear()
            batch = box.take(self.batch_size)
            try:
                await self.process_batch((topic, payload) for topic, payload, *_ in batch)
            finally:
                self._receiver.ack(batch)
                if self._receiver.paused and box.low:
                    self._receiver.resume()
            await asyncio.sleep(0)  # between batches the reader, the publisher and the keepalive get their turn

    async def process_batch(self, messages: Iterable[tuple[str, bytes]]) -> None:
        """Route received messages in order and deliver what they produce (statuses, alerts, rejections, sinks,
        store). The path every transport shares: MQTT here, others may call it with their own batches.

        The batch goes in parts; a part's ticks run together once it is routed (``Router.batch``: the same
        outputs, less CPU per tick), each of its messages is recorded in the session store right then, before
        anything awaits (no snapshot falls between a message applied and its record), and then each message's
        outputs are delivered in order. A part ends after :data:`TICKS_PER_PART` ticks fell due (so the first
        status of a burst waits for at most that many ticks) and after a message that starts, ends or replaces a
        session (the store snapshots the athlete right after it)."""
        now = time.time()
        todo = iter(messages)
        more = True
        while more:
            done: list[tuple[str, bytes, Routed, float]] = []
            more = self._route_part(todo, now, done)
            if self.recorder is not None:
                for _, payload, routed, _ in done:
                    self.recorder.step_of(routed, payload)
            for topic, _, routed, took in done:
                try:
                    await self._deliver(routed, took + math.fsum(routed.out.tick_seconds))
                except Exception:
                    log.exception("error while delivering the outputs of a message on %s", topic[:200])
                    self.counters["errors"] += 1

    def _route_part(
        self, todo: Iterator[tuple[str, bytes]], now: float, done: list[tuple[str, bytes, Routed, float]]
    ) -> bool:
        """Route messages from ``todo`` into ``done`` with their ticks run together, up to one that changes a
        session or makes the ticks due reach :data:`TICKS_PER_PART` (then True: more may follow) or the end
        (False)."""
        router = self.router
        more = False
        with router.batch() as batch:
            for topic, payload in todo:
                started = time.perf_counter()
                try:
                    routed = router.handle(topic, payload, now=now)
                except Exception:  # a bug must not stop the service; it is logged and counted
                    log.exception("error while handling a message on %s", topic[:200])
                    self.counters["errors"] += 1
                    continue
                done.append((topic, payload, routed, time.perf_counter() - started))
                if routed.session_changed or len(batch.pending) >= TICKS_PER_PART:
                    more = True
                    break
        for exc in batch.errors:
            log.error("error in a tick", exc_info=exc)
            self.counters["errors"] += 1
        return more

    async def _deliver(self, routed: Routed, took: float) -> None:
        """What one routed message produced, delivered (``took``: the CPU seconds it cost, for the metrics)."""
        self.last_input_at = time.monotonic()
        for observe in self.observers:
            observe(routed, took)
        for rtopic, reason in routed.rejected:
            self._reject(rtopic, reason)
        if routed.out.statuses or routed.out.alerts:
            await self._emit(routed.out)
        if routed.acked is not None:
            await self._notify("on_ack", *routed.acked)
        if routed.applied is not None:
            squad, athlete, leaf = routed.applied
            if leaf != "profile" and leaf != "ack":
                self._live.arrived((squad, athlete), self.last_input_at)

    async def _emit(self, out: Output) -> None:
        for status in out.statuses:
            self._publish_status(status)
            await self._notify("on_status", status)
        for alert in out.alerts:
            await self.publish_alert(alert)

    async def _notify(self, method: str, *args: Any) -> None:
        """Hand a record to every sink; a failing sink is logged and counted, never stops the others or MQTT."""
        for sink in self.sinks:
            try:
                await getattr(sink, method)(*args)
            except Exception as exc:
                self.counters["sink_errors"] += 1
                log.warning("sink %s failed in %s: %s", sink.name, method, exc)

    def _publish_status(self, status: dict[str, Any]) -> None:
        if self.discovery is not None:
            for config_topic, config in self.discovery.announce(status):
                self._outbox.put(config_topic, config, 1, True)
        topic = self.topics.of(status["squad"], status["athlete"], "status")
        self._outbox.put(topic, encode_status(status), 0, True)

    async def publish_alert(self, alert: Alert) -> None:
        payload = json.dumps(alert.to_dict(), allow_nan=False).encode()
        self._outbox.put(self.topics.of(alert.squad, alert.athlete, "alert"), payload, 1, False)
        self._outbox.put(self.topics.coach_feed(alert.squad), payload, 1, False)
        self.counters["alerts"] += 1
        await self._notify("on_alert", alert)

    def _reject(self, topic: str, reason: str) -> None:
        for payload in self.rejects.add(topic, reason):
            self._outbox.put(self.topics.rejected, payload, 0, False)

    def publish_ack(self, squad: str, athlete: str, alert_id: str) -> None:
        """Send a contract ``ack`` (used by the dashboard's acknowledge button)."""
        self._outbox.put(self.topics.of(squad, athlete, "ack"), encode_ack(alert_id), 1, False)

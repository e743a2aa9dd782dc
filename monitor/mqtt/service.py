"""The live service: MQTT in, pipeline, MQTT and sinks out.

Usage feels like aiomqtt::

    async with Monitor(BrokerURL.parse("mqtt://127.0.0.1"), profiles=book) as monitor:
        await monitor.wait_connected()
        ...                       # runs until the block exits or monitor.stop() is called

Queue policy (never a silent drop): incoming messages pass through a bounded queue (``queue_size``); when it is
full the newest message is refused, counted as ``overload`` and reported on ``_monitor/rejected`` with reason
"monitor overloaded". Outgoing messages wait in a bounded buffer while the broker is away; when it overflows the
oldest *status* is dropped (a newer snapshot supersedes it) and counted as ``status_dropped``; alerts are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import aiomqtt

from alerts.alert import Alert
from alerts.sinks.base import Sink
from monitor.core.pipeline import Output, PipelineConfig, encode_status
from monitor.core.profiles import ProfileBook
from monitor.core.rejects import RejectReporter
from monitor.core.router import Routed, Router
from monitor.core.wire import DEFAULT_PREFIX, Topics, encode_ack, encode_session
from monitor.errors import BrokerError
from monitor.mqtt.broker import BrokerURL
from monitor.store.base import SessionStore
from monitor.store.recorder import Recorder

log = logging.getLogger("crampwatch.monitor")


class _Outbox:
    """Bounded buffer of (topic, payload, qos, retain) waiting for the broker."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: deque[tuple[str, bytes, int, bool]] = deque()
        self.ready = asyncio.Event()
        self.drained = asyncio.Event()  # set whenever the buffer is empty
        self.drained.set()
        self.dropped = 0

    def put(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self.items.append((topic, payload, qos, retain))
        self.drained.clear()
        if len(self.items) > self.limit:
            for i, item in enumerate(self.items):
                if item[3]:  # retained = a status snapshot
                    del self.items[i]
                    self.dropped += 1
                    break
        self.ready.set()


def _close_socket(client: aiomqtt.Client) -> None:
    """aiomqtt leaves paho's socket open when the broker refuses the connection (bad password) or the TLS
    handshake fails; without this every retry would leak a file descriptor until garbage collection."""
    paho = getattr(client, "_client", None)
    close = getattr(paho, "_sock_close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            close()


class Monitor:
    """The crampwatch service for one broker. See the module docstring for the queue policy."""

    def __init__(
        self,
        broker: BrokerURL,
        *,
        prefix: str = DEFAULT_PREFIX,
        profiles: ProfileBook | None = None,
        sinks: Sequence[Sink] = (),
        config: PipelineConfig | None = None,
        queue_size: int = 50_000,
        outbox_size: int = 100_000,
        identifier: str | None = None,
        reconnect_min_s: float = 0.2,
        reconnect_max_s: float = 10.0,
        idle_stale_s: float = 15.0,
        idle_lost_s: float = 60.0,
        idle_end_s: float = 600.0,
        idle_publish_s: float = 5.0,
        store: SessionStore | None = None,
        snapshot_s: float = 30.0,
    ) -> None:
        self.broker = broker
        self.topics = Topics(prefix)
        self.router = Router(self.topics, profiles or ProfileBook(), config)
        self.sinks = list(sinks)
        self.identifier = identifier
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.idle_stale_s = idle_stale_s
        self.idle_lost_s = idle_lost_s
        self.idle_end_s = idle_end_s
        self.idle_publish_s = idle_publish_s
        self.counters: Counter[str] = Counter()
        self.rejects = RejectReporter()
        self._inbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(maxsize=queue_size)
        self._outbox = _Outbox(outbox_size)
        self._connected = asyncio.Event()
        self._connect_event = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._arrival: dict[tuple[str, str], float] = {}
        self._idle_published: dict[tuple[str, str], float] = {}
        #: Called with every handled message's outcome and handling time (metrics; must not raise).
        self.observers: list[Callable[[Routed, float], None]] = []
        #: ``time.monotonic()`` when the last message was handled (None: none yet). Health checks read it.
        self.last_input_at: float | None = None
        self.store = store
        self.recorder = Recorder(store, self.router, snapshot_s=snapshot_s) if store is not None else None

    # ---- lifecycle -------------------------------------------------------------------------------------
    async def __aenter__(self) -> Monitor:
        for sink in self.sinks:
            await sink.start()
        if self.store is not None and self.recorder is not None:
            await self.store.open()
            restored = await self.recorder.recover()
            now = time.monotonic()
            for key, pipe in self.router.pipelines.items():
                if pipe.active:
                    self._arrival[key] = now
            await self._emit(restored.out)
        self._tasks = [
            asyncio.create_task(self._connection_loop(), name="crampwatch-mqtt"),
            asyncio.create_task(self._process_loop(), name="crampwatch-process"),
            asyncio.create_task(self._housekeeping_loop(), name="crampwatch-housekeeping"),
        ]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def stop(self) -> None:
        """Ask the service to stop (safe from a signal handler)."""
        self._stopping.set()

    async def wait_stopped(self) -> None:
        """Wait until :meth:`stop` is called."""
        await self._stopping.wait()

    async def run(self) -> None:
        """Serve until :meth:`stop` is called (e.g. on SIGINT/SIGTERM)."""
        async with self:
            await self._stopping.wait()

    async def close(self) -> None:
        self._stopping.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._drain(), timeout=5.0)
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
        await self._inbox.join()
        if self._connected.is_set():
            await self._outbox.drained.wait()

    async def wait_connected(self, timeout: float = 10.0, *, connects: int = 1) -> None:
        """Wait until the service is connected and subscribed (for the ``connects``-th time)."""

        async def until() -> None:
            while not (self._connected.is_set() and self.counters["connects"] >= connects):
                self._connect_event.clear()
                await self._connect_event.wait()

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError as exc:
            raise BrokerError(f"cannot reach broker {self.broker} within {timeout:g} s") from exc

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def queue_depths(self) -> dict[str, int]:
        """Messages waiting: ``incoming`` (to be processed) and ``outgoing`` (to be published)."""
        return {"incoming": self._inbox.qsize(), "outgoing": len(self._outbox.items)}

    # ---- MQTT ------------------------------------------------------------------------------------------
    async def _connection_loop(self) -> None:
        delay = self.reconnect_min_s
        while not self._stopping.is_set():
            client = self.broker.client(identifier=self.identifier)
            try:
                async with client:
                    for topic in self.topics.subscriptions():
                        await client.subscribe(topic, qos=1)
                    self.counters["connects"] += 1
                    self._connected.set()
                    self._connect_event.set()
                    delay = self.reconnect_min_s
                    log.info("connected to %s", self.broker)
                    publisher = asyncio.create_task(self._publish_loop(client))
                    try:
                        async for message in client.messages:
                            self._receive(str(message.topic), message.payload)
                    finally:
                        publisher.cancel()
                        await asyncio.gather(publisher, return_exceptions=True)
            except aiomqtt.MqttError as exc:
                _close_socket(client)
                if self._connected.is_set():
                    log.warning("lost broker %s: %s; reconnecting", self.broker, exc)
                else:
                    log.warning("cannot reach broker %s: %s; retrying in %.1f s", self.broker, exc, delay)
            self._connected.clear()
            if self._stopping.is_set():
                break
            self.counters["reconnect_attempts"] += 1
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(self.reconnect_max_s, delay * 2)

    def _receive(self, topic: str, payload: Any) -> None:
        data = payload if isinstance(payload, bytes | bytearray | str) else b""
        try:
            self._inbox.put_nowait((topic, bytes(data) if not isinstance(data, str) else data.encode()))
        except asyncio.QueueFull:
            self.counters["overload"] += 1
            self._reject(topic, "monitor overloaded")

    async def _publish_loop(self, client: aiomqtt.Client) -> None:
        box = self._outbox
        while True:
            if not box.items:
                box.ready.clear()
                await box.ready.wait()
                continue
            topic, payload, qos, retain = box.items[0]
            await client.publish(topic, payload, qos=qos, retain=retain)
            box.items.popleft()
            if not box.items:
                box.drained.set()
            self.counters["published"] += 1

    # ---- processing ------------------------------------------------------------------------------------
    async def _process_loop(self) -> None:
        while True:
            topic, payload = await self._inbox.get()
            try:
                started = time.perf_counter()
                routed = self.router.handle(topic, payload)
                self.last_input_at = time.monotonic()
                for observe in self.observers:
                    observe(routed, time.perf_counter() - started)
                for rtopic, reason in routed.rejected:
                    self._reject(rtopic, reason)
                if routed.out.statuses or routed.out.alerts:
                    await self._emit(routed.out)
                if routed.acked is not None:
                    await self._notify("on_ack", *routed.acked)
                if routed.applied is not None and self.recorder is not None:
                    self.recorder.step(*routed.applied, payload, routed.out)
                key = self._athlete_key(topic)
                if key is not None:
                    self._arrival[key] = time.monotonic()
                    self._idle_published.pop(key, None)
            except Exception:  # a bug must not stop the service; it is logged and counted
                log.exception("error while handling a message on %s", topic[:200])
                self.counters["errors"] += 1
            finally:
                self._inbox.task_done()

    def _athlete_key(self, topic: str) -> tuple[str, str] | None:
        parts = topic.split("/")
        key = (parts[-3], parts[-2]) if len(parts) >= 3 else None
        return key if key in self.router.pipelines else None

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

    # ---- wall-clock housekeeping ----------------------------------------------------------------------
    async def _housekeeping_loop(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), 1.0)
            for payload in self.rejects.due():
                self._outbox.put(self.topics.rejected, payload, 0, False)
            await self._check_idle(time.monotonic())
            if self.recorder is not None:
                self.recorder.tick()
            if self._stopping.is_set():
                return

    async def _check_idle(self, now: float) -> None:
        """Athletes whose gateway went silent: their last status is re-published as stale/lost (wall clock,
        since event time stands still without data), and the session ends after ``idle_end_s``."""
        for key, arrived in list(self._arrival.items()):
            pipe = self.router.pipelines.get(key)
            idle = now - arrived
            if pipe is None or not pipe.active or pipe.last_status is None or idle < self.idle_stale_s:
                continue
            if idle >= self.idle_end_s:
                end = pipe.stop(pipe.last_status["t"])
                await self._emit(end)
                if self.recorder is not None:
                    self.recorder.step(*key, "session", encode_session(pipe.last_status["t"], "stop"), end)
                del self._arrival[key]
                continue
            if now - self._idle_published.get(key, -1e18) >= self.idle_publish_s:
                self._idle_published[key] = now
                status = dict(pipe.last_status)
                status["signal"] = "lost" if idle >= self.idle_lost_s else "stale"
                status["wall_idle_s"] = round(idle, 1)
                self._publish_status(status)
                await self._notify("on_status", status)

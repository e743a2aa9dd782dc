"""Send a gateway's frames to the broker (QoS 1), buffered while the broker is away, and hand the athlete's
alerts and statuses back to the caller.

One publisher serves one athlete (``gateway ble``) or, built without an athlete, any number of them
(``gateway bridge``): each frame then names its ``squad`` and ``athlete``, and no alerts or statuses are read back.

The buffer is bounded (``limit`` frames, one hour at one frame per second by default); when it overflows the
*oldest* frames are dropped and counted (``dropped``) — session events are always kept. A backlog goes out as
lists of up to 60 frames per message; live data one frame per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, Literal

import aiomqtt

from monitor.core.wire import Topics, encode_session
from monitor.mqtt.broker import BrokerURL

log = logging.getLogger("crampwatch.gateway")

#: Frames per message when a backlog is sent after the broker comes back.
CHUNK = 60


def _close_socket(client: aiomqtt.Client) -> None:
    paho = getattr(client, "_client", None)
    close = getattr(paho, "_sock_close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            close()


Key = tuple[str, str]  # (squad, athlete)


class FramePublisher:
    """Publishes one athlete's frames and session events; calls ``on_alert``/``on_status`` with what the monitor
    sends back for that athlete. Without ``squad``/``athlete``, every frame names its own."""

    def __init__(
        self,
        broker: BrokerURL,
        squad: str | None,
        athlete: str | None,
        *,
        topics: Topics | None = None,
        limit: int = 3600,
        on_alert: Callable[[dict[str, Any]], None] | None = None,
        on_status: Callable[[dict[str, Any]], None] | None = None,
        reconnect_min_s: float = 0.5,
        reconnect_max_s: float = 15.0,
        log_retries: bool = True,
    ) -> None:
        self.broker = broker
        self.topics = topics or Topics()
        self.squad, self.athlete = squad, athlete
        self.limit = limit
        self.on_alert = on_alert
        self.on_status = on_status
        self.reconnect_min_s, self.reconnect_max_s = reconnect_min_s, reconnect_max_s
        #: False: a failed connection is logged at DEBUG only, its owner says it (``gateway bridge``, whose own
        #: connection fails with it: one line per retry, not two); ``failures`` and ``last_error`` tell it.
        self.log_retries = log_retries
        self.failures = 0
        self.last_error = ""
        # (kind, (squad, athlete), item): ("frame", key, dict) | ("session", key, bytes) | ("profile", key, bytes)
        self._queue: deque[tuple[str, Key, Any]] = deque()
        self._ready = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self.connected = asyncio.Event()
        self.frames_sent = 0
        self.messages_sent = 0
        self.dropped = 0
        self.connects = 0

    # ---- producer side (never waits) ----------------------------------------------------------------------
    def _key(self, squad: str | None, athlete: str | None) -> Key:
        squad, athlete = squad or self.squad, athlete or self.athlete
        if squad is None or athlete is None:
            raise ValueError("this publisher serves several athletes: name the squad and athlete")
        return squad, athlete

    def frame(self, frame: dict[str, Any], *, squad: str | None = None, athlete: str | None = None) -> None:
        self._queue.append(("frame", self._key(squad, athlete), frame))
        frames = sum(1 for kind, _, _ in self._queue if kind == "frame") if len(self._queue) > self.limit else 0
        while frames > self.limit:
            for i, (kind, _, _) in enumerate(self._queue):
                if kind == "frame":
                    del self._queue[i]
                    self.dropped += 1
                    frames -= 1
                    break
        self._wake()

    def session(self, t: float, event: Literal["start", "stop"]) -> None:
        self._queue.append(("session", self._key(None, None), encode_session(t, event)))
        self._wake()

    def profile(self, payload: bytes) -> None:
        self._queue.append(("profile", self._key(None, None), payload))
        self._wake()

    def _wake(self) -> None:
        self._drained.clear()
        self._ready.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def drained(self, timeout: float) -> bool:
        """Wait until everything queued has been acknowledged by the broker (False after ``timeout`` s)."""
        try:
            await asyncio.wait_for(self._drained.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # ---- connection -----------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Connect, subscribe to the athlete's alerts and statuses, send the queue; reconnect with back-off until
        ``stop`` is set."""
        delay = self.reconnect_min_s
        while not stop.is_set():
            client = self.broker.client()
            try:
                async with client:
                    if self.squad is not None and self.athlete is not None:
                        await client.subscribe(self.topics.of(self.squad, self.athlete, "alert"), qos=1)
                        await client.subscribe(self.topics.of(self.squad, self.athlete, "status"), qos=0)
                    self.connects += 1
                    self.connected.set()
                    delay = self.reconnect_min_s
                    log.info("connected to %s", self.broker)
                    sender = asyncio.create_task(self._send_loop(client))
                    try:
                        async for message in client.messages:
                            self._incoming(str(message.topic), message.payload)
                    finally:
                        while not sender.done():  # insist: Python 3.11's wait_for can swallow a cancel
                            sender.cancel()
                            await asyncio.wait({sender}, timeout=0.5)
            except aiomqtt.MqttError as exc:
                _close_socket(client)
                self.failures += 1
                self.last_error = str(exc)
                log.log(logging.WARNING if self.log_retries else logging.DEBUG,
                        "broker %s: %s; %d message(s) buffered, retrying in %.1f s", self.broker, exc, self.pending,
                        delay)  # fmt: skip
            self.connected.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(self.reconnect_max_s, delay * 2)

    async def _send_loop(self, client: aiomqtt.Client) -> None:
        while True:
            if not self._queue:
                self._drained.set()
                self._ready.clear()
                await self._ready.wait()
                continue
            kind, key, item = self._queue[0]
            if kind == "frame":
                n = 1
                while n < min(CHUNK, len(self._queue)) and self._queue[n][:2] == ("frame", key):
                    n += 1
                frames = [self._queue[i][2] for i in range(n)]
                payload = json.dumps(frames[0] if n == 1 else frames, allow_nan=False).encode()
                await client.publish(self.topics.of(*key, "frame"), payload, qos=1)
                for _ in range(n):
                    self._queue.popleft()
                self.frames_sent += n
            else:
                retain = kind == "profile"
                await client.publish(self.topics.of(*key, kind), item, qos=1, retain=retain)
                self._queue.popleft()
            self.messages_sent += 1

    def _incoming(self, topic: str, payload: Any) -> None:
        try:
            data = json.loads(payload if isinstance(payload, bytes | str) else b"null")
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        callback = self.on_alert if topic.endswith("/alert") else self.on_status
        if callback is not None:
            callback(data)

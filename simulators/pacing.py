"""Closed-loop pacing for publishing as fast as possible: never further ahead of the monitor than it can be seen to
have handled.

MQTT 3.1.1 has no end-to-end flow control: a publisher faster than the monitor fills the broker's queue for the
monitor (Mosquitto: ``max_queued_messages``, 1000 by default) and the broker drops the rest without a word. So the
publisher watches what the monitor already publishes — its statuses, ``{prefix}/{squad}/{athlete}/status``, every
5 s of event time per athlete (contract.md) — and keeps at most ``window`` messages sent that the monitor has not
visibly handled.

**What a status proves.** A status of athlete A at event time T is computed only once the monitor has taken in a
sample of A at or after T: a 1 Hz grid second is written when every stream has reported past it, when the
watermark passes it, or when the session stops or goes quiet (docs/architecture.md, "Event time"). The message that
carried that sample has a delivery clock ``at >= T`` (the newest event time its run has sent). The publisher sends
in (clock, run index) order over one connection, the broker delivers one connection's messages in order and the
monitor handles them in order, so every message with a key ``(at, run) < (T, index of A)`` has been handled.
A ``finished`` status of A at the second of A's stop (``T >= floor(stop's t)``) proves A's stop and everything
sent before it. Only statuses computed now count: a retained one (flag set by the broker on subscription) is old
news, and so is the wall-clock re-publication of a silent athlete's last status (``wall_idle_s``) — it may come
from a session the monitor still holds from an earlier, interrupted run of the same athletes.

**The end.** When everything is sent the publisher waits until the monitor has handled all of it: every run's
``finished`` status after its stop was sent (without session events: a status within one tick of its last
message), so a second run started right after the first never sees the first one's statuses.

**No monitor.** Pacing needs a monitor that is there: the monitor says so on ``{prefix}/_monitor/online``
(retained; ``false`` also as its MQTT will). When that topic does not say ``online`` within
:data:`PRESENCE_WAIT_S` of subscribing (no monitor on this broker, a stopped one, one that predates the topic),
the publisher publishes unpaced and the commands say so in a note: a subscriber that is not a monitor (a test
harness collecting frames) gets every message at full speed, as before pacing.

**No progress.** If nothing more is proven for ``timeout_s`` of wall clock while the publisher waits (no monitor,
a monitor that died, a user not allowed to read ``status``), :class:`MonitorSilent` says so in one line, with what
the monitor's presence (``{prefix}/_monitor/online``, retained) last said; the
commands stop with exit code 1 (``--unpaced`` publishes without waiting). A monitor restarted within the timeout
resumes the run: with a persistent session (``crampwatch monitor``'s default) the broker kept the at most
``window`` messages sent meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import orjson

from monitor.core.topics import Topics
from monitor.errors import BrokerError, MonitorSilent

if TYPE_CHECKING:  # the commands read the defaults below for --help: no MQTT client loads for that
    import aiomqtt

    from monitor.mqtt.broker import BrokerURL

#: Messages sent and not yet seen handled. Stock Mosquitto queues 1000 per client (+ 20 in flight) for a monitor
#: with a persistent session; throughput measured in docs/simulators.md.
DEFAULT_WINDOW = 500
#: Wall-clock seconds without progress before giving up (a monitor restart must fit in it).
DEFAULT_TIMEOUT_S = 30.0
#: Wall-clock seconds to wait for the monitor's retained presence after subscribing (it comes at once if retained).
PRESENCE_WAIT_S = 2.0
#: The monitor's status cadence in event seconds (PipelineConfig.tick_s): a run without session events is done
#: when a status within one tick of its last message arrives.
TICK_S = 5


class _Msg(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def at(self) -> float | None: ...
    @property
    def run(self) -> int: ...


class _RunId(Protocol):
    @property
    def squad(self) -> str: ...
    @property
    def athlete(self) -> str: ...


@dataclass(frozen=True)
class Follow:
    """Pace by the monitor's progress: at most ``window`` messages ahead; :class:`MonitorSilent` after
    ``timeout_s`` without progress."""

    window: int = DEFAULT_WINDOW
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError("the pacing window must be at least 1 message")
        if not (math.isfinite(self.timeout_s) and self.timeout_s > 0):
            raise ValueError("the pacing timeout must be a number of seconds > 0")


class Progress:
    """What was sent and what the monitor's statuses prove it has handled (pure; see the module docstring).

    >>> from simulators.publish import Message
    >>> p = Progress([("club", "ann"), ("club", "bo")])
    >>> for at, run in [(None, 0), (10.0, 0), (10.0, 1), (11.0, 0), (11.0, 1), (15.0, 0), (15.0, 1)]:
    ...     p.sent_message(Message("x/frame", b"", 1, False, at, run))
    >>> p.status("club", "bo", 11.0, "live"), p.proven    # handled: all before bo's first message at >= 11
    (True, 4)
    >>> p.status("club", "ann", 9.0, "live"), p.proven    # proves nothing new
    (False, 4)
    >>> p.status("club", "bo", 15.0, "live"), p.status("club", "eve", 99.0, "live"), p.proven
    (True, False, 6)
    """

    def __init__(self, runs: Sequence[tuple[str, str]]) -> None:
        self._index = {key: i for i, key in enumerate(runs)}  # (squad, athlete) → run index
        self._keys: deque[tuple[float, int]] = deque()  # (clock, run) of the messages not yet proven handled
        self.sent = 0
        self._last: dict[int, tuple[float, bool]] = {}  # run → (clock of its newest message, it is a stop)
        self._done: set[int] = set()

    @property
    def proven(self) -> int:
        return self.sent - len(self._keys)

    @property
    def ahead(self) -> int:
        """Messages sent that the monitor has not visibly handled."""
        return len(self._keys)

    @property
    def complete(self) -> bool:
        """Everything sent is handled (or every run has ended at the monitor after its last message)."""
        return not self._keys or len(self._done) == len(self._last)

    def sent_message(self, msg: _Msg) -> None:
        self.sent += 1
        if msg.at is None:
            self._keys.append((-math.inf, msg.run))
            return
        self._keys.append((msg.at, msg.run))
        stop = msg.topic.endswith("/session") and b'"stop"' in msg.payload
        self._last[msg.run] = (msg.at, stop)
        self._done.discard(msg.run)

    def status(self, squad: str, athlete: str, t: float, state: object) -> bool:
        """A live status arrived; True if it proves more than was known."""
        run = self._index.get((squad, athlete))
        if run is None or run not in self._last:
            return False
        last_at, stop = self._last[run]
        bound: tuple[float, float] = (t, run)
        done = False
        if state == "finished" and stop:
            done = True  # the stop was sent before this status arrived
            if t >= math.floor(last_at):
                bound = (last_at, run + 0.5)  # its own stop: handled, and everything before it
        elif not stop:
            done = t >= math.floor(last_at) - TICK_S
        keys, popped = self._keys, 0
        while keys and keys[0] < bound:
            keys.popleft()
            popped += 1
        if done and run not in self._done:
            self._done.add(run)
            return True
        return popped > 0


def _status_fields(payload: bytes) -> tuple[float, object] | None:
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or "wall_idle_s" in data:  # a silent athlete's last status again: nothing new
        return None
    t = data.get("t")
    if not isinstance(t, int | float) or isinstance(t, bool) or not math.isfinite(t):
        return None
    return float(t), data.get("session_state")


class Follower:
    """The monitor's statuses for the runs being published, read on a connection of their own::

    async with Follower(broker, runs, prefix, Follow()) as follower:
        for msg in messages:
            await follower.room()        # waits while `window` messages are ahead of the monitor
            ...publish msg...
            follower.sent(msg)
        await follower.finish()         # until the monitor has handled everything
    """

    def __init__(self, broker: BrokerURL, runs: Sequence[_RunId], prefix: str, follow: Follow) -> None:
        self.broker = broker
        self.follow = follow
        self.prefix = prefix
        self.progress = Progress([(r.squad, r.athlete) for r in runs])
        self._squads = sorted({r.squad for r in runs})
        self._changed = asyncio.Event()
        self._last_progress = time.monotonic()
        self._client: aiomqtt.Client | None = None
        self._reader: asyncio.Task[None] | None = None
        #: the monitor's presence (``{prefix}/_monitor/online``, retained; None: never said), for the message
        self.online: bool | None = None
        self._presence_seen = asyncio.Event()
        self._presence = Topics(prefix).online

    @property
    def watched(self) -> str:
        return ", ".join(f"{self.prefix}/{squad}/+/status" for squad in self._squads)

    async def __aenter__(self) -> Follower:
        import aiomqtt

        client = self.broker.client()
        try:
            await client.__aenter__()
            await client.subscribe(self._presence, qos=1)
            for squad in self._squads:
                await client.subscribe(f"{self.prefix}/{squad}/+/status", qos=0)
        except aiomqtt.MqttError as exc:
            raise BrokerError(f"cannot follow the monitor's statuses on {self.broker}: {exc}") from exc
        self._client = client
        self._reader = asyncio.create_task(self._read(client), name="crampwatch-follow")
        with contextlib.suppress(TimeoutError):  # retained: at once; never said: not online
            await asyncio.wait_for(self._presence_seen.wait(), PRESENCE_WAIT_S)
        self._last_progress = time.monotonic()
        return self

    @property
    def presence(self) -> str:
        """What the monitor's presence topic said: ``online``, ``offline`` or ``not announced``."""
        return {True: "online", False: "offline", None: "not announced"}[self.online]

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._client is not None:
            import aiomqtt

            with contextlib.suppress(aiomqtt.MqttError):
                await self._client.__aexit__(None, None, None)

    async def _read(self, client: aiomqtt.Client) -> None:
        progress, cut = self.progress, len(self.prefix) + 1
        async for message in client.messages:
            if not isinstance(message.payload, bytes):
                continue
            if str(message.topic) == self._presence:
                with contextlib.suppress(orjson.JSONDecodeError):
                    said = orjson.loads(message.payload)
                    self.online = isinstance(said, dict) and said.get("online") is True
                self._presence_seen.set()
                continue
            if message.retain:
                continue
            parts = str(message.topic)[cut:].split("/")
            fields = _status_fields(message.payload) if len(parts) == 3 else None
            if fields is not None and progress.status(parts[0], parts[1], *fields):
                self._last_progress = time.monotonic()
                self._changed.set()

    def sent(self, msg: _Msg) -> None:
        self.progress.sent_message(msg)

    @property
    def full(self) -> bool:
        return self.progress.ahead >= self.follow.window

    async def room(self) -> None:
        """Wait until fewer than ``window`` messages are ahead of what the monitor has visibly handled."""
        while self.full:
            await self._wait()

    async def finish(self) -> None:
        """Wait until the monitor has visibly handled everything sent."""
        while not self.progress.complete:
            await self._wait()

    async def _wait(self) -> None:
        assert self._reader is not None
        self._changed.clear()
        remaining = self._last_progress + self.follow.timeout_s - time.monotonic()
        changed = asyncio.ensure_future(self._changed.wait())
        try:
            done, _ = await asyncio.wait(
                {changed, self._reader}, timeout=max(0.0, remaining), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            changed.cancel()
        if self._reader in done:
            failure = self._reader.exception()
            raise BrokerError(f"lost the monitor's statuses on {self.broker}: {failure or 'subscription ended'}")
        if not done:
            p, presence = self.progress, self._presence
            said = self.presence
            raise MonitorSilent(
                f"no progress from the monitor for {self.follow.timeout_s:g} s ({p.proven} of {p.sent} messages "
                f"seen handled on {self.watched}; {presence}: {said}): is `crampwatch monitor` running on this "
                "broker? (--unpaced publishes without waiting)"
            )

"""Publish runs (simulated or recorded) to an MQTT broker exactly as a watch gateway would.

Order of what is sent: every run's retained profile (QoS 1) first; then, merged across runs in event-time
order, each run's ``session`` start, its frames (or per-stream samples) and its ``session`` stop. Frames keep
the order they are given in within a run (a simulated run may deliver a few frames late or twice, on purpose);
runs are merged by each run's *delivery clock* — the newest event time it has sent so far — with ties broken
by run order.

Pacing: ``speed`` 1 publishes in real time, 60 at x60, 0 as fast as the broker acknowledges (QoS 1); with
``follow`` also no further ahead of the monitor than its statuses show it has handled (:mod:`simulators.pacing`;
what ``crampwatch simulate/replay --speed 0`` do). The byte sequence never depends on either: :func:`plan_messages`
decides it, :func:`publish` only waits.

Interrupted (``end_on_cancel``: Ctrl-C in ``crampwatch replay/simulate``), :func:`publish` ends what it started: what
was handed to the client goes out, then a ``session`` stop for every run whose start went out and whose stop did
not, at the newest event time of that run handed over — the monitor ends the session at once instead of after
its silence timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import math
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import aiomqtt

from monitor.core.wire import (
    DEFAULT_PREFIX,
    MAX_BATCH,
    STREAMS,
    Topics,
    encode_frame,
    encode_frames,
    encode_profile,
    encode_samples,
    encode_session,
)
from monitor.errors import BrokerError
from monitor.mqtt.broker import BrokerURL
from processors.profile import Profile, SessionPlan
from simulators.frame import Frame
from simulators.pacing import Follow, Follower

Mode = Literal["frame", "samples"]
#: QoS 1 publishes kept in flight at once (order is kept: MQTT delivers one connection's messages in order).
WINDOW = 64


@dataclass(frozen=True)
class Run:
    """One athlete's run to publish: ``frames`` in delivery order."""

    squad: str
    athlete: str
    profile: Profile | None
    frames: Sequence[Frame]
    plan: SessionPlan | None = None  # today's plan, sent with the session start


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT message. ``at`` is the event time that releases it (None: before the clock starts); ``run`` the
    index of the run it belongs to."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    at: float | None
    run: int = -1
    event: str | None = None  # a session message's event ("start", "stop")


@dataclass(slots=True)
class PublishStats:
    """What was published. ``frames`` and ``samples`` count what the messages carried (duplicates
    included)."""

    runs: int = 0
    messages: int = 0
    frames: int = 0
    samples: int = 0
    profiles: int = 0
    sessions: int = 0
    bytes: int = 0
    first_t: float | None = None
    last_t: float | None = None
    wall_s: float = 0.0
    #: asked to follow the monitor but none was online (what its presence topic said): published unpaced
    unfollowed: str | None = None

    def count(self, message: Message, *, frames: int = 0, samples: int = 0) -> None:
        self.messages += 1
        self.bytes += len(message.payload)
        self.frames += frames
        self.samples += samples
        if message.at is not None:
            self.first_t = message.at if self.first_t is None else min(self.first_t, message.at)
            self.last_t = message.at if self.last_t is None else max(self.last_t, message.at)


def _check(runs: Sequence[Run], mode: str, batch: int, speed: float) -> None:
    if mode not in ("frame", "samples"):
        raise ValueError(f"mode must be 'frame' or 'samples', not {mode!r}")
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"batch must be 1-{MAX_BATCH}")
    if not (math.isfinite(speed) and speed >= 0):
        raise ValueError("speed must be a finite number >= 0")
    seen: set[tuple[str, str]] = set()
    for run in runs:
        key = (run.squad, run.athlete)
        if key in seen:
            raise ValueError(f"two runs for {run.squad}/{run.athlete}")
        seen.add(key)


def plan_messages(
    runs: Sequence[Run],
    *,
    mode: Mode = "frame",
    batch: int = 1,
    prefix: str = DEFAULT_PREFIX,
    session_events: bool = True,
    stats: PublishStats | None = None,
) -> Iterator[Message]:
    """Every message :func:`publish` sends, in order (lazy). Same input → same messages, byte for byte.

    >>> runs = [Run("club", "ann", Profile(name="Ann"), [Frame(t=10.0, hr=150.0), Frame(t=11.0, hr=151.0)])]
    >>> [(m.topic.split("/")[-1], m.payload) for m in plan_messages(runs)]  # doctest: +NORMALIZE_WHITESPACE
    [('profile', b'{"name":"Ann"}'), ('session', b'{"t":10.0,"event":"start"}'),
     ('frame', b'{"t":10.0,"hr":150.0}'), ('frame', b'{"t":11.0,"hr":151.0}'),
     ('session', b'{"t":11.0,"event":"stop"}')]
    """
    _check(runs, mode, batch, 0.0)
    topics = Topics(prefix)
    stats = stats if stats is not None else PublishStats()
    stats.runs = len(runs)
    for index, run in enumerate(runs):
        if run.profile is not None:
            topic = topics.of(run.squad, run.athlete, "profile")
            msg = Message(topic, encode_profile(run.profile), 1, True, None, index)
            stats.profiles += 1
            stats.count(msg)
            yield msg
    streams = [_run_stream(i, run, topics, mode, batch, session_events) for i, run in enumerate(runs)]
    for _clock, _index, _seq, msg, frames, samples in heapq.merge(*streams):
        if msg.topic.endswith("/session"):
            stats.sessions += 1
        stats.count(msg, frames=frames, samples=samples)
        yield msg


_Item = tuple[float, int, int, Message, int, int]  # (delivery clock, run index, seq, message, frames, samples)


def _run_stream(index: int, run: Run, topics: Topics, mode: Mode, batch: int, session_events: bool) -> Iterator[_Item]:
    frames = list(run.frames)
    if not frames:
        return
    seq = 0
    session = topics.of(run.squad, run.athlete, "session")
    if session_events:
        t0 = min(f.t for f in frames)
        start = Message(session, encode_session(t0, "start", run.plan), 1, False, t0, index, "start")
        yield (t0, index, seq, start, 0, 0)
        seq += 1
    clock = -math.inf
    for k in range(0, len(frames), batch):
        chunk = frames[k : k + batch]
        clock = max(clock, max(f.t for f in chunk))
        if mode == "frame":
            payload = encode_frame(chunk[0]) if batch == 1 else encode_frames(chunk)
            msg = Message(topics.of(run.squad, run.athlete, "frame"), payload, 1, False, clock, index)
            yield (clock, index, seq, msg, len(chunk), sum(len(f.streams()) for f in chunk))
            seq += 1
            continue
        for stream in STREAMS:
            points = [(f.t, v) for f in chunk if (v := getattr(f, stream)) is not None]
            topic = topics.of(run.squad, run.athlete, stream)
            for part in _non_decreasing(points):
                payload = encode_samples([t for t, _ in part], [v for _, v in part])
                yield (clock, index, seq, Message(topic, payload, 1, False, clock, index), 0, len(part))
                seq += 1
    if session_events:
        t1 = max(clock, max(f.t for f in frames))
        yield (t1, index, seq, Message(session, encode_session(t1, "stop"), 1, False, t1, index, "stop"), 0, 0)


def _non_decreasing(points: list[tuple[float, float]]) -> Iterator[list[tuple[float, float]]]:
    """Split a stream's points where time goes back (a batch on the wire must have non-decreasing t).

    >>> list(_non_decreasing([(1, 5), (2, 6), (1.5, 7), (3, 8)]))
    [[(1, 5), (2, 6)], [(1.5, 7), (3, 8)]]
    """
    part: list[tuple[float, float]] = []
    for point in points:
        if part and point[0] < part[-1][0]:
            yield part
            part = []
        part.append(point)
    if part:
        yield part


async def publish(
    broker: BrokerURL,
    runs: Sequence[Run],
    *,
    speed: float = 0.0,
    mode: Mode = "frame",
    batch: int = 1,
    prefix: str = DEFAULT_PREFIX,
    session_events: bool = True,
    client: aiomqtt.Client | None = None,
    on_sent: Callable[[Message], None] | None = None,
    follow: Follow | None = None,
    end_on_cancel: bool = False,
) -> PublishStats:
    """Publish ``runs`` (see the module docstring for order and pacing). ``client``: an already connected
    client to use (it is left connected); otherwise one is opened to ``broker`` and closed at the end.
    ``on_sent(message)`` is called as each message is handed to the client (progress display). ``follow``: pace
    by the monitor's progress as well (:mod:`simulators.pacing`: at most ``follow.window`` messages ahead of what
    its statuses show handled; returns once it has handled everything). ``end_on_cancel``: cancelled (Ctrl-C), send
    the stop of every session started and not yet stopped before re-raising (see the module docstring).

    Raises :class:`BrokerError` if the broker cannot be reached or drops the connection; :class:`MonitorSilent`
    when followed and the monitor shows no progress for ``follow.timeout_s``; ``ValueError`` for a bad mode,
    batch, speed or duplicate athlete.
    """
    _check(runs, mode, batch, speed)
    stats = PublishStats()
    messages = plan_messages(runs, mode=mode, batch=batch, prefix=prefix, session_events=session_events, stats=stats)
    began = time.monotonic()
    try:
        async with contextlib.AsyncExitStack() as stack:
            follower = None
            if follow is not None:
                follower = await Follower(broker, runs, prefix, follow).__aenter__()
                if follower.online is True:
                    stack.push_async_exit(follower)
                else:  # nobody to pace by: as fast as the broker takes it, without reading statuses meanwhile
                    stats.unfollowed = follower.presence
                    await follower.__aexit__(None, None, None)
                    follower = None
            if client is None:
                client = await stack.enter_async_context(broker.client())
            await _send(client, messages, speed, on_sent, follower, _Open() if end_on_cancel else None)
    except aiomqtt.MqttError as exc:
        raise BrokerError(f"publishing to {broker} failed: {exc}") from exc
    stats.wall_s = time.monotonic() - began
    return stats


async def _send(
    client: aiomqtt.Client,
    messages: Iterator[Message],
    speed: float,
    on_sent: Callable[[Message], None] | None,
    follower: Follower | None,
    opened: _Open | None = None,
) -> None:
    loop = asyncio.get_running_loop()
    pending: deque[asyncio.Task[None]] = deque()
    origin: tuple[float, float] | None = None  # (event time, loop time) of the first timed message
    threshold = client.pending_calls_threshold  # aiomqtt warns above it; a full window is expected here
    client.pending_calls_threshold = max(threshold, WINDOW + 16)
    task = asyncio.current_task()
    try:
        for msg in messages:
            if task is not None and task.cancelling():  # asyncio.wait_for (3.11) may swallow a cancellation
                raise asyncio.CancelledError
            if speed > 0 and msg.at is not None:
                if origin is None:
                    origin = (msg.at, loop.time())
                delay = origin[1] + (msg.at - origin[0]) / speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            if follower is not None:
                if follower.full:
                    await follower.room()
                follower.sent(msg)
            # Tasks start in creation order and each hands its message to the MQTT client synchronously in its
            # first step, so the wire order is the creation order.
            if opened is None:
                sending = client.publish(msg.topic, msg.payload, qos=msg.qos, retain=msg.retain)
            else:
                sending = opened.hand(client, msg)
            pending.append(asyncio.ensure_future(sending))
            if on_sent is not None:
                on_sent(msg)
            if len(pending) >= WINDOW:
                await pending.popleft()
        while pending:
            await pending.popleft()
        if follower is not None:
            await follower.finish()
    except asyncio.CancelledError:
        if opened is not None:
            await opened.end(client, pending)
        raise
    finally:
        client.pending_calls_threshold = threshold
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


#: Seconds an interrupted publish waits for what it handed over and its session stops to be acknowledged.
END_WAIT_S = 10.0


class _Open:
    """The sessions a publish has started and not stopped: run index → (session topic, newest event time of the
    run handed to the client). Kept as each message is handed over (in its task's first step, where the client
    takes it), so a message whose task was cancelled before it started is not counted."""

    def __init__(self) -> None:
        self.runs: dict[int, tuple[str, float]] = {}

    async def hand(self, client: aiomqtt.Client, msg: Message) -> None:
        if msg.event == "start" and msg.at is not None:
            self.runs[msg.run] = (msg.topic, msg.at)
        elif msg.event == "stop":
            self.runs.pop(msg.run, None)
        elif msg.run in self.runs and msg.at is not None:
            topic, newest = self.runs[msg.run]
            self.runs[msg.run] = (topic, max(newest, msg.at))
        await client.publish(msg.topic, msg.payload, qos=msg.qos, retain=msg.retain)

    async def end(self, client: aiomqtt.Client, pending: deque[asyncio.Task[None]]) -> None:
        """Let what was handed over go out (in order, before the stops), then stop every open session; give up
        after :data:`END_WAIT_S` (a broker gone) — a second Ctrl-C stops at once (asyncio.run)."""
        with contextlib.suppress(TimeoutError, aiomqtt.MqttError):
            async with asyncio.timeout(END_WAIT_S):
                await asyncio.gather(*pending, return_exceptions=True)
                stops = [(topic, encode_session(t, "stop")) for topic, t in self.runs.values()]
                await asyncio.gather(*(client.publish(topic, payload, qos=1) for topic, payload in stops))
                self.runs.clear()

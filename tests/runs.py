"""Constructed runs for end-to-end tests (deterministic; not the simulator model, so the tests check the
pipeline against plainly stated inputs)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiomqtt
import numpy as np

from monitor.core.wire import Topics, encode_frames, encode_profile, encode_session
from monitor.mqtt.broker import BrokerURL
from processors.profile import Profile
from simulators.frame import Frame

T0 = 1_732_400_000.0
HOT_PROFILE = Profile(name="Hot", sex="male", age=45, hr_max=185, hr_rest=50, training_pace=330, longest_run_min=90)
EASY_PROFILE = Profile(name="Easy", sex="female", age=30, hr_max=190, hr_rest=50, training_pace=330)


def hot_fast_run(minutes: float = 50, seed: int = 1) -> list[Frame]:
    """~10 % faster than a 330 s/km training pace at 30 °C, HR drifting up, cadence falling 176 → 164."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60)
    frames = []
    for i in range(n):
        f = i / n
        hr = 140 + 12 * min(1.0, i / 300) + 22 * f + rng.normal(0, 1.5)
        cadence = 176 - 12 * f + rng.normal(0, 1.0)
        pace = 300 + rng.normal(0, 3)
        frames.append(
            Frame(
                t=T0 + i,
                hr=round(hr, 1),
                pace=round(pace, 1),
                cadence=round(cadence, 1),
                temp=30.0 if i % 30 == 0 else None,
            )
        )
    return frames


def hot_then_walk_run(minutes: float = 40, walk_minutes: float = 15) -> list[Frame]:
    """:func:`hot_fast_run`, then a walk at 10:00/km in 22 °C, HR settling to 125: the risk peaks at the end of
    the hot part and falls, so the session's peak and its end have different reasons."""
    frames = hot_fast_run(minutes)
    t = frames[-1].t + 1
    for i in range(int(walk_minutes * 60)):
        hr = 150 - 25 * min(1.0, i / 300)
        frames.append(Frame(t=t + i, hr=hr, pace=600.0, cadence=150.0, temp=22.0 if i % 30 == 0 else None))
    return frames


def easy_cool_run(minutes: float = 50, seed: int = 2) -> list[Frame]:
    """At training pace in 12 °C, steady HR and cadence."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(int(minutes * 60)):
        hr = 120 + 15 * min(1.0, i / 300) + rng.normal(0, 1.5)
        frames.append(
            Frame(
                t=T0 + i,
                hr=round(hr, 1),
                pace=round(330 + rng.normal(0, 4), 1),
                cadence=round(172 + rng.normal(0, 1.2), 1),
                temp=12.0 if i % 30 == 0 else None,
            )
        )
    return frames


async def publish_frames(
    broker: BrokerURL,
    squad: str,
    athlete: str,
    frames: Sequence[Frame],
    *,
    profile: Profile | None = None,
    chunk: int = 60,
    speed: float = 0.0,
    stop: bool = True,
    topics: Topics | None = None,
) -> None:
    """Publish frames as lists of ``chunk`` (QoS 1), paced at ``speed`` x event time (0 = as fast as possible)."""
    topics = topics or Topics()
    async with broker.client() as client:
        if profile is not None:
            await client.publish(topics.of(squad, athlete, "profile"), encode_profile(profile), qos=1, retain=True)
        start_wall, start_t = time.monotonic(), frames[0].t
        for i in range(0, len(frames), chunk):
            part = frames[i : i + chunk]
            if speed > 0:
                due = start_wall + (part[0].t - start_t) / speed
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            await client.publish(topics.of(squad, athlete, "frame"), encode_frames(part), qos=1)
        if stop:
            await client.publish(topics.of(squad, athlete, "session"), encode_session(frames[-1].t, "stop"), qos=1)


@dataclass
class Collector:
    """Subscribes to statuses, alerts and rejections; lets a test wait for a condition with a timeout."""

    broker: BrokerURL
    topics: Topics = field(default_factory=Topics)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Collector:
        """Connect and subscribe, within 30 s. A connection the broker drops before the subscriptions are in place
        is made again, as any MQTT client would: the embedded amqtt broker once reset the collector's connection
        at start-up in CI ("Connection reset by peer"), and the test waited 10 s for a subscription that had died."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30.0
        while True:
            self._ready.clear()
            self._task = asyncio.create_task(self._run())
            ready = asyncio.ensure_future(self._ready.wait())
            done, _ = await asyncio.wait(
                {ready, self._task}, timeout=max(0.0, deadline - loop.time()), return_when=asyncio.FIRST_COMPLETED
            )
            if ready in done:
                return self
            ready.cancel()
            if self._task not in done:
                await self.__aexit__()
                raise TimeoutError("the collector did not subscribe within 30 s")
            failure = self._task.exception()
            if not isinstance(failure, aiomqtt.MqttError) or loop.time() >= deadline:
                raise failure or RuntimeError("the collector stopped before it subscribed")

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        p = self.topics.prefix
        async with self.broker.client() as client:
            await client.subscribe(f"{p}/+/+/status", qos=1)
            await client.subscribe(f"{p}/+/+/alert", qos=1)
            await client.subscribe(self.topics.rejected, qos=1)
            self._ready.set()
            async for msg in client.messages:
                if msg.retain:
                    continue
                data = json.loads(msg.payload if isinstance(msg.payload, bytes | str) else b"null")
                if msg.topic.matches(self.topics.rejected):
                    self.rejected.append(data)
                elif str(msg.topic).endswith("/alert"):
                    self.alerts.append(data)
                else:
                    self.statuses.append(data)
                self._changed.set()

    async def wait_for(self, condition: Any, timeout: float = 30.0) -> None:
        async def loop() -> None:
            while not condition(self):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)

    def finished(self, athlete: str) -> bool:
        """Whether the athlete's session-ending status (``session_state: "finished"``) has arrived."""
        return any(s["athlete"] == athlete and s.get("session_state") == "finished" for s in self.statuses)

    def final_status(self, athlete: str, t: float) -> bool:
        return any(s["athlete"] == athlete and s["t"] >= int(t) for s in self.statuses)

    def event_statuses(self) -> list[dict[str, Any]]:
        """The statuses computed on event time: without the wall-clock re-publications of a silent athlete's last
        status (``wall_idle_s``; a publisher or broker stalled 2 s on a loaded machine makes some mid-run). A
        session store keeps these only (docs/scale-out.md)."""
        return [s for s in self.statuses if "wall_idle_s" not in s]


async def run_live(broker: BrokerURL, athlete: str, frames: Sequence[Frame], profile: Profile) -> Collector:
    """A fresh Monitor on ``broker``; publish one athlete's run (squad ``club``) and collect until its final
    status."""
    from monitor.mqtt.service import Monitor

    async with Monitor(broker) as monitor, Collector(broker) as seen:
        await monitor.wait_connected()
        await publish_frames(broker, "club", athlete, frames, profile=profile)
        await seen.wait_for(lambda c: c.final_status(athlete, frames[-1].t), timeout=60)
    return seen

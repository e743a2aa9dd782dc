"""The monitor's wall-clock housekeeping (a part of :class:`~monitor.mqtt.service.Monitor`): rejection reports
that are due, athletes gone quiet (released, re-published as ``quiet``, ended; the rules are in
:mod:`monitor.liveness`), the GC guard's step and the session store's tick."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from monitor.core.pipeline import Output
from monitor.core.rejects import RejectReporter
from monitor.core.router import Router
from monitor.core.wire import Topics, encode_session
from monitor.gcguard import GcGuard
from monitor.liveness import Limits, Liveness, end_at
from monitor.mqtt.intake import Receiver
from monitor.mqtt.outbox import Outbox
from monitor.store.recorder import Recorder


class Housekeeping:
    """The wall-clock side of :class:`~monitor.mqtt.service.Monitor` (which sets the attributes and implements
    the three output methods below)."""

    topics: Topics
    router: Router
    rejects: RejectReporter
    limits: Limits
    gc_guard: GcGuard | None
    recorder: Recorder | None
    _live: Liveness
    _outbox: Outbox
    _receiver: Receiver
    _connected: asyncio.Event
    _connected_at: float
    _idle: asyncio.Event
    _stopping: asyncio.Event

    async def _emit(self, out: Output) -> None:
        raise NotImplementedError

    async def _notify(self, method: str, *args: Any) -> None:
        raise NotImplementedError

    def _publish_status(self, status: dict[str, Any]) -> None:
        raise NotImplementedError

    async def _housekeeping(self) -> None:
        tick = min(0.5, self.limits.quiet_s / 2)
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), tick)
            for payload in self.rejects.due():
                self._outbox.put(self.topics.rejected, payload, 0, False)
            await self._check_idle(time.monotonic())
            if self.gc_guard is not None:
                self.gc_guard.step(time.monotonic())
            if self.recorder is not None:
                self.recorder.tick()
            if self._stopping.is_set():
                return

    async def _check_idle(self, now: float) -> None:
        """Athletes whose messages stopped (wall clock; event time stands still without data). Judged only while
        the monitor is connected and has read and processed everything (otherwise their data may be waiting in
        the broker or the inbox), counting from the last (re)connection."""
        if not self._connected.is_set() or self._receiver.paused or not self._idle.is_set():
            return
        pipes = self.router.pipelines
        for action in self._live.due(now, since=self._connected_at, active=lambda k: k in pipes and pipes[k].active):
            key, pipe = action.key, pipes[action.key]
            last = pipe.last_status
            if action.kind == "end":
                if last is not None:
                    await self._end_idle(key, end_at(last["t"], pipe.session_start))
                continue
            if action.kind == "release":  # gone quiet: judge the seconds held back for streams that had not reported
                released = pipe.release()
                await self._emit(released)
                if self.recorder is not None:  # recovery repeats it at the same point
                    self.recorder.action(*key, "release", released)
                last = pipe.last_status
            if last is not None:
                signal, idle = self.limits.signal(action.idle), round(action.idle, 1)
                status = {**last, "session_state": "quiet", "signal": signal, "wall_idle_s": idle}
                self._publish_status(status)
                await self._notify("on_status", status)

    async def _end_idle(self, key: tuple[str, str], t: float) -> None:
        pipe = self.router.pipelines[key]
        end = pipe.stop(t)
        self.router.note(key)
        await self._emit(end)
        if self.recorder is not None:
            self.recorder.step(*key, "session", encode_session(t, "stop"), end)

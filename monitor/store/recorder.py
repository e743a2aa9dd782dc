"""Between a service and its session store: record what the pipelines did, take snapshots, restore on start.

A service (the MQTT :class:`~monitor.mqtt.service.Monitor`, or a shard worker) owns one :class:`Recorder` and
calls it at four points: :meth:`Recorder.recover` once before it reads messages, :meth:`Recorder.step` after each
message the router applied, :meth:`Recorder.tick` about once a second (periodic snapshots), and
:meth:`Recorder.finish` on shutdown. All of it only queues records; the store writes in the background.

Recovery restores each open session from its last snapshot and replays the inputs recorded after it through a
:class:`~monitor.core.router.Router` sharing the service's pipelines, so the restored state is exactly the state
the service had. What the replay produces that was already stored (statuses up to the newest stored one, alerts
whose ids are stored — the sent-ids table) is not sent again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from alerts.alert import Alert
from monitor.core.pipeline import AthletePipeline, Output
from monitor.core.router import Routed, Router
from monitor.store.base import Recovery, SessionStore, Step

log = logging.getLogger("crampwatch.store")

#: Wall-clock actions a service may take on a pipeline, recorded as steps with these leaves and replayed by
#: calling the pipeline method of the same name (without the underscore).
ACTIONS = frozenset({"_release"})


@dataclass(slots=True)
class Restored:
    """What :meth:`Recorder.recover` did: athletes restored, and the outputs to publish now (never sent)."""

    athletes: int = 0
    inputs: int = 0
    out: Output = field(default_factory=Output)


class Recorder:
    def __init__(
        self,
        store: SessionStore,
        router: Router,
        *,
        snapshot_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.clock = clock
        self.router = router
        self.snapshot_s = snapshot_s
        self._dirty: set[tuple[str, str]] = set()
        self._snapped: dict[tuple[str, str], float] = {}
        self._session: dict[tuple[str, str], float | None] = {}

    # ---- recovery ----------------------------------------------------------------------------------------
    async def recover(self) -> Restored:
        done = Restored()
        for rec in await self.store.recover():
            try:
                out = self._restore(rec)
            except Exception:  # a damaged record must not stop the service: the athlete starts afresh
                log.exception("cannot restore %s/%s from the session store", rec.squad, rec.athlete)
                self.router.pipelines.pop((rec.squad, rec.athlete), None)
                self.store.counters["restore_errors"] += 1
                continue
            done.athletes += 1
            done.inputs += len(rec.inputs)
            done.out.extend(out)
        if done.athletes:
            log.info("restored %d open sessions from %s (%d inputs replayed)",
                     done.athletes, self.store.description, done.inputs)  # fmt: skip
        return done

    def _restore(self, rec: Recovery) -> Output:
        key = (rec.squad, rec.athlete)
        config = self.router.config
        if rec.snapshot is not None:
            pipe = AthletePipeline.from_state(rec.snapshot, config)
        else:
            pipe = AthletePipeline(rec.squad, rec.athlete, self.router.profiles.get(*key), config)
        self.router.pipelines[key] = pipe
        r = self.router
        replay = Router(r.topics, r.profiles, config, max_athletes=r.max_athletes, max_payload=r.max_payload,
                        max_future_s=r.max_future_s)  # fmt: skip
        replay.pipelines = self.router.pipelines
        out = Output()
        for leaf, payload, wall in rec.inputs:
            if leaf in ACTIONS:
                out.extend(getattr(pipe, leaf[1:])())
            elif not leaf.startswith("_"):  # the "future time" bound the input met then
                topic = self.router.topics.of(rec.squad, rec.athlete, leaf)
                out.extend(replay.handle(topic, payload, now=wall).out)
        if pipe.last_status is None:
            pipe.last_status = rec.last_status
        self._session[key] = pipe.session_start
        self._snapped[key] = self.clock()
        if rec.inputs:
            self._dirty.add(key)
        last = rec.last_status_t
        fresh = Output(
            statuses=[s for s in out.statuses if last is None or s["t"] > last],
            alerts=[a for a in out.alerts if a.id not in rec.sent],
        )
        if fresh.statuses or fresh.alerts:  # produced by inputs whose outputs never reached the store
            self.store.record_step(
                Step(rec.squad, rec.athlete, None, None, pipe.session_start, tuple(fresh.statuses),
                     tuple(a.to_dict() for a in fresh.alerts))
            )  # fmt: skip
        return fresh

    # ---- recording ---------------------------------------------------------------------------------------
    def step(self, squad: str, athlete: str, leaf: str, payload: bytes, out: Output) -> None:
        """After the router applied a message of ``squad/athlete`` (``out`` is what it produced, all sent)."""
        pipe = self.router.pipelines.get((squad, athlete))
        if pipe is not None:
            self._step(pipe, leaf, payload, out, pipe.session_start)

    def step_of(self, routed: Routed, payload: bytes) -> None:
        """:meth:`step` of a routed message, recorded after later messages were applied (a batch): the session
        it belongs to is the one it left (``Routed.session_start``), not the pipeline's now."""
        if routed.applied is not None:
            squad, athlete, leaf = routed.applied
            pipe = self.router.pipelines.get((squad, athlete))
            if pipe is not None:
                self._step(pipe, leaf, payload, routed.out, routed.session_start)

    def _step(self, pipe: AthletePipeline, leaf: str, payload: bytes, out: Output, start: float | None) -> None:
        squad, athlete = key = (pipe.squad, pipe.athlete)
        self.store.record_step(
            Step(squad, athlete, leaf, bytes(payload), start, tuple(out.statuses), _dicts(out.alerts), time.time())
        )
        self._dirty.add(key)
        if start is not None and self._session.get(key) != start:
            self._snapshot(key, pipe)  # every session has a snapshot from its first input on
        self._session[key] = start

    def action(self, squad: str, athlete: str, name: str, out: Output) -> None:
        """After the service acted on a pipeline on its own (wall clock), e.g. ``"release"`` when the athlete went
        quiet: recorded so that recovery does the same at the same point."""
        if f"_{name}" not in ACTIONS:
            raise ValueError(f"unknown pipeline action {name!r}")
        self.step(squad, athlete, f"_{name}", b"", out)

    def tick(self, *, budget: int | None = None) -> int:
        """Snapshot athletes changed since their last snapshot ``snapshot_s`` ago; spread: at most ``budget``
        per call (default: enough to cover every athlete once per ``snapshot_s``). Returns how many."""
        now = self.clock()
        if budget is None:
            budget = max(8, len(self._dirty) // max(1, int(self.snapshot_s)) + 1)
        taken = 0
        for key in list(self._dirty):
            if taken >= budget:
                break
            if now - self._snapped.get(key, -1e18) < self.snapshot_s:
                continue
            pipe = self.router.pipelines.get(key)
            if pipe is not None:
                self._snapshot(key, pipe, now)
                taken += 1
        return taken

    def finish(self) -> None:
        """On shutdown: snapshot every athlete changed since its last snapshot."""
        for key in list(self._dirty):
            pipe = self.router.pipelines.get(key)
            if pipe is not None:
                self._snapshot(key, pipe)

    def _snapshot(self, key: tuple[str, str], pipe: AthletePipeline, now: float | None = None) -> None:
        self._dirty.discard(key)
        self._snapped[key] = self.clock() if now is None else now
        if pipe.session_start is not None:  # encoded now: the state shares lists with the live pipeline
            self.store.record_snapshot(key[0], key[1], pipe.session_start, json.dumps(pipe.state_dict()))


def _dicts(alerts: Iterable[Alert]) -> tuple[dict[str, Any], ...]:
    return tuple(a.to_dict() for a in alerts)

"""The one pipeline: per-athlete event-time state → processors → alert policy.

Pure (no I/O, no asyncio): the live monitor, replay and offline ``analyze`` all drive this same code, so they can
never disagree. Everything runs on event time: a 1 Hz grid second is written as soon as every stream has reported
past it (a frame reports all streams at its instant), or else when the watermark (newest event time seen minus the
allowed lateness) passes it — where the newest time is that of the slowest of hr/pace/cadence, so streams published
separately line up (see ``max_lag_s``); a tick every ``tick_s`` seconds of event time (counted from the session's
start second, so a squad whose watches started at different seconds does not tick all at once) computes
indicators, decides alerts and emits a status. Each stream's samples are taken in event-time order: one older
than its stream's newest is late (dropped and counted) unless it is older by more than the lateness (a
redelivered backlog), which is merged into the gaps it left. See docs/architecture.md, "Event time".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import orjson

from alerts.alert import Alert
from alerts.policy import AlertPolicy
from monitor.core.eventtime import HeldJump
from monitor.core.grid import StreamGrid, signal_of
from monitor.core.intake import SampleIntake
from monitor.core.output import SIGNAL_STREAMS, SLOW_STREAMS, STREAMS, Output, PipelineConfig
from monitor.core.status import EngineStatus, _clean, _num, round4
from monitor.core.ticks import TickBatch
from processors.engine import Engine
from processors.indicators import Indicators, Signal
from processors.profile import Profile, SessionPlan
from processors.window import Window
from simulators.frame import Frame

__all__ = [
    "SIGNAL_STREAMS", "SLOW_STREAMS", "STATUS_KEYS", "STREAMS", "AthletePipeline", "OfflineResult", "Output",
    "PipelineConfig", "run_offline",
]  # fmt: skip

#: Status keys required by the contract, in contract order.
STATUS_KEYS = (
    "t", "squad", "athlete", "elapsed_s", "distance_m", "hr", "pace", "cadence", "temp", "stride_m", "fatigue",
    "pace_over_training", "decoupling_pct", "trimp", "sweat_loss_pct", "monotony", "risk", "level", "factors",
    "signal",
)  # fmt: skip


#: Indicators published beside the contract's keys (the contract allows additions).
_EXTRA_KEYS = tuple(f.name for f in fields(Indicators) if f.name not in STATUS_KEYS)


def encode_status(status: dict[str, Any]) -> bytes:
    """A status as compact JSON (orjson: ~10x faster than ``json.dumps``; a status holds no NaN, see ``_status``),
    in a right-sized ``bytes``: orjson (3.12 on) returns its output in its growing write buffer, never shrunk (a
    1.7-KB status holds 16 KB of heap), and a status may wait in the outbox or in paho — 700 waiting statuses held
    11 MB and left the heap larger and fragmented (docs/performance.md, "RSS"). The copy costs ~0.1 µs.

    >>> encode_status({"t": 1.5, "level": "low", "factors": {"heat": 0.25}, "hr": None})
    b'{"t":1.5,"level":"low","factors":{"heat":0.25},"hr":null}'
    """
    return bytes(memoryview(orjson.dumps(status)))


#: Indicators fields in status order after t/squad/athlete (contract keys first, then the additions).
_STATUS_FIELDS = STATUS_KEYS[3:] + _EXTRA_KEYS


class AthletePipeline(SampleIntake):
    """One athlete: bounded event-time state, processors and alert policy.

    Sessions start with the first sample (or a ``start``) and end with ``stop`` or ``session_timeout_s`` of
    silence (detected when the next sample arrives; the live monitor also ends idle sessions on the wall clock).
    """

    def __init__(self, squad: str, athlete: str, profile: Profile, config: PipelineConfig | None = None) -> None:
        self.squad = squad
        self.athlete = athlete
        self.profile = profile
        self.config = config or PipelineConfig()
        self.session_start: float | None = None
        self.plan = SessionPlan()  # today's plan, from the session start message (empty without one)
        self.late_dropped = 0
        self.samples = 0
        self.last_status: dict[str, Any] | None = None
        self._max_span = 0.0  # widest time span of one message's samples of one stream (the gateway's habit)
        self._held_frames = False  # whether the held jump came as frames
        self._engine_status = EngineStatus(_STATUS_FIELDS)  # builds the statuses of the ticks
        self._batch: TickBatch | None = None  # while set, ticks are deferred to it (monitor.core.ticks)
        self._reset()

    # ---- session ---------------------------------------------------------------------------------------
    def _reset(self) -> None:
        self._grids: dict[str, StreamGrid] = {}  # allocated when a session begins, released when it ends
        self._max_t = -math.inf
        self._frame_t = -math.inf  # newest frame: every stream has reported up to it
        self._held = HeldJump()
        self._filled = -1  # last grid second written (valid once a session runs)
        self._engine: Engine | None = None
        self._policy: AlertPolicy | None = None

    def _begin(self, t: float, plan: SessionPlan | None = None) -> None:
        self._reset()
        cap = self.config.history_s
        self._grids = {name: StreamGrid(name, capacity=cap) for name in STREAMS}
        self.session_start = t
        self.plan = plan if plan is not None else SessionPlan()
        self._filled = math.floor(t) - 1
        self._engine = Engine(self.profile, self.plan)
        self._policy = AlertPolicy(squad=self.squad, athlete=self.athlete, session_start=t, profile=self.profile)

    def _end(self, out: Output) -> None:
        """End the session: its last second ticks and its final status says so. The ticks deferred to a batch
        run first, and this one at once: the final status is made from it."""
        self._settle()
        batch, self._batch = self._batch, None
        try:
            self._end_now(out)
        finally:
            self._batch = batch

    def _end_now(self, out: Output) -> None:
        if self.session_start is None:
            return
        out.future.extend(s for s, _, _ in self._held.samples)
        self._held = HeldJump()
        if math.isfinite(self._max_t):
            last = math.floor(self._max_t)
            self._advance(last, out)
            if last % self.config.tick_s != self._tick_phase():
                self._tick(last, out)
        if self.last_status is not None:  # the session's final status says so
            final = {**self.last_status, "session_state": "finished"}
            if out.statuses and out.statuses[-1] is self.last_status:
                out.statuses[-1] = final
            else:
                out.statuses.append(final)
            self.last_status = final
        self.session_start = None
        self.plan = SessionPlan()
        out.sessions_ended += 1
        self._reset()

    @property
    def active(self) -> bool:
        return self.session_start is not None

    def start(self, t: float, plan: SessionPlan | None = None) -> Output:
        """Start a session at ``t`` with today's ``plan`` (optional: ``plan``, ``target_pace``)."""
        self._settle()
        out = Output()
        if self.session_start is not None:
            if t <= self._filled:
                if plan is not None and plan != SessionPlan():  # a repeated start may still bring the plan
                    self.set_plan(plan)
                return out  # otherwise a repeated or stale start within the running session changes nothing
            self._end(out)
        self._begin(t, plan)
        return out

    def set_plan(self, plan: SessionPlan) -> None:
        self._settle()
        self.plan = plan
        if self._engine is not None:
            self._engine.plan = plan

    def stop(self, t: float) -> Output:
        self._settle()
        out = Output()
        if self.session_start is not None and t >= self.session_start:
            if self._held.samples and t >= self._held.lo - self.config.max_jump_s:
                self._apply_held(out)  # the gateway's own stop confirms where its stream jumped to
            self._end(out)
        return out

    def set_profile(self, profile: Profile) -> None:
        self._settle()
        self.profile = profile
        if self._engine is not None:
            self._engine.profile = profile
        if self._policy is not None:
            self._policy.profile = profile

    def ack(self, alert_id: str) -> bool:
        self._settle()
        return self._policy.ack(alert_id) if self._policy is not None else False

    # ---- ticks -----------------------------------------------------------------------------------------
    def window(self) -> Window:
        """The processors' view: the last ≤ history_s grid seconds, pace converted to speed (m/s).

        The processors integrate each grid second once into their own state (the 10-s bins keep the session's
        first 20 min and last hour) and read raw seconds only from the tail of the window (cleaning context and
        the 5-min temperature hold), so a 10-min window gives the same indicators as a 60-min one at a sixth of
        the memory and copying (tests/monitor/core/test_memory.py)."""
        assert self.session_start is not None
        n = self._filled - math.floor(self.session_start) + 1
        cap = self.config.history_s
        n = n if n < cap else cap  # min(cap, n) without the builtin's call (~1 k instructions)
        grids = self._grids
        pace = grids["pace"].view(n)  # read here only: no copy
        if np.count_nonzero(pace) == pace.shape[0]:  # no zero pace (NaN is not zero): 1000 / pace cannot warn
            speed = 1000.0 / pace
            speed[pace > 1200.0] = 0.0  # NaN compares False
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                speed = np.where(pace > 1200.0, 0.0, 1000.0 / pace)
        m = pace.shape[0]
        return Window(  # t, hr, speed, cadence, temp, session_start (positional: no keywords to match)
            np.arange(self._filled - m + 1, self._filled + 1, dtype=np.float64),
            grids["hr"].last(n),
            speed,
            grids["cadence"].last(n),
            grids["temp"].last(n),
            self.session_start,
        )

    def signal_at(self, s: float) -> Signal:
        """Signal state at grid second ``s`` (just written), from the samples up to ``s`` only."""
        return signal_of(self._grids, s, self.config.lost_s, self.config.stale_s)

    def _tick(self, s: int, out: Output) -> None:
        if self._batch is not None:  # computed with the batch's other ticks (monitor.core.ticks)
            self._batch.defer(self, s, out)
            return
        assert self._engine is not None
        started = time.perf_counter()
        window, signal = self.window(), self.signal_at(s)
        ind = self._engine.tick(window)
        self._publish(ind, self._decide(ind, signal), out)
        out.tick_seconds.append(time.perf_counter() - started)

    def _decide(self, ind: Indicators, signal: Signal) -> list[Alert]:
        """A tick's signal and alerts (the alert policy)."""
        assert self._policy is not None
        ind.signal = signal
        return self._policy.update(ind)

    def _publish(self, ind: Indicators, alerts: list[Alert], out: Output) -> None:
        """A tick's status and alerts into ``out``."""
        status = self._status(ind, from_engine=True)
        self.last_status = status
        out.statuses.append(status)
        out.alerts.extend(alerts)

    def _settle(self) -> None:
        """Run the ticks deferred to a batch before anything that depends on them (monitor.core.ticks)."""
        if self._batch is not None and self._batch.pending:
            self._batch.run()

    def _status(self, ind: Indicators, from_engine: bool = False) -> dict[str, Any]:
        """The status document: every float rounded to 4 decimals, NaN/inf as None, nested dicts and lists
        copied (the same as :func:`_clean` of the indicators, built in one pass without a deep copy).
        ``from_engine``: ``ind`` is as ``Engine.tick`` made it, so the values its processors already rounded are
        not rounded again (monitor.core.status, the same document)."""
        t = ind.t
        if not (from_engine and t.__class__ is float and t % 1.0 == 0.0):  # a grid second is its own round4
            t = _num(t)
        status: dict[str, Any] = {"t": t, "squad": self.squad, "athlete": self.athlete}
        if from_engine:
            self._engine_status.fill(status, ind)
            return self._status_tail(status, self._engine_status.round)
        for key in _STATUS_FIELDS:
            v = getattr(ind, key)
            cls = v.__class__
            if cls is float:
                status[key] = round4(v) if v - v == 0.0 else None  # v - v is NaN for NaN and ±inf
            elif v is None or cls is str or cls is bool or cls is int:
                status[key] = v
            elif cls is dict:  # values mostly plain floats (rounded inline, as _num does)
                status[key] = {
                    str(k): (round4(x) if x - x == 0.0 else None) if x.__class__ is float else _num(x)
                    for k, x in v.items()
                }
            elif cls is list:  # hr_zone_s: plain floats (rounded inline, as _clean does)
                status[key] = [(round4(x) if x - x == 0.0 else None) if x.__class__ is float else _clean(x) for x in v]
            else:
                status[key] = _clean(v)
        return self._status_tail(status, lambda _, x: _num(x))

    def _status_tail(self, status: dict[str, Any], num: Callable[[str, Any], Any]) -> dict[str, Any]:
        status["session_start"] = num("session_start", self.session_start)
        status["session_state"] = "live"
        status["plan"] = self.plan.plan
        status["target_pace"] = num("target_pace", self.plan.target_pace)
        status["name"] = self.profile.name
        return status

    # ---- save / restore --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable snapshot of the whole athlete (for session recording and crash recovery)."""
        self._settle()
        return {
            "squad": self.squad,
            "athlete": self.athlete,
            "profile": self.profile.to_dict(),
            "session_start": self.session_start,
            "plan": self.plan.to_dict(),
            "max_t": self._max_t if math.isfinite(self._max_t) else None,
            "max_span": self._max_span,
            "frame_t": self._frame_t if math.isfinite(self._frame_t) else None,
            "held": [list(x) for x in self._held.samples],
            "held_frames": self._held_frames,
            "filled": self._filled,
            "late_dropped": self.late_dropped,
            "samples": self.samples,
            "last_status": self.last_status,
            "grids": {name: g.state_dict() for name, g in self._grids.items()},
            "engine": self._engine.state_dict() if self._engine else None,
            "policy": self._policy.state_dict() if self._policy else None,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], config: PipelineConfig | None = None) -> AthletePipeline:
        profile = Profile(**state["profile"])
        pipe = cls(state["squad"], state["athlete"], profile, config)
        pipe.late_dropped = int(state["late_dropped"])
        pipe.samples = int(state["samples"])
        pipe.last_status = state.get("last_status")
        if state["session_start"] is not None:
            pipe._begin(float(state["session_start"]), SessionPlan.from_dict(state.get("plan")))
            pipe._filled = int(state["filled"])
            pipe._max_t = -math.inf if state["max_t"] is None else float(state["max_t"])
            pipe._max_span = float(state.get("max_span", 0.0))
            frame_t = state.get("frame_t")
            pipe._frame_t = -math.inf if frame_t is None else float(frame_t)
            pipe._held = HeldJump([(str(s), float(t), float(v)) for s, t, v in state.get("held", [])])
            pipe._held_frames = bool(state.get("held_frames", False))
            for name, g in state["grids"].items():
                pipe._grids[name].load_state(g)
            if state["engine"] is not None:
                pipe._engine = Engine.from_state(profile, state["engine"])
            if state["policy"] is not None:
                pipe._policy = AlertPolicy.from_state(state["policy"], profile=profile)
        return pipe


@dataclass(slots=True)
class OfflineResult:
    statuses: list[dict[str, Any]]
    alerts: list[Alert]
    late: int


def run_offline(
    frames: Iterable[Frame],
    *,
    squad: str,
    athlete: str,
    profile: Profile,
    config: PipelineConfig | None = None,
    plan: SessionPlan | None = None,
) -> OfflineResult:
    """Run a whole recorded or simulated run through the pipeline, no broker (``analyze``, ``evaluate``).
    ``plan``: today's plan, as a session ``start`` message would carry it (at the first frame's time)."""
    pipe = AthletePipeline(squad, athlete, profile, config)
    out = Output()
    frames = list(frames)
    if plan is not None and frames:
        out.extend(pipe.start(min(f.t for f in frames), plan))
    pipe.add_frames(frames, out)
    out.extend(pipe.flush())
    return OfflineResult(statuses=out.statuses, alerts=out.alerts, late=out.late)

"""The one pipeline: per-athlete event-time state → processors → alert policy.

Pure (no I/O, no asyncio): the live monitor, replay and offline ``analyze`` all drive this same code, so they can
never disagree. Everything runs on event time: a 1 Hz grid advances when the watermark (newest event time seen
minus the allowed lateness) passes a second — where the newest time is that of the slowest of hr/pace/cadence, so
streams published separately line up (see ``max_lag_s``); a tick every ``tick_s`` seconds of event time
(aligned to multiples of ``tick_s``) computes indicators, decides alerts and emits a status.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import orjson

from alerts.alert import Alert
from alerts.policy import AlertPolicy
from monitor.core.grid import StreamGrid
from processors.engine import Engine
from processors.indicators import Indicators, Signal
from processors.profile import Profile, SessionPlan
from processors.window import Window
from simulators.frame import Frame

STREAMS = ("hr", "pace", "cadence", "temp")
#: Streams whose silence makes the signal stale/lost (temperature is slow by nature and never does).
SIGNAL_STREAMS = ("hr", "pace", "cadence")
#: Streams whose late samples are held from the next grid second instead of dropped.
SLOW_STREAMS = ("temp",)
#: Status keys required by the contract, in contract order.
STATUS_KEYS = (
    "t", "squad", "athlete", "elapsed_s", "distance_m", "hr", "pace", "cadence", "temp", "stride_m", "fatigue",
    "pace_over_training", "decoupling_pct", "trimp", "sweat_loss_pct", "monotony", "risk", "level", "factors",
    "signal",
)  # fmt: skip


#: Indicators published beside the contract's keys (the contract allows additions).
_EXTRA_KEYS = tuple(f.name for f in fields(Indicators) if f.name not in STATUS_KEYS)


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Event-time behaviour. All durations in seconds of event time."""

    lateness_s: float = 10.0  # samples older than (newest − lateness) at the time their second was filled: dropped
    max_lag_s: float = 60.0  # a stream lagging the newest sample by more (or silent) no longer holds the grid back;
    # raised automatically to 1.5 x the span of the largest batch a stream sends, so per-stream batches line up
    tick_s: int = 5  # status/indicator cadence
    history_s: int = 600  # the raw 1 Hz window the processors see (see window()); the 10-s bins keep the hour
    session_timeout_s: float = 600.0  # silence that ends a session
    stale_s: float = 10.0  # minimum silence before a stream is stale (or 3 sampling intervals if longer)
    lost_s: float = 60.0  # minimum silence before a stream is lost (or 10 sampling intervals if longer)

    def __post_init__(self) -> None:
        if self.lateness_s < 0 or self.tick_s < 1 or self.history_s < 60 or self.session_timeout_s <= 0:
            raise ValueError("bad pipeline config")


@dataclass(slots=True)
class Output:
    """What one call produced, in event-time order."""

    statuses: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    late: int = 0
    sessions_ended: int = 0
    tick_seconds: list[float] = field(default_factory=list)  # wall time of each tick (metrics)

    def extend(self, other: Output) -> None:
        self.statuses.extend(other.statuses)
        self.alerts.extend(other.alerts)
        self.tick_seconds.extend(other.tick_seconds)
        self.late += other.late
        self.sessions_ended += other.sessions_ended


def _clean(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if not math.isfinite(f) else round(f, 4)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _num(value: Any) -> Any:
    """:func:`_clean` with a fast path for plain floats."""
    if value.__class__ is float:
        return round(value, 4) if value - value == 0.0 else None
    return value if value is None else _clean(value)


def encode_status(status: dict[str, Any]) -> bytes:
    """A status as compact JSON (orjson: ~10x faster than ``json.dumps``; a status holds no NaN, see ``_status``).

    >>> encode_status({"t": 1.5, "level": "low", "factors": {"heat": 0.25}, "hr": None})
    b'{"t":1.5,"level":"low","factors":{"heat":0.25},"hr":null}'
    """
    return orjson.dumps(status)


#: Indicators fields in status order after t/squad/athlete (contract keys first, then the additions).
_STATUS_FIELDS = STATUS_KEYS[3:] + _EXTRA_KEYS


class AthletePipeline:
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
        self._reset()

    # ---- session ---------------------------------------------------------------------------------------
    def _reset(self) -> None:
        cap = self.config.history_s
        self._grids = {name: StreamGrid(name, capacity=cap) for name in STREAMS}
        self._max_t = -math.inf
        self._filled = -1  # last grid second written (valid once a session runs)
        self._engine: Engine | None = None
        self._policy: AlertPolicy | None = None

    def _begin(self, t: float, plan: SessionPlan | None = None) -> None:
        self._reset()
        self.session_start = t
        self.plan = plan if plan is not None else SessionPlan()
        self._filled = math.floor(t) - 1
        self._engine = Engine(self.profile, self.plan)
        self._policy = AlertPolicy(squad=self.squad, athlete=self.athlete, session_start=t, profile=self.profile)

    def _end(self, out: Output) -> None:
        if self.session_start is None:
            return
        if math.isfinite(self._max_t):
            last = math.floor(self._max_t)
            self._advance(last, out)
            if last % self.config.tick_s != 0:
                self._tick(last, out)
        self.session_start = None
        self.plan = SessionPlan()
        out.sessions_ended += 1
        self._reset()

    @property
    def active(self) -> bool:
        return self.session_start is not None

    def start(self, t: float, plan: SessionPlan | None = None) -> Output:
        """Start a session at ``t`` with today's ``plan`` (optional: ``plan``, ``target_pace``)."""
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
        self.plan = plan
        if self._engine is not None:
            self._engine.plan = plan

    def stop(self, t: float) -> Output:
        out = Output()
        if self.session_start is not None and t >= self.session_start:
            self._end(out)
        return out

    def set_profile(self, profile: Profile) -> None:
        self.profile = profile
        if self._engine is not None:
            self._engine.profile = profile
        if self._policy is not None:
            self._policy.profile = profile

    def ack(self, alert_id: str) -> bool:
        return self._policy.ack(alert_id) if self._policy is not None else False

    # ---- samples ---------------------------------------------------------------------------------------
    def add(self, stream: str, t: float, value: float) -> Output:
        """Add one validated sample (contract units) and run every tick its watermark releases."""
        out = Output()
        self._add(stream, t, value, out)
        return out

    def add_many(self, samples: Iterable[tuple[str, float, float]]) -> Output:
        """Add the samples of one message. A batch's time span widens how far streams may lag each other."""
        out = Output()
        items = list(samples)
        if len(items) > 1:
            spans: dict[str, tuple[float, float]] = {}
            for stream, t, _ in items:
                lo, hi = spans.get(stream, (t, t))
                spans[stream] = (min(lo, t), max(hi, t))
            self._max_span = max(self._max_span, *(hi - lo for lo, hi in spans.values()))
        for stream, t, value in items:
            self._add(stream, t, value, out)
        return out

    def watermark(self) -> float:
        """Event time up to which the grid may be filled, before the lateness is taken off.

        The slowest of hr/pace/cadence that reported within the allowed lag holds the grid back, so streams
        published separately line up; during the first lag seconds of a session every stream may still appear,
        so the grid waits the whole lag. Temperature, slow by nature, never holds it back (see ``_add``).
        """
        lag = max(self.config.max_lag_s, 1.5 * self._max_span + 5.0)
        floor_t = self._max_t - lag
        assert self.session_start is not None
        if self._max_t < self.session_start + lag and self._max_span > 0:
            return floor_t
        lead = self._max_t
        for name in SIGNAL_STREAMS:
            grid = self._grids[name]
            if grid.n_samples and floor_t <= grid.last_t < lead:
                lead = grid.last_t
        return lead

    def _add(self, stream: str, t: float, value: float, out: Output) -> None:
        timed_out = math.isfinite(self._max_t) and t > self._max_t + self.config.session_timeout_s
        if self.session_start is not None and timed_out:
            self._end(out)
        if self.session_start is None:
            self._begin(t)
        if t <= self._filled:
            if stream in SLOW_STREAMS and self._grids[stream].hold_late(t, value):
                return  # a slow stream's late sample applies from the next grid second, with its own time
            self.late_dropped += 1
            out.late += 1
            return
        self.samples += 1
        self._grids[stream].add(t, value)
        if t > self._max_t:
            self._max_t = t
        target = math.floor(self.watermark() - self.config.lateness_s)
        if target > self._filled:
            self._advance(target, out)

    def flush(self) -> Output:
        """End of input (offline): release everything held back for lateness, without ending the session."""
        out = Output()
        if self.session_start is not None and math.isfinite(self._max_t):
            self._advance(math.floor(self._max_t), out)
        return out

    def _advance(self, target: int, out: Output) -> None:
        tick = self.config.tick_s
        for s in range(self._filled + 1, target + 1):
            for grid in self._grids.values():
                grid.fill(s)
            self._filled = s
            if s % tick == 0:
                self._tick(s, out)

    # ---- ticks -----------------------------------------------------------------------------------------
    def window(self) -> Window:
        """The processors' view: the last ≤ history_s grid seconds, pace converted to speed (m/s).

        The processors integrate each grid second once into their own state (the 10-s bins keep the session's
        first 20 min and last hour) and read raw seconds only from the tail of the window (cleaning context and
        the 5-min temperature hold), so a 10-min window gives the same indicators as a 60-min one at a sixth of
        the memory and copying (tests/monitor/core/test_memory.py)."""
        assert self.session_start is not None
        n = min(self.config.history_s, self._filled - math.floor(self.session_start) + 1)
        pace = self._grids["pace"].last(n)
        with np.errstate(divide="ignore", invalid="ignore"):
            speed = np.where(pace > 1200.0, 0.0, 1000.0 / pace)
        m = pace.shape[0]
        return Window(
            t=np.arange(self._filled - m + 1, self._filled + 1, dtype=np.float64),
            hr=self._grids["hr"].last(n),
            speed=speed,
            cadence=self._grids["cadence"].last(n),
            temp=self._grids["temp"].last(n),
            session_start=self.session_start,
        )

    def signal_at(self, s: float) -> Signal:
        worst: Signal = "ok"
        grids = [g for name, g in self._grids.items() if name in SIGNAL_STREAMS and g.n_samples]
        for grid in grids or [g for g in self._grids.values() if g.n_samples]:
            interval = 1.0 if math.isnan(grid.interval) else grid.interval
            age = s - grid.last_t
            if age > max(self.config.lost_s, 10 * interval):
                return "lost"
            if age > max(self.config.stale_s, 3 * interval):
                worst = "stale"
        return worst

    def _tick(self, s: int, out: Output) -> None:
        assert self._engine is not None and self._policy is not None
        started = time.perf_counter()
        ind = self._engine.tick(self.window())
        ind.signal = self.signal_at(s)
        alerts = self._policy.update(ind)
        status = self._status(ind)
        self.last_status = status
        out.statuses.append(status)
        out.alerts.extend(alerts)
        out.tick_seconds.append(time.perf_counter() - started)

    def _status(self, ind: Indicators) -> dict[str, Any]:
        """The status document: every float rounded to 4 decimals, NaN/inf as None, nested dicts and lists
        copied (the same as :func:`_clean` of the indicators, built in one pass without a deep copy)."""
        status: dict[str, Any] = {"t": _num(ind.t), "squad": self.squad, "athlete": self.athlete}
        for key in _STATUS_FIELDS:
            v = getattr(ind, key)
            cls = v.__class__
            if cls is float:
                status[key] = round(v, 4) if v - v == 0.0 else None  # v - v is NaN for NaN and ±inf
            elif v is None or cls is str or cls is bool or cls is int:
                status[key] = v
            elif cls is dict:
                status[key] = {str(k): _num(x) for k, x in v.items()}
            else:
                status[key] = _clean(v)
        status["session_start"] = _num(self.session_start)
        status["plan"] = self.plan.plan
        status["target_pace"] = _num(self.plan.target_pace)
        status["name"] = self.profile.name
        return status

    # ---- save / restore --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable snapshot of the whole athlete (for session recording and crash recovery)."""
        return {
            "squad": self.squad,
            "athlete": self.athlete,
            "profile": self.profile.to_dict(),
            "session_start": self.session_start,
            "plan": self.plan.to_dict(),
            "max_t": self._max_t if math.isfinite(self._max_t) else None,
            "max_span": self._max_span,
            "filled": self._filled,
            "late_dropped": self.late_dropped,
            "samples": self.samples,
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
        if state["session_start"] is not None:
            pipe._begin(float(state["session_start"]), SessionPlan.from_dict(state.get("plan")))
            pipe._filled = int(state["filled"])
            pipe._max_t = -math.inf if state["max_t"] is None else float(state["max_t"])
            pipe._max_span = float(state.get("max_span", 0.0))
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
    for frame in frames:
        out.extend(pipe.add_many((name, frame.t, v) for name, v in frame.streams().items()))
    out.extend(pipe.flush())
    return OfflineResult(statuses=out.statuses, alerts=out.alerts, late=out.late)

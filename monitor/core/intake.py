"""How samples reach an athlete's 1 Hz grid: per-stream event-time order, frames completing their second at once,
lateness for streams that have not reported, held jumps, merged backlogs, quiet release (see docs/architecture.md,
"Event time"). A mixin of :class:`monitor.core.pipeline.AthletePipeline`, which provides the session and tick
methods declared here."""

from __future__ import annotations

import math
from collections.abc import Iterable
from operator import itemgetter

from monitor.core.eventtime import HeldJump, Sample, complete_until, split_ahead
from monitor.core.grid import StreamGrid
from monitor.core.output import SIGNAL_STREAMS, SLOW_STREAMS, STREAMS, Output, PipelineConfig
from simulators.frame import Frame

_NO_VALUES = (None, None, None, None)
_time_of = itemgetter(1)


class SampleIntake:
    config: PipelineConfig
    session_start: float | None
    samples: int
    late_dropped: int
    _grids: dict[str, StreamGrid]
    _max_t: float
    _max_span: float
    _frame_t: float
    _filled: int
    _held: HeldJump
    _held_frames: bool

    def _begin(self, t: float) -> None:
        raise NotImplementedError

    def _end(self, out: Output) -> None:
        raise NotImplementedError

    def _tick(self, s: int, out: Output) -> None:
        raise NotImplementedError

    def _settle(self) -> None:
        """Run the ticks deferred to a batch (monitor.core.ticks); nothing to do without one."""

    # ---- samples ---------------------------------------------------------------------------------------
    def add(self, stream: str, t: float, value: float) -> Output:
        """Add one validated sample (contract units) and run every tick its watermark releases."""
        return self.add_many([(stream, t, value)])

    def add_many(self, samples: Iterable[Sample], *, frames: bool = False) -> Output:
        """Add the samples of one message. A batch's time span widens how far streams may lag each other.

        ``frames``: the samples come from frames, each a snapshot of all the gateway's streams at its instant,
        so a frame completes its grid second at once. Samples jumping more than ``max_jump_s`` ahead of the
        athlete's newest time wait for a later message to confirm the jump (see :class:`HeldJump`).
        """
        out = Output()
        items = samples if type(samples) is list else list(samples)
        ahead: list[Sample] = []
        held = self._held
        if self.session_start is None:
            near = items
        elif len(items) == 1 and not held.samples and items[0][1] <= self._max_t + self.config.max_jump_s:
            near = items  # one sample that continues the stream (split_ahead's answer, without the lists)
        else:
            newest = self._max_t if math.isfinite(self._max_t) else self.session_start
            if items and max(map(_time_of, items)) <= newest + self.config.max_jump_s:
                near = items  # nothing jumps ahead (split_ahead's answer, without its loop in Python)
            else:
                near, ahead = split_ahead(items, newest, self.config.max_jump_s)
        if held.samples and self._confirms(held, near, ahead):
            self._held = HeldJump()
            self._put(held.samples, self._held_frames, out)
            self._put(near, frames, out)
            near, ahead = split_ahead(ahead, self._max_t, self.config.max_jump_s)  # beyond it: a jump of its own
        elif held.samples and (ahead or held.contradicted_by(near)):
            out.future.extend(s for s, _, _ in held.samples)
            self._held = HeldJump()
        self._take(near, frames, out)
        if ahead:
            self._held = HeldJump(ahead)
            self._held_frames = frames
        return out

    def add_frames(self, frames: Iterable[Frame], out: Output) -> None:
        """Add frames, each its own message, into ``out``: the same as ``out.extend(self.add_many(samples,
        frames=True))`` with each frame's samples (``run_offline``: a file's frames), in fewer Python calls.

        Why: a file's frames mostly come in order, a second apart, and such a frame needs no judging (~3x fewer
        calls per sample). When the session runs, no jump is held and the frame's time is after the athlete's
        newest (so after every stream's newest: no grid's ``last_t`` passes ``_max_t``) and after the last written
        second, by at most ``max_jump_s`` and ``session_timeout_s``: every sample is its stream's newest (none
        late, none ahead, no time-out, a span of 0) and :meth:`_catch_up`'s target is the frame's time — the
        frame completes its second (``complete_until``) and the watermark less the lateness never passes the
        newest time. So the samples go straight to their grids and the grid is written up to the frame's
        second. Every other frame (the first, an empty one, out of order, a jump, a time-out; all of them under a
        NaN lateness, which never catches up) takes :meth:`add_many` (tests/monitor/core/test_add_frames.py
        compares both, statuses and state, on such runs).
        """
        config = self.config
        reach = min(config.max_jump_s, config.session_timeout_s) if config.lateness_s >= 0.0 else -math.inf
        for frame in frames:
            t = frame.t
            newest = self._max_t
            if (
                newest < t <= newest + reach
                and t > self._filled
                and self.session_start is not None
                and not self._held.samples
            ):
                values = (frame.hr, frame.pace, frame.cadence, frame.temp)  # STREAMS' order
                if values != _NO_VALUES:  # (an empty frame takes the general path)
                    self.samples += 4 - values.count(None)
                    self._max_t = self._frame_t = t
                    self._frame_into_grid(t, values, out)
                    continue
            out.extend(self.add_many([(name, t, v) for name, v in frame.streams().items()], frames=True))

    def _frame_into_grid(self, t: float, values: tuple[float | None, ...], out: Output) -> None:
        """:meth:`add_frames`' grid work for a frame that needs no judging: its samples (``values`` in
        ``STREAMS``' order) to their grids, the grid written up to the frame's second. When that is the one next
        second (a frame a second), each sample is written to it in the same call that adds it
        (:meth:`StreamGrid.fill_with`) and the tick follows as :meth:`_advance` would run it."""
        s = math.floor(t)
        grids = self._grids
        if s == self._filled + 1:
            at = float(s)  # the same second: float comparisons in the grid are cheaper than mixed ones
            for name, v in zip(STREAMS, values, strict=True):
                if v is None:
                    grids[name].fill(at)
                else:
                    grids[name].fill_with(at, t, v)
            self._filled = s
            if s % self.config.tick_s == self._tick_phase():
                self._tick(s, out)
            return
        for name, v in zip(STREAMS, values, strict=True):
            if v is not None:
                grids[name].add(t, v)
        if s > self._filled:
            self._advance(s, out)

    def _confirms(self, held: HeldJump, near: list[Sample], ahead: list[Sample]) -> bool:
        """Does this message confirm the held jump? Yes when its own jump lands with the held samples or after
        them (within a session time-out: a sparse or resumed gateway), or when the athlete's other streams have
        caught up with them (per-stream batches: one stream's batch ran ahead of the others); no when a held
        stream went on near the old time instead."""
        jump = self.config.max_jump_s
        if held.confirmed_by(ahead, jump, max(jump, self.config.session_timeout_s)):
            return True
        if held.contradicted_by(near):
            return False
        newest = max(self._max_t, max((t for _, t, _ in near), default=-math.inf))
        return newest >= held.lo - jump

    def _apply_held(self, out: Output) -> None:
        held, self._held = self._held, HeldJump()
        self._take(held.samples, self._held_frames, out)

    def _take(self, items: list[Sample], frames: bool, out: Output) -> None:
        self._put(items, frames, out)
        if self.session_start is not None:
            self._catch_up(out)

    def _put(self, items: list[Sample], frames: bool, out: Output) -> None:
        """Add samples without judging grid seconds (one :meth:`_catch_up` per message follows). A sample that
        continues its stream in a running session (no time-out, not late) is added here; any other goes through
        :meth:`_add`, which decides the same for these (the loop of a 60-frame message, 240 samples, in half the
        calls)."""
        if len(items) > 1:
            lo: dict[str, float] = {}  # per stream, the message's earliest and latest time
            hi: dict[str, float] = {}
            for stream, t, _ in items:
                low = lo.get(stream)
                if low is None:
                    lo[stream] = hi[stream] = t
                elif t < low:
                    lo[stream] = t
                elif t > hi[stream]:
                    hi[stream] = t
            self._max_span = max(self._max_span, *(hi[name] - low for name, low in lo.items()))
        timeout = self.config.session_timeout_s
        grids = self._grids
        for stream, t, value in items:
            grid = grids.get(stream)
            if grid is not None and self._filled < t <= self._max_t + timeout and t >= grid.last_t:
                self.samples += 1  # (grids exist only while a session runs)
                grid.add(t, value)
                if t > self._max_t:
                    self._max_t = t
                if frames and t > self._frame_t:
                    self._frame_t = t
            else:
                self._add(stream, t, value, out, frames)
                grids = self._grids  # a session may have ended or begun

    def _catch_up(self, out: Output) -> None:
        """Write the grid seconds that are complete (every stream reported past them) or whose lateness ran
        out. Called once per message: the samples of one message never make each other late."""
        target = max(self.watermark() - self.config.lateness_s, complete_until(self._grids, self._frame_t))
        if target >= self._filled + 1:
            self._advance(math.floor(target), out)

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

    def _add(self, stream: str, t: float, value: float, out: Output, frame: bool = False) -> None:
        timed_out = math.isfinite(self._max_t) and t > self._max_t + self.config.session_timeout_s
        if self.session_start is not None and timed_out:
            self._end(out)
        if self.session_start is None:
            self._begin(t)
        grid = self._grids[stream]
        if t <= self._filled or t < grid.last_t:
            self._late(grid, t, value, out)
            return
        self.samples += 1
        grid.add(t, value)
        if t > self._max_t:
            self._max_t = t
        if frame and t > self._frame_t:
            self._frame_t = t

    def _late(self, grid: StreamGrid, t: float, value: float, out: Output) -> None:
        """A sample older than its stream's newest, or whose grid second is written."""
        assert self.session_start is not None
        if t >= grid.last_t and grid.name in SLOW_STREAMS and grid.hold_late(t, value):
            return  # a slow stream's late sample applies from the next grid second, with its own time
        backlog = t < grid.last_t - self.config.lateness_s and t >= self.session_start
        if backlog and t > self._filled:
            grid.add(t, value)  # a backlog whose seconds are not written yet: in its place
            self.samples += 1
            out.merged += 1
            return
        if backlog and grid.patch(t, value, self._filled):
            self.samples += 1
            out.merged += 1
            return
        self.late_dropped += 1
        out.late += 1

    def flush(self) -> Output:
        """End of input (offline): release everything held back, without ending the session (a jump held for
        confirmation is taken: a file's times are its own)."""
        out = Output()
        if self._held.samples:
            self._apply_held(out)
        if self.session_start is not None and math.isfinite(self._max_t):
            self._advance(math.floor(self._max_t), out)
        self._settle()  # its outputs complete when it returns, batch or not
        return out

    def release(self) -> Output:
        """The gateway went quiet (wall clock): judge the seconds held back for streams that have not reported,
        up to the newest event time seen. Only what would be judged anyway once data resumes (samples of a
        stream come in event-time order); a jump held for confirmation stays held."""
        out = Output()
        if self.session_start is not None and math.isfinite(self._max_t):
            self._advance(math.floor(self._max_t), out)
        self._settle()  # its outputs complete when it returns, batch or not
        return out

    def _tick_phase(self) -> int:
        """Ticks fall on the grid seconds ``s`` with ``s % tick_s`` equal to this: every ``tick_s`` seconds from
        the session's start second."""
        assert self.session_start is not None
        return math.floor(self.session_start) % self.config.tick_s

    def _advance(self, target: int, out: Output) -> None:
        tick = self.config.tick_s
        phase = self._tick_phase()
        for s in range(self._filled + 1, target + 1):
            at = float(s)  # the same second (s < 2**53): the grid compares it with floats, cheaper than an int
            for grid in self._grids.values():
                grid.fill(at)
            self._filled = s
            if s % tick == phase:
                self._tick(s, out)

"""Ticks of many athletes run together: what a receive batch of messages makes due is computed after the batch,
processor by processor over the athletes (:meth:`processors.engine.Engine.tick_many`), instead of athlete by
athlete as each message arrives.

Nothing an athlete sees changes: each deferred tick takes its window and signal at the grid second that made it
due (the same arrays and verdict it would have had at once), its engine, alert policy and status run in the
athlete's own order, and every output lands in the :class:`~monitor.core.output.Output` of the message that
made it due. Only the order of independent work changes, which keeps the CPU's caches and branch predictors
warm: ~25-30 % less time per tick at 10-40 athletes a round (docs/performance.md).
Pure (no I/O, no asyncio), like the rest of ``monitor.core``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alerts.alert import Alert
from processors.engine import Engine
from processors.indicators import Indicators, Signal
from processors.window import Window

if TYPE_CHECKING:
    from monitor.core.output import Output
    from monitor.core.pipeline import AthletePipeline


@dataclass(slots=True)
class DeferredTick:
    """One tick made due by a message: what it reads from the grid, taken then, and where its outputs go."""

    pipe: AthletePipeline
    window: Window
    signal: Signal
    out: Output
    took: float  # seconds spent taking the window and the signal


class TickBatch:
    """The ticks deferred while a batch of messages is applied; :meth:`run` computes them.

    Pipelines defer to a batch while they are attached (:meth:`attach`, done by
    :meth:`monitor.core.router.Router.batch`); a pipeline about to do anything whose outcome depends on its
    earlier ticks (end a session, take a profile, an acknowledgement) runs the batch first. ``errors`` keeps
    the exceptions of ticks that failed (a bug): each failed tick is lost alone, as it would be without a
    batch, and the caller logs and counts them.
    """

    __slots__ = ("_attached", "errors", "pending", "rounds", "ticks")

    def __init__(self) -> None:
        self.pending: list[DeferredTick] = []
        self._attached: list[AthletePipeline] = []
        self.errors: list[BaseException] = []
        self.ticks = 0  # ticks run, over the batch's life
        self.rounds = 0  # rounds they ran in (ticks / rounds: athletes per round)

    def attach(self, pipe: AthletePipeline) -> None:
        """Let ``pipe`` defer its ticks here (until :meth:`detach_all`)."""
        if pipe._batch is not self:
            if pipe._batch is not None:
                pipe._batch.run()
            pipe._batch = self
            self._attached.append(pipe)

    def detach_all(self) -> None:
        """Run what is pending and let every attached pipeline tick at once again."""
        self.run()
        for pipe in self._attached:
            pipe._batch = None
        self._attached.clear()

    def defer(self, pipe: AthletePipeline, s: int, out: Output) -> None:
        """``pipe``'s tick at grid second ``s`` (just written), computed at the next :meth:`run`."""
        started = time.perf_counter()
        window, signal = pipe.window(), pipe.signal_at(s)
        self.pending.append(DeferredTick(pipe, window, signal, out, time.perf_counter() - started))

    def run(self) -> None:
        """Compute every pending tick: in rounds holding each athlete at most once, so an athlete's ticks stay
        in order; in each round the engines processor by processor, then each athlete's policy and status."""
        pending = self.pending
        while pending:
            self.pending = []
            rnd: list[DeferredTick] = []
            later: list[DeferredTick] = []
            seen: set[int] = set()
            for req in pending:
                key = id(req.pipe)
                if key in seen:
                    later.append(req)
                else:
                    seen.add(key)
                    rnd.append(req)
            self._round(rnd)
            pending = later

    def _round(self, rnd: list[DeferredTick]) -> None:
        """One round: the engines processor by processor, then every athlete's alert policy, then every status
        (each stage's code runs for all athletes in a row); a tick's time is its own window and signal plus an
        equal share of the round."""
        started = time.perf_counter()
        inds = Engine.tick_many([r.pipe._engine for r in rnd], [r.window for r in rnd])  # type: ignore[misc]
        decided: list[tuple[DeferredTick, Indicators, list[Alert]]] = []
        for req, ind in zip(rnd, inds, strict=True):
            if isinstance(ind, Exception):  # a bug in this athlete's tick: this tick is lost, as without a batch
                self.errors.append(ind)
                continue
            try:
                decided.append((req, ind, req.pipe._decide(ind, req.signal)))
            except Exception as exc:
                self.errors.append(exc)
        done: list[DeferredTick] = []
        for req, ind, alerts in decided:
            try:
                req.pipe._publish(ind, alerts, req.out)
            except Exception as exc:
                self.errors.append(exc)
            else:
                done.append(req)
        share = (time.perf_counter() - started) / len(rnd)
        for req in done:
            req.out.tick_seconds.append(req.took + share)
        self.ticks += len(rnd)
        self.rounds += 1

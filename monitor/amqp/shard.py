"""One shard queue as a worker consumes it, and its checkpoint (save the changed athletes, then acknowledge)."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import aiormq
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from monitor.amqp.flush import Flush
from monitor.amqp.state import Key, ShardStore
from monitor.core.pipeline import AthletePipeline, PipelineConfig
from monitor.core.router import Routed, Router
from monitor.liveness import Limits, Liveness
from monitor.store.base import SessionStore

log = logging.getLogger("crampwatch.amqp")

CHECKPOINT = "checkpoint"  # inbox command: save and acknowledge what the shard has handled so far
RELEASE = "release"  # inbox command: checkpoint, then hand the shard to the next waiting worker
HISTORY_WAIT_S = 5.0  # at a checkpoint, the longest wait for the session history's queued writes
AMQP_ERRORS = (aiormq.exceptions.AMQPError, ConnectionError, OSError, TimeoutError)


@dataclass(slots=True, eq=False)
class Shard:
    """One shard queue as this worker consumes it (on its own channel, so acknowledgements are per shard)."""

    index: int
    router: Router
    channel: AbstractChannel
    queue: AbstractQueue
    tag: str = ""
    active: bool = False  # a message arrived: RabbitMQ made us the single active consumer
    activated_at: float = 0.0
    dirty: set[Key] = field(default_factory=set)
    last: AbstractIncomingMessage | None = None  # newest delivery not yet acknowledged
    unacked: int = 0  # inputs in the unacknowledged deliveries
    deliveries: int = 0  # unacknowledged deliveries
    sent: set[str] = field(default_factory=set)
    since: float = field(default_factory=time.monotonic)
    live: Liveness = field(default_factory=lambda: Liveness(Limits()))
    flush: Flush = field(default_factory=lambda: Flush(""))  # flush markers: when silence may be judged

    async def activate(self, store: ShardStore | None, config: PipelineConfig | None) -> int:
        """We became the shard's active consumer: restore its open sessions, the profiles of its athletes between
        sessions (:func:`~monitor.amqp.state.restores`) and the alerts already sent (returns how many sessions)."""
        restored = 0
        if store is not None:
            for key, state in (await store.load(self.index)).items():
                pipe = AthletePipeline.from_state(state, config)
                self.router.pipelines[key] = pipe
                self.router.profiles.set_retained(key[0], key[1], pipe.profile)
                restored += pipe.active
            self.sent = await store.sent(self.index)
        self.active = True
        self.activated_at = time.monotonic()
        self.live.restored(self.router.pipelines, self.activated_at)
        return restored

    def route(self, items: list[tuple[str, bytes]]) -> tuple[list[Routed], int]:
        """Apply a delivery's inputs ``(topic, body)`` in order, their ticks run together at the end
        (monitor.core.ticks); a tick that raised (a bug) is logged and lost alone. Returns what each input
        produced and how many ticks failed."""
        with self.router.batch() as ticks:
            routed = [self.router.handle(topic, body) for topic, body in items]
        for exc in ticks.errors:
            log.error("shard %d: error in a tick", self.index, exc_info=exc)
        return routed, len(ticks.errors)

    def touched(self, key: Key) -> None:
        """Athlete ``key`` changed: its state is saved at the next checkpoint."""
        if key in self.router.pipelines:
            self.dirty.add(key)

    def handled(self, message: AbstractIncomingMessage, inputs: int) -> None:
        """``message`` (a batch of ``inputs`` inputs) was applied; it waits for the next checkpoint."""
        self.last = message
        self.unacked += inputs
        self.deliveries += 1

    async def checkpoint(self, store: ShardStore | None, history: SessionStore | None = None) -> bool:
        """Save the athletes the unacknowledged messages changed, then acknowledge those messages (one
        multiple-ack). Returns whether there was anything to acknowledge.

        With a session ``history`` (:mod:`monitor.amqp.history`), what those messages produced is written first
        (at most ``HISTORY_WAIT_S``): a worker lost after the acknowledgement leaves nothing unwritten that a
        redelivery would not recompute. A history slower than that is not waited for (the tick path never waits
        on it for long; it writes what it has queued later, unless this worker dies first)."""
        self.since = time.monotonic()
        if self.last is None:
            return False
        last = self.last
        states = {key: self.router.pipelines[key].state_dict() for key in self.dirty if key in self.router.pipelines}
        if store is not None:  # a save that raises (database gone) acknowledges nothing: the next checkpoint retries
            await store.save(self.index, states)
        self.last, self.dirty, self.unacked, self.deliveries = None, set(), 0, 0
        if history is not None and not await history.flush(HISTORY_WAIT_S):
            history.counters["checkpoint_unwritten"] += 1
            log.warning("shard %d: session history %s behind; acknowledging anyway", self.index, history.description)
        await last.ack(multiple=True)
        return True


def share(shards: int, workers: int, *, relay: bool) -> int:
    """How many shards a worker keeps. The active relay handles every input once more, so it counts as half a
    worker: the others keep up to ``ceil(shards / (workers - 0.5))`` each, the relay the rest (the caps add up to
    exactly ``shards``, so hand-overs settle).

    >>> [share(12, 3, relay=r) for r in (False, True)], share(12, 1, relay=True), share(6, 2, relay=True)
    ([5, 2], 12, 2)
    """
    if workers <= 1:
        return shards
    others = math.ceil(shards / (workers - 0.5))
    return max(0, shards - (workers - 1) * others) if relay else others


Item = tuple[Shard, "AbstractIncomingMessage | str"]

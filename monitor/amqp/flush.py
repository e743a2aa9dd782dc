"""Flush markers: when a shard worker may judge its athletes' silence (wall-clock liveness, :mod:`.liveness`).

A runner is silent when *the broker* has had nothing of it for a while, not when the worker has not handled
anything of it lately: right after a take-over, or while a queue holds a backlog, its data may still be waiting
in the ingress queue, in the shard queue or in the worker's prefetch. So before judging a shard, the worker
publishes a *marker* into the ingress queue (``x-crampwatch-shard``: the shard, ``x-crampwatch-flush``: the
marker's id); the active relay forwards it in order, in the header of the shard's next batch (:mod:`.relay`),
and the shard's active consumer sees it come back once it has handled everything that was queued before it on
the runner's path (ingress, relay, shard queue, prefetch). Silence is then judged *as of the time the marker was
sent*: an athlete whose last message was handled at least ``quiet_s`` before that time had nothing queued in
between.

* **Cheap**: one marker in flight per shard at a time (another only after :data:`RESEND_S` without an answer,
  e.g. a marker still behind a long backlog), and none for a shard without athletes to watch; it rides in a
  batch the relay sends anyway (every shard gets one per second).
* **Redelivery-proof**: an id is ``{worker id}/{incarnation}:{sequence}``; the incarnation is new for every
  subscription of a shard queue, so a marker of another worker, of an earlier subscription (a hand-over) or a
  redelivered one is ignored.
* **Acknowledged in order**: a marker is no message of its own on the shard queue; the batch carrying it is
  acknowledged at a checkpoint like any other, after the release it led to was saved.

>>> f = Flush("w1")
>>> first = f.due(10.0)
>>> f.due(10.5) is None  # one marker in flight
True
>>> f.returned(["w2/abc:1"]) is None  # someone else's
True
>>> f.returned([first])
10.0
>>> f.returned([first]) is None  # a marker is answered once
True
>>> f.due(11.0) != first
True
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: Content type of a marker on the ingress queue (the relay forwards it; never handled as an input).
MARKER = "application/x-crampwatch-marker"
#: Header: the shard a marker is for (on the ingress message).
SHARD = "x-crampwatch-shard"
#: Header: a marker's id (on the ingress message); a list of ids (on the shard batch that carries them).
FLUSH = "x-crampwatch-flush"
#: A marker unanswered this long (wall clock) gets a successor; either one answering counts.
RESEND_S = 30.0


@dataclass(slots=True)
class Flush:
    """The markers of one shard subscription."""

    worker_id: str
    incarnation: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    seq: int = 0
    inflight: dict[int, float] = field(default_factory=dict)  # sequence -> wall (monotonic) time sent

    @property
    def prefix(self) -> str:
        return f"{self.worker_id}/{self.incarnation}:"

    def due(self, now: float) -> str | None:
        """The id of a marker to send at ``now``, or None while one is in flight (for less than RESEND_S)."""
        if self.inflight and now - max(self.inflight.values()) < RESEND_S:
            return None
        self.seq += 1
        self.inflight[self.seq] = now
        return f"{self.prefix}{self.seq}"

    def returned(self, ids: Iterable[object]) -> float | None:
        """Markers came back (a batch's ``x-crampwatch-flush`` header): the time the newest of ours among them
        was sent (everything queued before then has been handled), or None if none of ours is in flight."""
        newest = None
        for raw in ids:
            text = raw.decode() if isinstance(raw, bytes) else str(raw)
            if not text.startswith(self.prefix):
                continue
            try:
                seq = int(text[len(self.prefix) :])
            except ValueError:
                continue
            if seq in self.inflight and (newest is None or seq > newest):
                newest = seq
        if newest is None:
            return None
        sent = self.inflight[newest]
        for seq in [s for s in self.inflight if s <= newest]:
            del self.inflight[seq]
        return sent


def marker_ids(headers: Mapping[str, object] | None) -> list[object]:
    """The marker ids a shard batch carries (its ``x-crampwatch-flush`` header)."""
    value = (headers or {}).get(FLUSH)
    return list(value) if isinstance(value, list | tuple) else []

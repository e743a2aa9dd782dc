"""The session store's bounded record queue: first in, first out, and what to drop when it is full.

The event loop puts records; the writer thread takes batches and, when a write fails, puts them back in front.
Over ``limit`` queued records one is dropped for each new one: the oldest snapshot first (a later one supersedes
it), then the oldest record without an input (outputs only), then the oldest record. Every operation is O(1)
amortised: a dropped record is marked and left in place until the writer passes it, and the queue is compacted
once the marks outnumber the records. (A full queue used to search itself for a victim on every put: ~20 ms a
record at 200,000 queued, which stalled the event loop exactly when the store was failing.) Not thread-safe:
the store calls it under its own lock.

>>> q = RecordQueue(limit=3)
>>> for kind, item, rank in [("step", 1, KEEP), ("snapshot", 2, SNAPSHOT), ("step", 3, KEEP), ("step", 4, KEEP)]:
...     _ = q.put(kind, item, rank)
>>> q.items(), q.dropped
([('step', 1), ('step', 3), ('step', 4)], 1)
>>> batch = q.take(2)
>>> [e.item for e in batch], len(q)
([1, 3], 1)
>>> q.put_back(batch)  # the write failed: in front again, in order
>>> q.items()
[('step', 1), ('step', 3), ('step', 4)]
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

#: Drop ranks: which records go first when the queue is full.
SNAPSHOT: Final = 0  # a state snapshot (a later one supersedes it)
OUTPUT_ONLY: Final = 1  # a step without an input (outputs only: recovery does not need it to replay)
KEEP: Final = 2  # anything else: dropped only oldest-first when nothing above is queued

_QUEUED, _TAKEN, _DROPPED = 0, 1, 2


class Entry:
    """One queued record."""

    __slots__ = ("item", "kind", "state")

    def __init__(self, kind: str, item: Any) -> None:
        self.kind = kind
        self.item = item
        self.state = _QUEUED


class RecordQueue:
    """FIFO of ``(kind, item)`` records holding at most ``limit`` of them (see the module docstring)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.dropped = 0
        self._q: deque[Entry] = deque()
        self._victims: tuple[deque[Entry], deque[Entry]] = (deque(), deque())  # by rank SNAPSHOT, OUTPUT_ONLY
        self._live = 0  # queued records (not taken, not dropped)
        self._dead = 0  # dropped records still in _q

    def __len__(self) -> int:
        return self._live

    def items(self) -> list[tuple[str, Any]]:
        """The queued records, oldest first."""
        return [(e.kind, e.item) for e in self._q if e.state == _QUEUED]

    def put(self, kind: str, item: Any, rank: int = KEEP) -> bool:
        """Queue a record; returns whether one was dropped to make room."""
        entry = Entry(kind, item)
        self._q.append(entry)
        self._live += 1
        if rank < KEEP:
            self._victims[rank].append(entry)
        if self._live <= self.limit:
            return False
        self._drop()
        return True

    def _drop(self) -> None:
        for victims in self._victims:
            while victims:
                entry = victims.popleft()
                if entry.state == _QUEUED:
                    entry.state, entry.item = _DROPPED, None
                    self._live -= 1
                    self.dropped += 1
                    self._dead += 1
                    if self._dead > max(1024, self._live):
                        self._q = deque(e for e in self._q if e.state == _QUEUED)
                        self._dead = 0
                    return
        while self._q:  # nothing preferred is queued: the oldest record
            entry = self._q.popleft()
            if entry.state == _QUEUED:
                entry.state, entry.item = _DROPPED, None
                self._live -= 1
                self.dropped += 1
                return
            self._dead -= 1

    def take(self, n: int) -> list[Entry]:
        """Up to ``n`` of the oldest records, out of the queue (a drop no longer reaches them)."""
        out: list[Entry] = []
        q = self._q
        while q and len(out) < n:
            entry = q.popleft()
            if entry.state != _QUEUED:
                self._dead -= 1
                continue
            entry.state = _TAKEN
            out.append(entry)
        self._live -= len(out)
        for victims in self._victims:  # they hold records in queue order: the taken ones are at their front
            while victims and victims[0].state != _QUEUED:
                victims.popleft()
        return out

    def put_back(self, entries: list[Entry]) -> None:
        """Records whose write failed: in front again, in their order (no longer preferred victims)."""
        for entry in reversed(entries):
            entry.state = _QUEUED
            self._q.appendleft(entry)
        self._live += len(entries)

"""A live-view subscriber's bounded event queue (one per open event stream)."""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType
from typing import Any, Protocol


class _View(Protocol):
    counters: dict[str, int]

    def unsubscribe(self, sub: Subscription) -> None: ...


class Subscription:
    """A bounded queue of ``(seq, kind, data)`` events; on overflow the oldest event is dropped and counted.

    Use as a context manager (``with view.subscribe() as sub:``) so it is removed when the client goes.
    """

    def __init__(self, view: _View, maxsize: int, squad: str | None) -> None:
        self.view = view
        self.maxsize = maxsize
        self.squad = squad
        self.events: deque[tuple[int, str, dict[str, Any]]] = deque()
        self.dropped = 0
        self.closed = False
        self._ready = asyncio.Event()

    def put(self, seq: int, kind: str, data: dict[str, Any]) -> None:
        if self.squad is not None and data.get("squad") != self.squad:
            return
        self.events.append((seq, kind, data))
        while len(self.events) > self.maxsize:
            self.events.popleft()
            self.dropped += 1
            self.view.counters["dropped"] += 1
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def get_batch(self, timeout: float | None = None) -> list[tuple[int, str, dict[str, Any]]]:
        """Everything queued (waiting up to ``timeout`` for the first event); empty on timeout or close."""
        if not self.events and not self.closed:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return []
        batch = list(self.events)
        self.events.clear()
        return batch

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.view.unsubscribe(self)

"""Short garbage-collector pauses in a process that holds many athletes' state.

CPython's cyclic collector walks *every* tracked object in a full (generation-2) collection. A monitor with 1,000
athletes holds ~1.4 million of them (per-athlete processors, rings, bins), so a full collection stops the event
loop for ~0.2-0.3 s — every status due meanwhile waits (docs/performance.md, "Latency"). None of that state is
garbage for the collector to find: a pipeline makes no reference cycles (``tests/monitor/core/test_no_cycles.py``),
so reference counting frees it when a session ends.

:class:`GcGuard` therefore moves what has lived through the young collections to the permanent generation
(``gc.freeze()``) every ``every_s`` seconds: full collections then walk only what was made since the last
freeze. Before freezing it collects the young generations (``gc.collect(1)``, a few milliseconds), so short-lived
cycles (exceptions with their tracebacks, asyncio's futures) are reclaimed, not frozen. What is frozen is still
freed by reference counting; only a cycle that becomes garbage *after* it was frozen waits — until the next
refresh: every ``refresh_s`` seconds everything is unfrozen and one full collection runs (one long pause per
``refresh_s``; None: never). ``every_s=None`` leaves the collector as CPython sets it.

The collector is process-wide, so is the guard: services share :data:`GUARD` and call :meth:`GcGuard.step` from
their wall-clock housekeeping; its pause statistics (``crampwatch_gc_*`` metrics) count every collection of the
process.

>>> g = GcGuard(every_s=10.0, refresh_s=None)
>>> g.step(now=0.0), g.step(now=5.0), g.step(now=10.0)
(False, False, True)
>>> g.freezes
1
>>> import gc; gc.unfreeze()
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Pauses:
    """Collections of one generation: how many, their total and their longest duration (seconds)."""

    count: int = 0
    total_s: float = 0.0
    max_s: float = 0.0

    def add(self, seconds: float) -> None:
        self.count += 1
        self.total_s += seconds
        self.max_s = max(self.max_s, seconds)


@dataclass(slots=True)
class GcGuard:
    """Freezes long-lived objects every ``every_s`` s and times every collection (see the module docstring).

    ``every_s`` and ``refresh_s`` are validated; ``step`` is cheap to call often (a comparison unless due)."""

    every_s: float | None = 10.0
    refresh_s: float | None = 3600.0
    freezes: int = field(default=0, init=False)
    refreshes: int = field(default=0, init=False)
    pauses: dict[int, Pauses] = field(
        default_factory=lambda: {0: Pauses(), 1: Pauses(), 2: Pauses()}, init=False, repr=False
    )
    _next: float | None = field(default=None, init=False, repr=False)
    _next_refresh: float | None = field(default=None, init=False, repr=False)
    _started: float = field(default=0.0, init=False, repr=False)
    _timing: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("every_s", "refresh_s"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive seconds or None")
        if self.every_s is not None and self.refresh_s is not None and self.refresh_s < self.every_s:
            raise ValueError("refresh_s must not be shorter than every_s")

    # ---- timing ------------------------------------------------------------------------------------------
    def time_collections(self) -> None:
        """Time every collection of this process from now on (once; later calls do nothing)."""
        if not self._timing:
            gc.callbacks.append(self._on_gc)
            self._timing = True

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.setdefault(int(info["generation"]), Pauses()).add(time.perf_counter() - self._started)

    # ---- freezing ----------------------------------------------------------------------------------------
    def step(self, now: float) -> bool:
        """Freeze (or refresh) when due at ``now`` (any monotonic clock, seconds). True when it froze."""
        if self.every_s is None:
            return False
        if self._next is None:  # the first call starts the clocks
            self._next = now + self.every_s
            self._next_refresh = None if self.refresh_s is None else now + self.refresh_s
            return False
        if self._next_refresh is not None and self.refresh_s is not None and now >= self._next_refresh:
            self._next_refresh = now + self.refresh_s
            self._next = now + self.every_s
            self.refresh()
            return False
        if now < self._next:
            return False
        self._next = now + self.every_s
        gc.collect(1)
        gc.freeze()
        self.freezes += 1
        return True

    def refresh(self) -> None:
        """Unfreeze everything and run one full collection (reclaims cycles that died while frozen)."""
        gc.unfreeze()
        gc.collect()
        self.refreshes += 1

    @staticmethod
    def frozen() -> int:
        """Objects in the permanent generation now."""
        return gc.get_freeze_count()


#: The process's guard: services call ``GUARD.step(time.monotonic())`` from their housekeeping.
GUARD = GcGuard()

"""Event-time resampling of irregular streams onto a bounded 1 Hz grid (sample-and-hold with a hold limit).

Memory does not grow with run length: the grid is a fixed ring of ``capacity`` seconds per stream (one copy,
preallocated at start; float64, so windows carry the exact values received), and raw samples wait in a small pending
list only until the watermark passes them.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: How long (s) a sample's value is held on the grid before the stream counts as a gap.
HOLD_S: dict[str, float] = {"hr": 10.0, "pace": 10.0, "cadence": 10.0, "temp": 180.0}


class StreamGrid:
    """One stream: pending raw samples and a ring of 1 Hz grid values (NaN = gap).

    Grid second ``s`` holds the latest sample with ``s - hold < t <= s``.

    >>> g = StreamGrid("hr", capacity=8)
    >>> for t, v in [(0.5, 100.0), (1.2, 101.0), (2.9, 102.0)]:
    ...     g.add(t, v)
    >>> for s in range(0, 4):
    ...     g.fill(s)
    >>> g.last(4).tolist()
    [nan, 100.0, 101.0, 102.0]
    """

    def __init__(self, name: str, capacity: int = 3600, hold: float | None = None) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.name = name
        self.capacity = capacity
        self.hold = HOLD_S.get(name, 10.0) if hold is None else hold
        self._buf: NDArray[np.float64] = np.full(capacity, np.nan)
        self._count = 0  # grid seconds written
        self._pending_t: list[float] = []
        self._pending_v: list[float] = []
        self._held_t = -math.inf
        self._held_v = math.nan
        self.last_t = -math.inf  # event time of the newest sample ever added
        self.n_samples = 0
        self.interval = math.nan  # running estimate of the sampling interval (s)

    def add(self, t: float, v: float) -> None:
        """Queue a sample (kept in time order; out-of-order ones are inserted where they belong)."""
        if self._pending_t and t < self._pending_t[-1]:
            i = bisect.bisect_right(self._pending_t, t)
            self._pending_t.insert(i, t)
            self._pending_v.insert(i, v)
        else:
            self._pending_t.append(t)
            self._pending_v.append(v)
        if t > self.last_t:
            if math.isfinite(self.last_t) and t - self.last_t < 600:
                gap = t - self.last_t
                self.interval = gap if math.isnan(self.interval) else 0.9 * self.interval + 0.1 * gap
            self.last_t = t
        self.n_samples += 1

    def hold_late(self, t: float, v: float) -> bool:
        """A sample whose grid second is already written: hold it from the next second on if it is newer than
        what is held (for slow streams such as temperature). Returns whether it was used."""
        if t <= self._held_t or (self._pending_t and t <= self._pending_t[0]):
            return False
        self._held_t, self._held_v = t, v
        return True

    def fill(self, s: int) -> None:
        """Write grid second ``s`` (call with consecutive seconds)."""
        pt, pv = self._pending_t, self._pending_v
        k = 0
        while k < len(pt) and pt[k] <= s:
            k += 1
        if k:
            self._held_t, self._held_v = pt[k - 1], pv[k - 1]
            del pt[:k], pv[:k]
        value = self._held_v if s - self._held_t < self.hold else math.nan
        self._buf[self._count % self.capacity] = value
        self._count += 1

    def last(self, n: int) -> NDArray[np.float64]:
        """The last ``n`` grid values (a copy), oldest first; ``n`` is capped at what was written and capacity."""
        n = min(n, self._count, self.capacity)
        end = self._count % self.capacity
        out = np.empty(n)
        if n <= end:
            out[:] = self._buf[end - n : end]
        else:  # wrapped: the older part sits at the end of the ring
            k = n - end
            out[:k] = self._buf[self.capacity - k :]
            out[k:] = self._buf[:end]
        return out

    def state_dict(self) -> dict[str, Any]:
        n = min(self._count, self.capacity)
        return {
            "values": [None if math.isnan(x) else x for x in self.last(n).tolist()],
            "count": self._count,
            "pending": [self._pending_t, self._pending_v],
            "held": [self._held_t if math.isfinite(self._held_t) else None, self._held_v],
            "last_t": self.last_t if math.isfinite(self.last_t) else None,
            "n_samples": self.n_samples,
            "interval": None if math.isnan(self.interval) else self.interval,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        values = [math.nan if x is None else float(x) for x in state["values"]]
        self._buf[:] = math.nan
        self._count = int(state["count"]) - len(values)
        for v in values:
            self._buf[self._count % self.capacity] = v
            self._count += 1
        self._pending_t, self._pending_v = list(state["pending"][0]), list(state["pending"][1])
        held_t, held_v = state["held"]
        self._held_t = -math.inf if held_t is None else float(held_t)
        self._held_v = math.nan if held_v is None else float(held_v)
        self.last_t = -math.inf if state["last_t"] is None else float(state["last_t"])
        self.n_samples = int(state["n_samples"])
        self.interval = math.nan if state["interval"] is None else float(state["interval"])

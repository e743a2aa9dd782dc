"""Event-time resampling of irregular streams onto a bounded 1 Hz grid (sample-and-hold with a hold limit).

Memory does not grow with run length: the grid is a fixed buffer of ``capacity`` seconds and a little slack per
stream (one copy, preallocated at start; float64, so windows carry the exact values received), and raw samples wait
in a small pending list only until the watermark passes them. The newest ``capacity`` seconds always lie in one
piece (when the buffer is full they are moved to its front, once per ``slack`` seconds), so the window a tick reads
is one slice, never two pieces of a ring to join (a third of ``AthletePipeline.window``'s cost).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from monitor.core.output import SIGNAL_STREAMS
from processors.indicators import Signal

#: How long (s) a sample's value is held on the grid before the stream counts as a gap.
HOLD_S: dict[str, float] = {"hr": 10.0, "pace": 10.0, "cadence": 10.0, "temp": 180.0}
#: Grid seconds beyond ``capacity`` a buffer holds (at most ``capacity``): its newest ``capacity`` seconds are moved
#: to the front once per ``SLACK_S`` seconds (480 bytes a stream, a 600-value copy a minute).
SLACK_S = 60


class StreamGrid:
    """One stream: pending raw samples and a buffer of the last ``capacity`` 1 Hz grid values (NaN = gap).

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
        self._size = capacity + min(capacity, SLACK_S)
        self._buf: NDArray[np.float64] = np.full(self._size, np.nan)
        self._count = 0  # grid seconds written
        self._base = 0  # the grid second (counted as _count) held at _buf[0]
        self._own = bytearray(self._size)  # per slot: 1 for a sample of that very second (not held)
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
            self.last_t = t
        self.n_samples += 1

    @property
    def held_t(self) -> float:
        """Event time of the newest sample at or before the last grid second written (-inf before any): what the
        grid knows at that second, whatever arrived since (so the signal state does not depend on arrival)."""
        return self._held_t

    def hold_late(self, t: float, v: float) -> bool:
        """A sample whose grid second is already written: hold it from the next second on if it is newer than
        what is held (for slow streams such as temperature). Returns whether it was used."""
        if t <= self._held_t or (self._pending_t and t <= self._pending_t[0]):
            return False
        self._held_t, self._held_v = t, v
        return True

    def fill(self, s: float) -> None:
        """Write grid second ``s`` (a whole number, int or float; call with consecutive seconds)."""
        pt = self._pending_t
        own = False
        if pt and pt[0] <= s:
            own = True
            pv = self._pending_v
            if len(pt) > 1 and pt[1] <= s:
                self._take_pending(s)
            else:  # one sample reaches this second (1 Hz streams, every second)
                self._hold(pt[0], pv[0])
                del pt[0], pv[0]
        value = self._held_v if s - self._held_t < self.hold else math.nan
        p = self._count - self._base
        if p == self._size:
            p = self._shift()
        self._buf[p] = value
        self._own[p] = own
        self._count += 1

    def _shift(self) -> int:
        """The buffer is full: move its newest ``capacity - 1`` seconds to the front; returns the free slot."""
        keep = self.capacity - 1
        start = self._size - keep
        self._buf[:keep] = self._buf[start:]
        self._own[:keep] = self._own[start:]
        self._base += start
        return keep

    def fill_with(self, s: float, t: float, v: float) -> None:
        """``add(t, v)`` then ``fill(s)``, in one call where nothing is pending and ``t <= s`` (a frame's sample
        written to its own second, ``AthletePipeline.add_frames``): the sample goes straight to the held value."""
        if self._pending_t or t > s:
            self.add(t, v)
            self.fill(s)
            return
        if t > self.last_t:
            self.last_t = t
        self.n_samples += 1
        self._hold(t, v)
        p = self._count - self._base
        if p == self._size:
            p = self._shift()
        self._buf[p] = v if s - t < self.hold else math.nan
        self._own[p] = True
        self._count += 1

    def _take_pending(self, s: float) -> None:
        """Move the pending samples up to ``s`` (at least one) to the held value, updating the interval."""
        pt, pv = self._pending_t, self._pending_v
        k = 0
        while k < len(pt) and pt[k] <= s:
            k += 1
        for t, v in zip(pt[:k], pv[:k], strict=True):  # in event-time order, as they reach the grid
            self._hold(t, v)
        del pt[:k], pv[:k]

    def _hold(self, t: float, v: float) -> None:
        """Sample ``(t, v)`` reaches the grid: it becomes the held value, and its distance to the one held before
        updates the sampling interval."""
        gap = t - self._held_t
        if 0 < gap < 600:
            interval = self.interval
            self.interval = gap if interval != interval else 0.9 * interval + 0.1 * gap
        self._held_t = t
        self._held_v = v

    def patch(self, t: float, v: float, newest: int) -> int:
        """Merge a sample into grid seconds already written (``newest`` = the absolute second written last), as
        if it had come in time: from its own second on it replaces gaps and values held from older samples, and
        stops at the first second that had a sample of its own. Returns how many seconds it wrote (0: nothing
        to merge, e.g. a duplicate).

        >>> g = StreamGrid("hr", capacity=8)
        >>> for s in range(6):
        ...     g.fill(s)
        >>> g.patch(2.5, 150.0, newest=5), g.patch(4.0, 151.0, newest=5), g.patch(4.0, 152.0, newest=5)
        (3, 2, 0)
        >>> g.last(6).tolist()
        [nan, nan, nan, 150.0, 151.0, 151.0]
        """
        written = min(self._count, self.capacity)
        done = 0
        for s in range(math.ceil(t), newest + 1):
            back = newest - s
            if back >= written or s - t >= self.hold:
                break
            p = self._count - 1 - back - self._base
            if self._own[p]:
                break
            self._buf[p] = v
            self._own[p] = done == 0
            done += 1
        return done

    def last(self, n: int) -> NDArray[np.float64]:
        """The last ``n`` grid values (a copy), oldest first; ``n`` is capped at what was written and capacity."""
        return self.view(n).copy()

    def view(self, n: int) -> NDArray[np.float64]:
        """:meth:`last` without the copy: a view of the buffer, to read before the next :meth:`fill` or
        :meth:`patch` (``AthletePipeline.window`` reads pace so, to turn it into speed)."""
        if n > self._count or n > self.capacity:
            n = min(n, self._count, self.capacity)
        end = self._count - self._base
        return self._buf[end - n : end]

    def state_dict(self) -> dict[str, Any]:
        n = min(self._count, self.capacity)
        end = self._count - self._base
        return {
            "values": [None if math.isnan(x) else x for x in self.last(n).tolist()],
            "count": self._count,
            "own": "".join("1" if own else "0" for own in list(self._own[end - n : end])),
            "pending": [self._pending_t, self._pending_v],
            "held": [self._held_t if math.isfinite(self._held_t) else None, self._held_v],
            "last_t": self.last_t if math.isfinite(self.last_t) else None,
            "n_samples": self.n_samples,
            "interval": None if math.isnan(self.interval) else self.interval,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        values = [math.nan if x is None else float(x) for x in state["values"]]
        self._buf[:] = math.nan
        self._own[:] = bytes(self._size)
        own = str(state.get("own", ""))
        self._count = int(state["count"]) - len(values)
        self._base = self._count
        for i, v in enumerate(values):
            p = self._count - self._base
            if p == self._size:
                p = self._shift()
            self._buf[p] = v
            self._own[p] = own[i : i + 1] == "1"
            self._count += 1
        self._pending_t, self._pending_v = list(state["pending"][0]), list(state["pending"][1])
        held_t, held_v = state["held"]
        self._held_t = -math.inf if held_t is None else float(held_t)
        self._held_v = math.nan if held_v is None else float(held_v)
        self.last_t = -math.inf if state["last_t"] is None else float(state["last_t"])
        self.n_samples = int(state["n_samples"])
        self.interval = math.nan if state["interval"] is None else float(state["interval"])


def signal_of(grids: Mapping[str, StreamGrid], s: float, lost_s: float, stale_s: float) -> Signal:
    """The signal at grid second ``s`` from the streams' newest samples: "lost" when a signal stream (hr, pace,
    cadence) is silent for more than ``lost_s`` or 10 of its sampling intervals, else "stale" beyond ``stale_s``
    or 3 intervals, else "ok"; only the signal streams with a sample are judged, or every stream with one when
    none of them has. The verdict does not depend on the order (no lists built: this runs every tick)."""
    worst: Signal = "ok"
    judged = False
    for pool in (map(grids.get, SIGNAL_STREAMS), grids.values()):
        for grid in pool:
            if grid is None or not math.isfinite(held := grid.held_t):
                continue
            interval = grid.interval
            if interval != interval:  # NaN: no interval known yet
                interval = 1.0
            age = s - held
            limit = 10 * interval  # max(lost_s, 10 * interval), as max() picks (once a tick per stream: no call)
            if age > (limit if limit > lost_s else lost_s):
                return "lost"
            limit = 3 * interval
            if age > (limit if limit > stale_s else stale_s):
                worst = "stale"
            judged = True
        if judged:  # a signal stream was judged: no fallback to every stream
            break
    return worst

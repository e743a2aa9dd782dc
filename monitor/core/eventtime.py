"""Event-time guards of one athlete: implausible jumps ahead, and when a grid second is complete.

Both decide from the order of what arrived, never from the wall clock, so a replay at any speed and any batching
decides the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

Sample = tuple[str, float, float]  # (stream, t, value)

#: Event times before this (2001-09-09) are no date: elapsed seconds from 0 (a CSV's ``elapsed`` or ``h:mm:ss``
#: column), or a time in the wrong unit (seconds in a milliseconds field) or from a clock never set.
DATED_FROM = 1e9


class _Reported(Protocol):
    @property
    def last_t(self) -> float: ...


def split_ahead(samples: Iterable[Sample], newest: float, max_jump: float) -> tuple[list[Sample], list[Sample]]:
    """Split one message's samples into those that continue the athlete's stream and those that jump more than
    ``max_jump`` seconds ahead of it (``newest``: the athlete's newest event time; each continuing sample moves
    it on, a jumping one does not).

    >>> split_ahead([("hr", 10.0, 150.0), ("hr", 11.0, 151.0), ("hr", 600.0, 152.0)], 9.0, 30.0)
    ([('hr', 10.0, 150.0), ('hr', 11.0, 151.0)], [('hr', 600.0, 152.0)])
    """
    near: list[Sample] = []
    ahead: list[Sample] = []
    ref = newest
    for sample in samples:
        t = sample[1]
        if math.isfinite(ref) and t > ref + max_jump:
            ahead.append(sample)
        else:
            near.append(sample)
            ref = max(ref, t)
    return near, ahead


@dataclass(slots=True)
class HeldJump:
    """Samples of one message that jumped ahead, held until a later message confirms the jump (the gateway
    resumed after a pause, or a new run began) or contradicts it (the athlete's own stream went on where it was:
    the jump was a forged or broken time, rejected as "future time")."""

    samples: list[Sample] = field(default_factory=list)

    @property
    def lo(self) -> float:
        return min(t for _, t, _ in self.samples)

    @property
    def hi(self) -> float:
        return max(t for _, t, _ in self.samples)

    @property
    def streams(self) -> set[str]:
        return {s for s, _, _ in self.samples}

    def confirmed_by(self, ahead: list[Sample], max_jump: float, max_gap: float | None = None) -> bool:
        """Does a later message's jump land where this one did (or after it, by at most ``max_gap`` seconds:
        time went on from the held samples, as a sparse gateway's does)?

        >>> held = HeldJump([("hr", 100.0, 150.0)])
        >>> held.confirmed_by([("hr", 120.0, 151.0)], 30.0), held.confirmed_by([("hr", 145.0, 151.0)], 30.0)
        (True, False)
        >>> held.confirmed_by([("hr", 145.0, 151.0)], 30.0, 600.0), held.confirmed_by([("hr", 60.0, 1.0)], 30.0, 600.0)
        (True, False)
        """
        gap = max_jump if max_gap is None else max_gap
        return bool(ahead) and self.lo - max_jump <= min(t for _, t, _ in ahead) <= self.hi + gap

    def contradicted_by(self, near: list[Sample]) -> bool:
        """Did one of the held streams go on near the athlete's old time?"""
        streams = self.streams
        return any(s in streams for s, _, _ in near)


def complete_until(grids: Mapping[str, _Reported], frame_t: float) -> float:
    """Event time up to which every stream has reported (a frame reports all streams at its instant: streams it
    lacks have no sample there). Samples of a stream come in event-time order, so nothing older can still
    arrive for a second up to here.

    >>> class G:
    ...     def __init__(self, t): self.last_t = t
    >>> complete_until({"hr": G(12.0), "pace": G(11.5), "cadence": G(13.0), "temp": G(-math.inf)}, 10.0)
    10.0
    >>> complete_until({"hr": G(12.0), "pace": G(11.5)}, -math.inf)
    11.5
    """
    lowest = min([g.last_t for g in grids.values()]) if grids else -math.inf  # a list: once per message, cheaper
    return max(lowest, frame_t)

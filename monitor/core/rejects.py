"""Rate-limited reporting of rejected input on ``{prefix}/_monitor/rejected``.

Each ``(topic, reason)`` pair is counted; a report ``{"topic", "reason", "count"}`` (count = total so far) goes out
at most once per ``interval`` seconds per pair, and at most ``max_pairs`` pairs are tracked (the rest are folded
into ``{"topic": "*", "reason": "other"}``). The raw payload is never echoed.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable


class RejectReporter:
    def __init__(
        self, *, interval: float = 1.0, max_pairs: int = 1000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.max_pairs = max_pairs
        self.clock = clock
        self.counts: Counter[tuple[str, str]] = Counter()
        self._last: dict[tuple[str, str], float] = {}
        self._dirty: set[tuple[str, str]] = set()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, topic: str, reason: str) -> list[bytes]:
        """Count one rejection; return the reports due now (payloads)."""
        key = (topic[:200], reason[:120])
        if key not in self.counts and len(self.counts) >= self.max_pairs:
            key = ("*", "other")
        self.counts[key] += 1
        self._dirty.add(key)
        return self.due()

    def due(self, *, force: bool = False) -> list[bytes]:
        now = self.clock()
        out = []
        for key in sorted(self._dirty):
            if force or now - self._last.get(key, -1e18) >= self.interval:
                self._last[key] = now
                out.append(json.dumps({"topic": key[0], "reason": key[1], "count": self.counts[key]}).encode())
        for payload in out:
            d = json.loads(payload)
            self._dirty.discard((d["topic"], d["reason"]))
        return out

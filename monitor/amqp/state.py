"""Shared state for shard failover: athlete snapshots and sent-alert ids, keyed by shard.

A worker that becomes the active consumer of a shard loads that shard's athletes to restore (:meth:`load`: an
open session, or a profile that came by message — :func:`restores`) and the ids of alerts already sent
(:meth:`sent`); it checkpoints the athletes it changed (:meth:`save`) before it
acknowledges the messages they used, and records every alert it sent (:meth:`mark_sent`). Backends:
:class:`MemoryShardStore` (one process, tests) and :class:`monitor.store.postgres.PostgresShardStore`.

>>> import asyncio
>>> store = MemoryShardStore()
>>> asyncio.run(store.save(1, {("club", "ann"): {"session_start": 5.0}}))
>>> asyncio.run(store.load(1)), asyncio.run(store.load(0))
({('club', 'ann'): {'session_start': 5.0}}, {})
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Protocol

from processors.profile import Profile

Key = tuple[str, str]
State = dict[str, Any]
_DEFAULT_PROFILE = Profile().to_dict()


class ShardStore(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def load(self, shard: int) -> dict[Key, State]:
        """Snapshots of the shard's athletes to restore (:func:`restores`)."""
        ...

    async def save(self, shard: int, states: dict[Key, State]) -> None:
        """Replace the snapshots of these athletes (one transaction)."""
        ...

    async def sent(self, shard: int) -> set[str]:
        """Ids of the alerts already sent for the shard's athletes."""
        ...

    async def mark_sent(self, shard: int, key: Key, alert_id: str, t: float) -> None: ...


def restores(state: State) -> bool:
    """Whether a worker taking the shard over restores this athlete: its session is open, or it has a profile other
    than the default (a profile message between sessions was acknowledged once saved; without this the next
    session on another worker ran on the default profile, without the runner's name, pace or history).

    >>> restores({"session_start": 5.0, "profile": {}}), restores({"session_start": None, "profile": {"age": 40}})
    (True, True)
    >>> restores({"session_start": None, "profile": Profile().to_dict()})
    False
    """
    if state.get("session_start") is not None:
        return True
    profile = state.get("profile")
    return isinstance(profile, dict) and profile != _DEFAULT_PROFILE


def encode_state(state: State) -> bytes:
    """Compact, compressed JSON (NaN kept as Python writes it; a 50-min athlete: ~145 KB of JSON, ~37 KB stored).

    >>> decode_state(encode_state({"a": [1.5, None]}))
    {'a': [1.5, None]}
    """
    return zlib.compress(json.dumps(state, separators=(",", ":")).encode(), 1)


def decode_state(blob: bytes) -> State:
    data = json.loads(zlib.decompress(blob))
    assert isinstance(data, dict)
    return data


class MemoryShardStore:
    """In-process store (workers in one process share it; nothing survives the process)."""

    def __init__(self) -> None:
        self.states: dict[Key, tuple[int, bytes, bool]] = {}
        self.alerts: dict[str, int] = {}
        self.saves = 0

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def load(self, shard: int) -> dict[Key, State]:
        return {k: decode_state(b) for k, (s, b, is_open) in self.states.items() if s == shard and is_open}

    async def save(self, shard: int, states: dict[Key, State]) -> None:
        for key, state in states.items():
            self.states[key] = (shard, encode_state(state), restores(state))
        self.saves += 1

    async def sent(self, shard: int) -> set[str]:
        return {i for i, s in self.alerts.items() if s == shard}

    async def mark_sent(self, shard: int, key: Key, alert_id: str, t: float) -> None:
        self.alerts[alert_id] = shard

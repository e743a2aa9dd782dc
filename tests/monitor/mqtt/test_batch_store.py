"""The service's batches and its session store: every message of a batch is recorded with the session it left and
before anything awaits, so a snapshot taken while the batch's outputs are delivered (the housekeeping runs then)
is never ahead of the records, and a restart from the store continues each athlete exactly where it was, even
when a batch starts a new session of an athlete half-way (Monitor.process_batch; no broker needed for routing)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alerts.sinks.memory import MemorySink
from monitor.core.router import Routed, Router
from monitor.core.wire import Topics, encode_frames, encode_session
from monitor.mqtt.service import TICKS_PER_PART, Monitor
from monitor.store.recorder import Recorder
from monitor.store.sqlite import SqliteStore
from tests.runs import hot_fast_run

TOPICS = Topics()


class SnapshotEveryStatus(MemorySink):
    """A sink that lets the recorder snapshot every changed athlete whenever a status is delivered: the
    housekeeping at its most unlucky (it runs whenever delivery awaits)."""

    def __init__(self) -> None:
        super().__init__(statuses=True)
        self.recorder: Recorder | None = None
        self.snapshots = 0

    async def on_status(self, status: dict[str, Any]) -> None:
        await super().on_status(status)
        if self.recorder is not None:
            self.snapshots += self.recorder.tick(budget=1000)


def _messages(seed: int) -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(seed)
    tagged: list[tuple[float, int, tuple[str, bytes]]] = []
    for a in range(3):
        run = hot_fast_run(minutes=12, seed=seed + a)
        if a == 0:  # 700 s of silence half-way: the next frame starts a new session
            run = run[:360] + [replace(f, t=f.t + 700.0) for f in run[360:]]
        i = 0
        while i < len(run):
            chunk = run[i : i + int(rng.choice([1, 5, 20]))]
            i += len(chunk)
            tagged.append((chunk[-1].t, a, (TOPICS.of("club", f"a{a}", "frame"), encode_frames(chunk))))
        if a == 1:
            stop = run[400].t + 0.5  # a stop, then samples that start a new session
            tagged.append((stop, a, (TOPICS.of("club", "a1", "session"), encode_session(stop, "stop"))))
    tagged.sort(key=lambda x: (x[0], x[1]))
    return [m for _, _, m in tagged]


@pytest.mark.parametrize("housekeeping", [True, False])
async def test_a_restart_from_the_store_continues_every_athlete_after_batches(
    tmp_path: Path, housekeeping: bool
) -> None:
    """``housekeeping``: snapshots whenever a status is delivered; without, only the snapshot each session gets at
    its first input (it must then be of the state right after that input, not after the rest of the batch)."""
    msgs = _messages(seed=3)
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    await store.open()
    sink = SnapshotEveryStatus()
    monitor = Monitor("mqtt://127.0.0.1:9", store=store, snapshot_s=0.0, sinks=[sink])  # never connected
    assert monitor.recorder is not None
    sink.recorder = monitor.recorder if housekeeping else None
    rng = np.random.default_rng(1)
    i = 0
    while i < len(msgs):
        n = int(rng.integers(1, 60))
        await monitor.process_batch(msgs[i : i + n])
        i += n
    assert await store.flush()
    await store.close()  # a crash: no final snapshot (recorder.finish() is not called)
    live = {k: p for k, p in monitor.router.pipelines.items() if p.active}
    assert (sink.snapshots > 10) is housekeeping and len(live) == 3 and monitor.counters["errors"] == 0

    again = SqliteStore(path)
    await again.open()
    router = Router(TOPICS)
    restored = await Recorder(again, router).recover()
    await again.close()
    assert restored.athletes == 3
    for key, pipe in live.items():
        assert json.dumps(router.pipelines[key].state_dict(), sort_keys=True) == json.dumps(
            pipe.state_dict(), sort_keys=True
        ), key


class Delivered(MemorySink):
    """Every status delivered, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[dict[str, Any]] = []

    async def on_status(self, status: dict[str, Any]) -> None:
        self.seen.append(status)


async def test_a_burst_of_ticks_is_delivered_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """150 athletes' first frames in one batch make 150 ticks due: they run in parts of at most TICKS_PER_PART,
    each part's statuses delivered before the next part is routed, every status as one-by-one routing makes it."""
    run = hot_fast_run(minutes=1, seed=2)
    first = [(TOPICS.of("club", f"b{i}", "frame"), encode_frames(run[:5])) for i in range(150)]  # sessions begin
    msgs = [(TOPICS.of("club", f"b{i}", "frame"), encode_frames(run[5:6])) for i in range(150)]  # a tick each
    sink = Delivered()
    monitor = Monitor("mqtt://127.0.0.1:9", sinks=[sink])  # never connected
    await monitor.process_batch(first)
    sink.seen.clear()
    parts: list[tuple[int, int]] = []  # (messages routed, statuses delivered) when each part began
    routed = [0]
    handle, batch = monitor.router.handle, monitor.router.batch

    def counting(topic: str, payload: bytes | bytearray | str, *, now: float | None = None) -> Routed:
        routed[0] += 1
        return handle(topic, payload, now=now)

    def part() -> Any:
        parts.append((routed[0], len(sink.seen)))
        return batch()

    monkeypatch.setattr(monitor.router, "handle", counting)
    monkeypatch.setattr(monitor.router, "batch", part)
    await monitor.process_batch(msgs)
    assert parts == [(0, 0), (TICKS_PER_PART, TICKS_PER_PART), (2 * TICKS_PER_PART, 2 * TICKS_PER_PART)]
    alone = Router(TOPICS)
    for t, p in first:
        alone.handle(t, p)
    expected = [s for t, p in msgs for s in alone.handle(t, p).out.statuses]
    assert len(expected) == 150 and sink.seen == expected

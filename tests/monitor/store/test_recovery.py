"""Crash recovery without a broker: the router and recorder a service uses, a real SQLite file, a "crash" (the
objects dropped without a clean shutdown) and a restart on the same file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alerts.alert import Alert
from monitor.core.pipeline import Output
from monitor.core.router import Router
from monitor.core.wire import Topics, encode_frames, encode_profile, encode_session
from monitor.store.recorder import Recorder
from monitor.store.sqlite import SqliteStore
from tests.runs import HOT_PROFILE, hot_fast_run

TOPICS = Topics()


def messages(minutes: float = 40) -> list[tuple[str, bytes]]:
    frames = hot_fast_run(minutes=minutes)
    msgs = [(TOPICS.of("club", "rec", "profile"), encode_profile(HOT_PROFILE))]
    msgs += [(TOPICS.of("club", "rec", "frame"), encode_frames(frames[i : i + 30])) for i in range(0, len(frames), 30)]
    msgs.append((TOPICS.of("club", "rec", "session"), encode_session(frames[-1].t, "stop")))
    return msgs


class Service:
    """The store-facing part of the MQTT service: route, record, snapshot."""

    def __init__(self, store: SqliteStore, snapshot_s: float) -> None:
        self.router = Router(TOPICS)
        self.recorder = Recorder(store, self.router, snapshot_s=snapshot_s, clock=lambda: self.clock)
        self.statuses: list[dict[str, Any]] = []
        self.alerts: list[Alert] = []
        self.clock = 0.0

    def emit(self, out: Output) -> None:
        self.statuses += out.statuses
        self.alerts += out.alerts

    def handle(self, topic: str, payload: bytes) -> None:
        routed = self.router.handle(topic, payload)
        self.emit(routed.out)
        if routed.applied is not None:
            self.recorder.step(*routed.applied, payload, routed.out)
        self.clock += 1.0
        self.recorder.tick()


def uninterrupted(msgs: list[tuple[str, bytes]]) -> tuple[list[dict[str, Any]], list[Alert]]:
    router = Router(TOPICS)
    out = Output()
    for topic, payload in msgs:
        out.extend(router.handle(topic, payload).out)
    return out.statuses, out.alerts


async def test_restart_after_crash_continues_exactly(tmp_path: Path) -> None:
    msgs = messages()
    whole_statuses, whole_alerts = uninterrupted(msgs)
    assert len(whole_alerts) >= 2  # the run must have alerts on both sides of the crash to prove anything
    cut = len(msgs) // 2
    path = tmp_path / "s.db"

    async def scenario() -> tuple[Service, Service, int]:
        first = SqliteStore(path)
        await first.open()
        a = Service(first, snapshot_s=7)  # snapshots every 7 messages: the crash falls between two
        for topic, payload in msgs[:cut]:
            a.handle(topic, payload)
        assert await first.flush()
        await first.close()  # the writer stops; recorder.finish() is NOT called: no final snapshot
        second = SqliteStore(path)
        await second.open()
        b = Service(second, snapshot_s=7)
        restored = await b.recorder.recover()
        b.emit(restored.out)
        for topic, payload in msgs[cut:]:
            b.handle(topic, payload)
        assert await second.flush()
        await second.close()
        return a, b, restored.inputs

    a, b, replayed = await scenario()
    assert 0 < replayed < 7  # restored from a snapshot, then the inputs since it replayed
    assert a.statuses + b.statuses == whole_statuses
    assert a.alerts + b.alerts == whole_alerts
    assert a.alerts and b.alerts  # alerts on both sides, none repeated
    assert b.statuses[0]["distance_m"] > 0.4 * whole_statuses[-1]["distance_m"]  # the session continued

    reader = SqliteStore(path, read_only=True)

    async def read() -> tuple[Any, ...]:
        await reader.open()
        (summary,) = await reader.sessions()
        return (
            summary,
            await reader.statuses(summary.id),
            await reader.alerts(summary.id),
            await reader.samples(summary.id),
        )

    summary, statuses, alerts, samples = await read()
    assert statuses == whole_statuses
    assert [a["id"] for a in alerts] == [a.id for a in whole_alerts]
    assert not summary.open and summary.alerts == len(whole_alerts)
    assert summary.distance_m == whole_statuses[-1]["distance_m"]
    assert summary.peak_risk == max(s["risk"] for s in whole_statuses if s["risk"] is not None)
    assert len([s for s in samples if s[0] == "hr"]) == 40 * 60


async def test_outputs_lost_in_the_crash_are_sent_on_restart_and_never_twice(tmp_path: Path) -> None:
    """An input whose step was stored but whose alerts were not (a step recorded with outputs stripped, as if
    the crash hit between them): recovery sends exactly the missing alerts and nothing already sent."""
    msgs = messages()
    _, whole_alerts = uninterrupted(msgs)
    first_alert_t = whole_alerts[0].t
    path = tmp_path / "s.db"

    async def scenario() -> list[Alert]:
        store = SqliteStore(path)
        await store.open()
        svc = Service(store, snapshot_s=1e9)
        for topic, payload in msgs:
            routed = svc.router.handle(topic, payload)
            if routed.applied is not None:
                keep = Output() if any(x.t == first_alert_t for x in routed.out.alerts) else routed.out
                svc.recorder.step(*routed.applied, payload, keep)
            if any(x.t == first_alert_t for x in routed.out.alerts):
                break  # "crash" right after this input
        await store.flush()
        await store.close()
        store = SqliteStore(path)
        await store.open()
        again = Service(store, snapshot_s=1e9)
        restored = await again.recorder.recover()
        await store.close()
        return restored.out.alerts

    resent = await scenario()
    assert [a.id for a in resent] == [a.id for a in whole_alerts if a.t == first_alert_t]


async def test_wall_clock_release_is_recorded_and_repeated_on_recovery(tmp_path: Path) -> None:
    """The service judges a quiet athlete's held seconds on the wall clock (``release``): not an input message,
    so the recorder keeps it as an action and recovery does it again at the same point."""
    frames = hot_fast_run(minutes=30)
    msgs = [(TOPICS.of("club", "rec", "profile"), encode_profile(HOT_PROFILE))]
    release_after = set()
    for w in range(0, len(frames), 30):  # per-stream batches: cadence comes after hr and pace of the same 30 s
        part = frames[w : w + 30]
        for stream in ("hr", "pace", "cadence"):
            batch = {"t": [f.t for f in part], "v": [getattr(f, stream) for f in part]}
            msgs.append((TOPICS.of("club", "rec", stream), json.dumps(batch).encode()))
            if stream == "pace" and w // 30 in (10, 25):
                release_after.add(len(msgs) - 1)  # the gateway "went quiet" before sending cadence
    cut = len(msgs) // 2

    def reference() -> Output:
        router = Router(TOPICS)
        out = Output()
        for i, (topic, payload) in enumerate(msgs):
            out.extend(router.handle(topic, payload).out)
            if i in release_after:
                out.extend(router.pipelines[("club", "rec")].release())
        return out

    async def scenario() -> tuple[Service, Service]:
        a = Service(SqliteStore(tmp_path / "s.db"), snapshot_s=1e9)  # no periodic snapshot: replay from the start
        await a.recorder.store.open()
        for i, (topic, payload) in enumerate(msgs[:cut]):
            a.handle(topic, payload)
            if i in release_after:
                released = a.router.pipelines[("club", "rec")].release()
                a.emit(released)
                a.recorder.action("club", "rec", "release", released)
        assert await a.recorder.store.flush()
        await a.recorder.store.close()
        b = Service(SqliteStore(tmp_path / "s.db"), snapshot_s=1e9)
        await b.recorder.store.open()
        restored = await b.recorder.recover()
        assert restored.out.statuses == [] and restored.out.alerts == []  # all of it was stored: nothing resent
        for i, (topic, payload) in enumerate(msgs[cut:], start=cut):
            b.handle(topic, payload)
            if i in release_after:
                b.emit(b.router.pipelines[("club", "rec")].release())
        await b.recorder.store.close()
        return a, b

    whole = reference()
    a, b = await scenario()
    assert whole.statuses != uninterrupted(msgs)[0]  # the releases changed the statuses (else this proves nothing)
    assert a.statuses + b.statuses == whole.statuses
    assert a.alerts + b.alerts == whole.alerts

"""The workers' shared state in a real PostgreSQL database (created and dropped by the fixture)."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.core.pipeline import AthletePipeline
from monitor.errors import UsageError
from monitor.store.postgres import PostgresShardStore
from processors.profile import Profile
from tests.runs import HOT_PROFILE, hot_fast_run


async def test_snapshots_restore_an_open_session_that_continues_identically(pg_url: str) -> None:
    frames = hot_fast_run(12)
    whole = AthletePipeline("club", "ann", HOT_PROFILE)
    expected = [s for f in frames for s in whole.add_many((n, f.t, v) for n, v in f.streams().items()).statuses]

    async def scenario() -> list[dict[str, object]]:
        first = AthletePipeline("club", "ann", HOT_PROFILE)
        got = []
        for f in frames[:400]:
            got += first.add_many((n, f.t, v) for n, v in f.streams().items()).statuses
        writer, reader = PostgresShardStore(pg_url), PostgresShardStore(pg_url)
        await writer.start()
        await reader.start()  # a second worker: the schema is created once, concurrently safe
        try:
            ended = AthletePipeline("club", "bob", Profile())  # no open session, no profile: never restored
            between = AthletePipeline("club", "cat", HOT_PROFILE)  # no session yet, a profile: restored (its profile)
            states = {("club", "ann"): first.state_dict(), ("club", "bob"): ended.state_dict()}
            await writer.save(3, {**states, ("club", "cat"): between.state_dict()})
            await writer.mark_sent(3, ("club", "ann"), "club.ann.1.x", 1.0)
            await writer.mark_sent(3, ("club", "ann"), "club.ann.1.x", 1.0)  # idempotent
            assert await reader.load(2) == {}
            restored = await reader.load(3)
            assert set(restored) == {("club", "ann"), ("club", "cat")}
            assert restored[("club", "cat")]["session_start"] is None
            assert Profile(**restored[("club", "cat")]["profile"]) == HOT_PROFILE
            assert await reader.sent(3) == {"club.ann.1.x"}
        finally:
            await writer.close()
            await reader.close()
        second = AthletePipeline.from_state(restored[("club", "ann")])
        for f in frames[400:]:
            got += second.add_many((n, f.t, v) for n, v in f.streams().items()).statuses
        return got

    assert await scenario() == expected
    assert len(expected) > 100


async def test_session_store_on_postgres_restarts_after_a_crash_exactly(pg_url: str) -> None:
    """The SQLite store's crash-recovery scenario (tests/monitor/store/test_recovery.py), on PostgreSQL."""
    from monitor.store import make_store
    from monitor.store.postgres import PostgresStore
    from tests.monitor.store.test_recovery import Service, messages, uninterrupted

    msgs = messages()
    whole_statuses, whole_alerts = uninterrupted(msgs)
    cut = len(msgs) // 2

    async def scenario() -> tuple[Service, Service, int, tuple[Any, ...]]:
        first = make_store(pg_url)
        assert isinstance(first, PostgresStore)
        await first.open()
        with pytest.raises(UsageError, match="in use by another running monitor"):
            await PostgresStore(pg_url).open()
        a = Service(first, snapshot_s=7)  # type: ignore[arg-type]
        for topic, payload in msgs[:cut]:
            a.handle(topic, payload)
        assert await first.flush()
        await first.close()  # no final snapshot: the "crash" falls between two
        second = PostgresStore(pg_url)
        await second.open()
        b = Service(second, snapshot_s=7)  # type: ignore[arg-type]
        restored = await b.recorder.recover()
        b.emit(restored.out)
        for topic, payload in msgs[cut:]:
            b.handle(topic, payload)
        assert await second.flush()
        await second.close()
        reader = PostgresStore(pg_url, read_only=True)
        await reader.open()
        (summary,) = await reader.sessions()
        read = (summary, await reader.statuses(summary.id), await reader.alerts(summary.id))
        return a, b, restored.inputs, read

    a, b, replayed, (summary, statuses, alerts) = await scenario()
    assert 0 < replayed < 7
    assert a.statuses + b.statuses == whole_statuses
    assert a.alerts + b.alerts == whole_alerts and a.alerts and b.alerts
    assert statuses == whole_statuses
    assert [x["id"] for x in alerts] == [x.id for x in whole_alerts]
    assert not summary.open and summary.alerts == len(whole_alerts)
    assert summary.peak_risk == max(s["risk"] for s in whole_statuses if s["risk"] is not None)


def test_the_store_is_named_by_its_url_once() -> None:
    """The start-up line said 'store postgresql:postgresql://…' (the scheme twice) once the URL was named as given
    (no connection is made here: the name is set when the store is made)."""
    from monitor.amqp.history import SharedHistory
    from monitor.store.postgres import PostgresStore

    url = "postgresql://app:secret@db.example:5432/crampwatch"
    assert PostgresStore(url).description == "postgresql://app:***@db.example:5432/crampwatch"
    assert SharedHistory(url).description == "postgresql://app:***@db.example:5432/crampwatch (shared history)"

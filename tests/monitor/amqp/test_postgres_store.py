"""The workers' shared state in a real PostgreSQL database (created and dropped by the fixture)."""

from __future__ import annotations

import asyncio

from monitor.core.pipeline import AthletePipeline
from monitor.store.postgres import PostgresShardStore
from tests.runs import HOT_PROFILE, hot_fast_run


def test_snapshots_restore_an_open_session_that_continues_identically(pg_url: str) -> None:
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
            ended = AthletePipeline("club", "bob", HOT_PROFILE)  # no open session: never restored
            await writer.save(3, {("club", "ann"): first.state_dict(), ("club", "bob"): ended.state_dict()})
            await writer.mark_sent(3, ("club", "ann"), "club.ann.1.x", 1.0)
            await writer.mark_sent(3, ("club", "ann"), "club.ann.1.x", 1.0)  # idempotent
            assert await reader.load(2) == {}
            restored = await reader.load(3)
            assert set(restored) == {("club", "ann")}
            assert await reader.sent(3) == {"club.ann.1.x"}
        finally:
            await writer.close()
            await reader.close()
        second = AthletePipeline.from_state(restored[("club", "ann")])
        for f in frames[400:]:
            got += second.add_many((n, f.t, v) for n, v in f.streams().items()).statuses
        return got

    assert asyncio.run(scenario()) == expected
    assert len(expected) > 100

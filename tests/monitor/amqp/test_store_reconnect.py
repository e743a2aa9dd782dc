"""PostgreSQL drops the store's connection (``pg_terminate_backend`` on its backend): the writer reconnects with
back-off, takes its advisory lock again, and writes what was queued meanwhile (the local server, a database per
test)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from monitor.amqp.history import STORE_LOCK, SharedHistory
from monitor.store.base import Step, session_id
from monitor.store.postgres import PostgresShardStore, PostgresStore

T0 = 1732400000.0


def status(athlete: str, t: float) -> dict[str, Any]:
    return {"t": t, "squad": "sq", "athlete": athlete, "session_start": T0, "session_state": "live",
            "elapsed_s": t - T0, "distance_m": 3.0 * (t - T0), "risk": 0.1, "level": "low"}  # fmt: skip


def step(athlete: str, t: float) -> Step:
    return Step("sq", athlete, "frame", b'{"t": %d, "hr": 150}' % t, T0, (status(athlete, t),), (), t)


async def lock_holders(url: str) -> set[int]:
    """Backend pids holding the store's advisory lock in the test's database (the store's writer connection)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())",
            (STORE_LOCK,),
        )
        return {int(row[0]) for row in await cur.fetchall()}


async def terminate(url: str, pids: set[int]) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for pid in pids:
            await conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.parametrize("make", [SharedHistory, PostgresStore], ids=["shared-history", "single-process"])
async def test_the_writer_reconnects_and_loses_nothing_queued(pg_url: str, make: Callable[..., PostgresStore]) -> None:
    store = make(pg_url, retry_min_s=0.05, retry_max_s=0.5)
    await store.open()
    try:
        for t in range(5):
            store.record_step(step("ann", T0 + 5 * t))
        assert await store.flush(10)
        (first,) = await lock_holders(pg_url)
        await terminate(pg_url, {first})  # the server drops the writer's connection
        for t in range(5, 40):  # queued while it is gone; the first write finds it so
            store.record_step(step("ann", T0 + 5 * t))
        assert await store.flush(30)
        holders = await lock_holders(pg_url)
        errors, reconnects, dropped = store.counters["errors"], store.counters["reconnects"], store.counters["dropped"]
        await terminate(pg_url, holders)  # and once more
        store.record_step(step("ann", T0 + 5 * 40))
        assert await store.flush(30)
        stored = await store.statuses(session_id("sq", "ann", T0))
    finally:
        await store.close()
    assert errors >= 1 and reconnects == 1 and dropped == 0
    assert len(holders) == 1 and first not in holders  # a new backend holds the lock again
    assert store.counters["reconnects"] == 2 and store.counters["dropped"] == 0
    assert [s["t"] for s in stored] == [T0 + 5 * t for t in range(41)]  # every status, once, in order


async def test_the_shard_store_reconnects(pg_url: str) -> None:
    """A worker's failover state (checkpoints): a save after the server dropped the connection reconnects."""
    store = PostgresShardStore(pg_url)
    await store.start()
    try:
        await store.save(0, {("sq", "ann"): {"session_start": T0, "max_t": T0}})
        async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as admin:
            pid = store.conn.info.backend_pid
            await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        await store.save(0, {("sq", "bob"): {"session_start": T0, "max_t": T0 + 1}})
        await store.mark_sent(0, ("sq", "bob"), "sq.bob.1.x", T0)
        loaded, sent = await store.load(0), await store.sent(0)
        assert store.conn.info.backend_pid != pid
    finally:
        await store.close()
    assert set(loaded) == {("sq", "ann"), ("sq", "bob")} and sent == {"sq.bob.1.x"}
    assert store.reconnects == 1

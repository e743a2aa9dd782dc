"""A failing session store never holds up alerts on MQTT; its writes are retried and nothing is lost once it
recovers. The store fills with SQLite's own "database or disk is full" (``max_page_count``: the error a full disk
gives), in process; ``test_crash.py`` fills a real file-size limit in a subprocess."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from monitor.core.pipeline import run_offline
from monitor.metrics import metrics_for
from monitor.mqtt.service import Monitor
from monitor.store.sqlite import SqliteStore
from tests.brokers import BrokerProcess
from tests.runs import HOT_PROFILE, Collector, hot_fast_run, publish_frames


class FillingStore(SqliteStore):
    """A SQLite store whose database may not grow beyond ``pages`` pages (None: unlimited)."""

    pages: int | None = 40

    def _write_batch(self, batch: list[tuple[str, Any]]) -> None:
        self._conn.execute(f"PRAGMA max_page_count = {self.pages or 1_000_000_000}")
        super()._write_batch(batch)


@pytest.mark.broker
async def test_full_store_does_not_stop_alerts_and_catches_up(mosquitto_proc: BrokerProcess, tmp_path: Path) -> None:
    frames = hot_fast_run(minutes=30)
    expected = run_offline(frames, squad="club", athlete="full", profile=HOT_PROFILE)
    assert expected.alerts
    store = FillingStore(tmp_path / "s.db", retry_min_s=0.05, retry_max_s=0.2)

    async def scenario() -> tuple[Collector, int, int, bool, list[dict[str, Any]]]:
        url = mosquitto_proc.url
        async with Monitor(url, store=store) as monitor, Collector(url) as seen:
            await monitor.wait_connected()
            await publish_frames(url, "club", "full", frames, profile=HOT_PROFILE)
            await seen.wait_for(lambda c: c.final_status("full", frames[-1].t), timeout=60)
            await seen.wait_for(lambda c: len(c.alerts) >= len(expected.alerts), timeout=30)
            errors, waiting = store.counters["errors"], store.pending()
            scraped = metrics_for(monitor).render().decode()
            (line,) = [x for x in scraped.splitlines() if x.startswith("crampwatch_store_write_errors_total ")]
            assert float(line.split()[1]) >= errors  # the failures are visible to operators (/metrics)
            assert "crampwatch_store_pending " in scraped
            store.pages = None  # space again: the queued records are written
            caught_up = await store.flush(timeout=30)
        reader = SqliteStore(store.path, read_only=True)
        async with reader:
            (row,) = await reader.sessions()
            return seen, errors, waiting, caught_up, await reader.statuses(row.id)

    seen, errors, waiting, caught_up, stored = await scenario()
    assert [a["id"] for a in seen.alerts] == [a.id for a in expected.alerts]  # every alert on MQTT, in time
    assert errors > 0 and waiting > 0  # the store was failing while they went out
    assert caught_up and store.counters["dropped"] == 0
    assert stored == seen.event_statuses()  # retried: nothing lost


def test_store_queue_is_bounded_and_drops_snapshots_first(tmp_path: Path) -> None:
    from monitor.store.base import Step

    store = SqliteStore(tmp_path / "s.db", queue_limit=5)  # never opened: nothing is written, the queue fills
    store.record_snapshot("s", "a", 1.0, "{}")
    for i in range(5):
        store.record_step(Step("s", "a", "hr", b'{"t": %d, "v": 150}' % i, 1.0))
    assert store.pending() == 5 and store.counters["dropped"] == 1
    assert all(kind == "step" for kind, _ in store._queue.items())
    store.record_step(Step("s", "a", "hr", b'{"t": 9, "v": 150}', 1.0))
    assert store.pending() == 5 and store.counters["dropped"] == 2


async def test_unencodable_record_is_skipped_not_retried_forever(tmp_path: Path) -> None:
    from monitor.store.base import Step

    async def scenario() -> tuple[int, list[Any]]:
        async with SqliteStore(tmp_path / "s.db") as store:
            bad = {"t": 5.0, "session_start": 1.0, "risk": float("nan")}
            store.record_step(Step("s", "a", "hr", b'{"t": 5, "v": 150}', 1.0, statuses=(bad,)))
            store.record_step(Step("s", "a", "hr", b'{"t": 6, "v": 150}', 1.0))
            assert await store.flush(timeout=10)
            bad_records = store.counters["bad_records"]
        with sqlite3.connect(tmp_path / "s.db") as conn:
            return bad_records, conn.execute("SELECT seq FROM inputs ORDER BY seq").fetchall()

    bad_records, rows = await scenario()
    assert bad_records == 1 and rows == [(2,)]

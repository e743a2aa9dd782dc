"""The coach's session history with ``--amqp``: every worker records the runners it computes into one PostgreSQL
database, and what is stored equals what the single-process monitor stores for the same input."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from monitor.amqp.history import SharedHistory
from monitor.cli import main
from monitor.core.wire import Topics
from monitor.errors import UsageError
from monitor.mqtt.service import Monitor
from monitor.store.base import SessionStore
from monitor.store.postgres import PostgresShardStore, PostgresStore
from simulators.publish import Run, publish
from tests.monitor.amqp.field import field_runs, finished, run_field, stored_history
from tests.rabbitmq import RabbitNode
from tests.runs import Collector

pytestmark = [pytest.mark.broker, pytest.mark.timeout(900)]


async def single_process(node: RabbitNode, prefix: str, runs: Sequence[Run], store: SessionStore) -> None:
    """The field through the single-process MQTT monitor (on the node's MQTT listener) with a session store."""
    topics = Topics(prefix)
    async with Monitor(node.mqtt_url, prefix=prefix, store=store) as monitor, Collector(node.mqtt_url, topics) as seen:
        await monitor.wait_connected()
        await publish(node.mqtt_url, runs, mode="samples", batch=10, prefix=prefix)
        await seen.wait_for(finished(runs), timeout=400)


async def test_two_workers_store_the_history_the_single_process_monitor_stores(
    rabbit: RabbitNode, prefix: str, pg_url: str, pg_url2: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = field_runs(6, minutes=20)  # 6 runners cover the 4 shards (monitor.amqp.batch.shard_of): both work
    await single_process(rabbit, prefix + "a", runs, PostgresStore(pg_url2))
    _, pool = await run_field(
        rabbit, prefix + "b", runs, workers=2, shards=4, stores=[PostgresShardStore(pg_url) for _ in range(2)],
        histories=[SharedHistory(pg_url) for _ in range(2)],
    )  # fmt: skip
    assert all(w.counters["statuses"] for w in pool)  # both workers computed runners
    one, two = await stored_history(pg_url2), await stored_history(pg_url)

    # every runner has exactly one session, the same as the single-worker run's, closed by its stop
    assert Counter((s["summary"]["squad"], s["summary"]["athlete"]) for s in two.values()) == Counter(
        {(r.squad, r.athlete): 1 for r in runs}
    )
    assert two.keys() == one.keys()
    for sid, session in two.items():
        ticks = [(s["t"], s.get("session_state")) for s in session["statuses"]]
        assert len(ticks) == len(set(ticks)), sid  # no status stored twice
        assert session["statuses"][-1]["session_state"] == "finished"
        assert not session["summary"]["open"]
        assert session == one[sid], sid  # summary, statuses and alerts as the single-process monitor stores them
    alerts = [a["id"] for s in two.values() for a in s["alerts"]]
    assert alerts and len(alerts) == len(set(alerts))

    # the coach's commands read the whole field from the shared database
    assert await asyncio.to_thread(main, ["sessions", "--store", pg_url, "--json"]) == 0
    assert {row["id"] for row in json.loads(capsys.readouterr().out)} == two.keys()
    sid = next(sid for sid, session in two.items() if session["alerts"])
    out = tmp_path / "report.html"
    assert await asyncio.to_thread(main, ["report", sid, "--store", pg_url, "-o", str(out)]) == 0
    assert sid.split(".")[1] in out.read_text()


async def test_a_single_process_store_and_shard_workers_exclude_each_other(pg_url: str) -> None:
    worker = SharedHistory(pg_url)
    await worker.open()
    try:
        other = SharedHistory(pg_url)  # any number of workers share the database
        await other.open()
        await other.close()
        with pytest.raises(UsageError, match="in use"):
            await PostgresStore(pg_url).open()
    finally:
        await worker.close()
    single = PostgresStore(pg_url)
    await single.open()
    try:
        with pytest.raises(UsageError, match="single-process"):
            await SharedHistory(pg_url).open()
    finally:
        await single.close()


def test_report_of_an_unknown_session_names_the_store_without_its_password(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """audit7: 'no session ... in postgresql://postgres:PASSWORD@... (see crampwatch sessions --store ...)' printed the
    password twice; the URL is named as given, the password masked."""

    async def create() -> None:  # an empty session store
        store = PostgresStore(pg_url)
        await store.open()
        await store.close()

    asyncio.run(create())
    secret = "s3cr3t-PW"
    url = pg_url.replace("postgres@", f"postgres:{secret}@")  # trust auth: the password is not checked
    assert main(["report", "club.ann.1700000000000", "--store", url]) == 2
    err = capsys.readouterr().err
    assert "no session 'club.ann.1700000000000' in postgresql://postgres:***@127.0.0.1:5432/" in err, err
    assert secret not in err and err.count("\n") == 1

"""The session store behind the live service over a real Mosquitto, and ``crampwatch sessions`` reading it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.mqtt.service import Monitor
from monitor.store.jsonl import read_store
from monitor.store.sqlite import SqliteStore
from tests.brokers import BrokerProcess
from tests.runs import HOT_PROFILE, Collector, hot_fast_run, publish_frames


@pytest.mark.broker
async def test_store_keeps_what_was_published_and_sessions_lists_it(
    mosquitto_proc: BrokerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = hot_fast_run(minutes=30)
    path = tmp_path / "s.db"

    async def scenario() -> Collector:
        url = mosquitto_proc.url
        async with Monitor(url, store=SqliteStore(path)) as monitor, Collector(url) as seen:
            await monitor.wait_connected()
            await publish_frames(url, "club", "rec", frames, profile=HOT_PROFILE)
            await seen.wait_for(lambda c: c.finished("rec"), timeout=60)  # the stop's final status comes last
        return seen

    seen = await scenario()
    assert seen.alerts  # a run with alerts, so the alert columns are tested
    assert await asyncio.to_thread(main, ["sessions", "--store", str(path), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["id"] == f"club.rec.{int(frames[0].t * 1000)}"
    assert row["athlete"] == "rec" and row["name"] == "Hot" and row["open"] is False
    assert row["alerts"] == len(seen.alerts)
    assert row["distance_m"] == seen.statuses[-1]["distance_m"]
    assert row["duration_s"] == seen.statuses[-1]["elapsed_s"]
    assert row["peak_risk"] == max(s["risk"] for s in seen.statuses if s["risk"] is not None)

    assert await asyncio.to_thread(main, ["sessions", "--store", str(path), "--squad", "club"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["SESSION", "SQUAD", "ATHLETE"]
    assert table[1].split()[:3] == [row["id"], "club", "Hot"] and "finished" in table[1]
    assert await asyncio.to_thread(main, ["sessions", "--store", str(path), "--squad", "other"]) == 0
    assert capsys.readouterr().out.strip() == "no sessions"

    export = tmp_path / "export.jsonl"
    assert await asyncio.to_thread(main, ["sessions", "--store", str(path), "--export", str(export)]) == 0
    records = list(read_store(export))
    assert [d for k, d in records if k == "status"] == seen.event_statuses()
    assert [d for k, d in records if k == "alert"] == seen.alerts

    with sqlite3.connect(path) as conn:  # every accepted sample is kept (the replay log)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store = SqliteStore(path, read_only=True)

    async def samples() -> list[tuple[str, float, float]]:
        async with store:
            return await store.samples(row["id"])

    assert len([s for s in await samples() if s[0] == "hr"]) == len(frames)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["sessions", "--store", "/nonexistent/s.db"], "no such session store"),
        (["sessions", "--squad", "bad/squad"], "--squad"),
        (["sessions", "--limit", "0"], "--limit"),
    ],
)
def test_sessions_bad_usage_is_one_line_and_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


def test_not_a_store_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not sqlite at all " * 100)
    assert main(["sessions", "--store", str(junk)]) == 2
    assert "not a crampwatch session store" in capsys.readouterr().err


async def test_a_second_monitor_on_the_same_store_is_refused(tmp_path: Path) -> None:
    async def scenario() -> str:
        async with SqliteStore(tmp_path / "s.db"):
            with pytest.raises(Exception) as info:
                await SqliteStore(tmp_path / "s.db").open()
            return str(info.value)

    assert "in use by another running monitor" in await scenario()

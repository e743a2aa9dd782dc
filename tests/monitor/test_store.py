from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from monitor.mqtt.service import Monitor
from monitor.store.jsonl import JsonlStore, read_store
from tests.brokers import BrokerProcess
from tests.runs import HOT_PROFILE, Collector, hot_fast_run, publish_frames


@pytest.mark.broker
async def test_store_records_what_was_published(mosquitto_proc: BrokerProcess, tmp_path: Path) -> None:
    frames = hot_fast_run(minutes=30)
    path = tmp_path / "session.jsonl"

    async def scenario() -> Collector:
        url = mosquitto_proc.url
        async with Monitor(url, sinks=[JsonlStore(path)]) as monitor, Collector(url) as seen:
            await monitor.wait_connected()
            await publish_frames(url, "club", "rec", frames, profile=HOT_PROFILE)
            await seen.wait_for(lambda c: c.finished("rec"), timeout=60)  # the stop's final status comes last
        return seen

    seen = await scenario()
    records = list(read_store(path))
    assert [d for k, d in records if k == "status"] == seen.statuses
    assert [d for k, d in records if k == "alert"] == seen.alerts
    with path.open("a") as f:
        f.write('{"type": "status", "da')  # a crash mid-line
    assert len(list(read_store(path))) == len(records)


def test_unwritable_store_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["monitor", "--broker", "mqtt://127.0.0.1:1", "--store", str(tmp_path / "no" / "dir" / "x.jsonl")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--store" in err and len(err.strip().splitlines()) == 1


def test_the_start_up_line_names_a_jsonl_recording() -> None:
    """audit6: '--store run.jsonl' logged 'store none' while every status and alert went to the file."""
    from argparse import Namespace

    from monitor.commands.monitor import store_description

    assert store_description(Namespace(store="run.jsonl"), None) == (
        "none (recording to run.jsonl: no recovery, not read by sessions/report)"
    )
    assert store_description(Namespace(store="none"), None) == "none"

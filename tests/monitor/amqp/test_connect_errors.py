"""A worker whose broker cannot be reached says so once per attempt (no broker needed)."""

from __future__ import annotations

import logging

import pytest

from monitor.amqp.worker import ShardWorker
from monitor.mqtt.embedded import free_port
from tests.monitor.amqp.field import wait_until


async def test_an_unreachable_broker_is_one_warning_per_attempt(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    url = f"amqp://guest:secret@127.0.0.1:{free_port()}/"  # nothing listens there
    async with ShardWorker(url, shards=2, reconnect_min_s=0.01, reconnect_max_s=0.02) as worker:
        await wait_until(lambda: worker.counters["reconnect_attempts"] >= 3, timeout=30)
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    attempts = [r for r in records if r.name == "crampwatch.amqp" and "retrying in" in r.getMessage()]
    assert len(attempts) >= 3 and "secret" not in caplog.text
    assert [r.name for r in records if r not in attempts] == []  # aiormq's own ERROR per attempt is dropped

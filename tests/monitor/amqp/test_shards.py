"""Sharded consumption on a real RabbitMQ node: each runner on exactly one worker, same alerts as one process."""

from __future__ import annotations

import asyncio

import pytest

from monitor.amqp.state import MemoryShardStore
from tests.monitor.amqp.field import by_athlete, field_runs, run_field, workers_in_order
from tests.rabbitmq import RabbitNode

pytestmark = [pytest.mark.broker, pytest.mark.timeout(300)]


def test_three_workers_share_the_field_and_match_one_process(rabbit: RabbitNode, prefix: str) -> None:
    runs = field_runs(24, minutes=20)
    one, _ = asyncio.run(run_field(rabbit, prefix + "a", runs, workers=1, shards=6, stores=[MemoryShardStore()]))
    shared = MemoryShardStore()
    three, pool = asyncio.run(run_field(rabbit, prefix + "b", runs, workers=3, shards=6, stores=[shared] * 3))

    # every runner's statuses came from exactly one worker, and all three workers took part
    owners = workers_in_order(three.statuses)
    assert len(owners) == len(runs)
    print({k: v for k, v in owners.items() if len(v) > 1})
    assert {w for seq in owners.values() for w in seq} == {"w0", "w1", "w2"}
    # same statuses (event time, values) and the same alerts as the single-process run
    assert by_athlete(three.statuses) == by_athlete(one.statuses)
    assert sorted(a["id"] for a in three.alerts) == sorted(a["id"] for a in one.alerts)
    assert len(three.alerts) >= len(runs)  # the hot runners do get alerts: the comparison is not empty
    assert len({a["id"] for a in three.alerts}) == len(three.alerts)

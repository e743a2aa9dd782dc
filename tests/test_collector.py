"""The tests' MQTT collector (tests/runs.py) makes its connection again when the broker drops it before the
subscriptions are in place (CI, 2026-12-01: amqtt reset it at start-up and the test waited 10 s in vain)."""

from __future__ import annotations

from typing import Any

import aiomqtt
import pytest

from tests.brokers import BrokerProcess
from tests.runs import Collector


@pytest.mark.broker
async def test_a_connection_dropped_before_subscribing_is_made_again(
    mosquitto_proc: BrokerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Collector._run
    calls: list[int] = []

    async def dropped_once(self: Collector) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise aiomqtt.MqttError("[Errno 104] Connection reset by peer")  # what paho reported in CI
        await real(self)

    monkeypatch.setattr(Collector, "_run", dropped_once)
    async with Collector(mosquitto_proc.url) as seen:
        assert seen._ready.is_set()
    assert len(calls) == 2


@pytest.mark.broker
async def test_another_failure_is_raised_at_once(
    mosquitto_proc: BrokerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: Any) -> None:
        raise ValueError("not a broker problem")

    monkeypatch.setattr(Collector, "_run", broken)
    with pytest.raises(ValueError, match="not a broker problem"):
        async with Collector(mosquitto_proc.url):
            pass

"""Two monitors with one client id take the session from each other a few times a second; the broker gives no
reason ("[code:128] Unspecified error"), so the monitor's log line says what it may be (audit5)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor

pytestmark = pytest.mark.broker


class _Said(logging.Handler):
    def __init__(self, text: str) -> None:
        super().__init__(logging.WARNING)
        self.text, self.lines, self.seen = text, list[str](), asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        if self.text in self.lines[-1]:
            self.seen.set()


async def test_a_second_client_with_the_monitors_client_id_is_named_in_the_log(mosquitto: BrokerURL) -> None:
    """audit5: 'lost broker mqtt://...: [code:128] Unspecified error; reconnecting', twice a second, forever, and
    nothing said why: a second `crampwatch monitor` on the same host (same default client id) was the cause."""
    said = _Said("is another client using client id 'audit5-clash'? Two monitors with one id take the session")
    logger = logging.getLogger("crampwatch.monitor")
    logger.addHandler(said)
    try:
        async with Monitor(mosquitto, identifier="audit5-clash", reconnect_min_s=0.05, reconnect_max_s=0.2) as mon:
            await mon.wait_connected(10)
            intruder = mosquitto.client(identifier="audit5-clash", clean_session=False)
            async with intruder:  # takes the monitor's session: the broker drops the monitor's connection
                await asyncio.wait_for(said.seen.wait(), 10)
    finally:
        logger.removeHandler(said)
    assert any(line.startswith(f"lost broker {mosquitto}: ") for line in said.lines), said.lines

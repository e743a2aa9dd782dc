"""``crampwatch demo`` with a monitor that falls behind (a busy laptop, a high ``--speed``). The embedded broker
(amqtt) gives a subscriber 5 s to acknowledge each message, then drops it and logs a traceback: a loaded demo at
x1000 printed 392 "Timeout waiting for PUBACK" tracebacks and lost the frames they carried, because the simulated
squad was published without regard to the monitor, thousands of messages ahead of it. The squad now waits for the
monitor's statuses (at most ``demo.DEMO_WINDOW`` messages ahead, as ``simulate --speed 0`` paces itself).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Iterable

import pytest

from monitor.commands import demo
from monitor.mqtt.service import Monitor
from simulators.scenarios import load_scenario

#: Wall seconds per message of the slowed monitor: at most 200 messages/s, so the 6,000 frames of two easy runs
#: published at once wait up to 30 s for it.
SLOW_S = 0.005


@pytest.mark.timeout(120)
async def test_the_squad_stays_within_a_window_of_a_slow_monitor(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = Monitor.process_batch
    handled, backlog = [0], [0]

    async def slow(self: Monitor, messages: Iterable[tuple[str, bytes]]) -> None:
        batch = list(messages)
        backlog[0] = max(backlog[0], len(batch) + len(self._inbox.items))  # received, not yet handled
        await asyncio.sleep(SLOW_S * len(batch))
        await handle(self, batch)
        handled[0] += len(batch)

    monkeypatch.setattr(Monitor, "process_batch", slow)
    caplog.set_level(logging.WARNING)
    args = argparse.Namespace(
        speed=1e6, duration=6.0, athletes=2, seed=1, http=("127.0.0.1", 0), table_every=1000.0, scenario="easy"
    )
    await demo._demo(args, load_scenario("easy"))
    assert capsys.readouterr().out.splitlines()[-1].startswith("stopped: ")
    assert handled[0] > demo.DEMO_WINDOW  # the squad was published and handled meanwhile
    assert backlog[0] <= 2 * demo.DEMO_WINDOW, f"{backlog[0]} messages waited for the monitor"
    dropped = [r.getMessage()[:120] for r in caplog.records if r.name.startswith("amqtt") and r.levelno >= 40]
    assert dropped == [], f"{len(dropped)} messages dropped by the embedded broker, e.g. {dropped[:2]}"

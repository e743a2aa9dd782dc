"""The soak's memory probe (benchmarks/memdiag.py) reports the allocator's arenas and the service's outbox."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pytest

from benchmarks.memdiag import Probe
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc's malloc_info")
def test_the_probe_reports_the_heap_and_the_outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Monitor, "__init__", Monitor.__init__)  # restored after the probe wraps it
    probe = Probe(tmp_path / "mem.jsonl")
    probe.watch_monitors()
    monitor = Monitor(BrokerURL(host="127.0.0.1", port=1))
    monitor._outbox.put("t/status", b"{}", 1, True)  # QoS 1: waits in the outbox (not connected)
    probe.write(signal.SIGUSR1, None)
    probe.write(signal.SIGUSR1, None)
    first, second = (json.loads(line) for line in (tmp_path / "mem.jsonl").read_text().splitlines())
    assert first["rss_kb"] > 0 and first["arenas"][0]["nr"] == 0 and first["arenas"][0]["system"] > 0
    assert (first["outbox"], first["outbox_high_water"]) == (1, 1)
    assert monitor._outbox.high_water == 1 and second["outbox_high_water"] == 1  # reset to what still waits

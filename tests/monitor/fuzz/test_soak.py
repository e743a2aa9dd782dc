"""Bounded soak, CI-sized: a real ``crampwatch monitor`` process (its default, direct status publisher) with its
SQLite store on a real Mosquitto, 50 athletes x 36 min of event time; the monitor's RSS is flat after warm-up (the
per-athlete state is bounded; statuses waiting behind an alert hold their size, not orjson's 16-KB buffers).
The warm-up is 24 min: the longest per-athlete windows (the 20-min head of the bins, the gait-uniformity span, the
decoupling reference) fill until minute ~20-25, and measuring inside it failed CI once (5.8 MB over minutes 12-24).
Each minute the soak waits for the store to have written that minute's statuses (its writer lags a replay this
fast; what it holds queued is not per-athlete state: docs/deploy.md, "Soak").
The long form (hundreds of athletes, hours) is ``benchmarks/bench_soak.py``; numbers in docs/deploy.md."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pytest

from benchmarks.bench_soak import soak
from tests.brokers import BrokerProcess

ATHLETES, MINUTES, WARMUP = 50, 36, 24


@pytest.mark.broker
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the monitor's RSS from /proc")
@pytest.mark.timeout(300)  # ~55 s on an idle 2-core machine; generous for a loaded CI runner
async def test_soak_rss_flat_after_warmup(mosquitto_proc: BrokerProcess, tmp_path: Path) -> None:
    result = await soak(mosquitto_proc.url, ATHLETES, MINUTES, tmp_path)
    assert result.exit_code == 0, result.log[-2000:]
    assert "Traceback" not in result.log
    assert len(result.rss_mb) == MINUTES
    flat = result.after(WARMUP)
    growth = statistics.mean(flat[-4:]) - statistics.mean(flat[:4])
    # a status (~1.5 KB) kept per tick would grow by 50 x 12 x 1.5 KB ≈ 0.9 MB per minute: ~11 MB here
    assert growth < 4.0, f"RSS grew {growth:.1f} MB after warm-up: {result.rss_mb}"
    assert max(flat) - min(flat) < 10.0, result.rss_mb

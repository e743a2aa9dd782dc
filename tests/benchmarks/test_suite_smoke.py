"""CI smoke run of the benchmark suite: tiny sizes, every part runs and the table comes out (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.brokers import Mosquitto

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.broker
@pytest.mark.timeout(300)
def test_quick_suite_prints_the_table(tmp_path: Path) -> None:
    if Mosquitto.binary() is None:
        pytest.skip("mosquitto is not installed")
    raw = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.suite", "--quick", "--json", str(raw)],
        cwd=ROOT, capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0] == "| figure | measured | target |"
    table = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    figures = " ".join(line.split(" | ")[0] for line in table)
    for what in ("machine", "broker", "monitor rate", "bare aiomqtt", "bare paho", "paced real time", "ingest → status",
                 "ingest → alert", "RSS per athlete", "in-service tick", "offline analyze"):  # fmt: skip
        assert what in figures
    results = json.loads(raw.read_text())
    expect = results["throughput"]["messages"]
    for kind in ("aiomqtt", "paho", "monitor"):  # every consumer got the whole load from the same broker
        assert results["throughput"][kind]["received"] == expect
    assert results["throughput"]["monitor"]["counters"]["samples"] == expect
    assert results["tick"]["ticks"] > 0 and results["analyze"]["statuses"] > 0
    assert results["tick"]["batched"] and results["tick"]["athletes_per_round"] >= 1  # as the service ticks
    assert results["tick"]["machine"]["python_us"] > 0 and results["machine"]["numpy_us"] > 0
    assert results["latency"]["status"]["n"] > 0  # statuses of the paced part came back and were timed
    assert results["broker"] == {"set_tcp_nodelay": True}  # as deploy/mosquitto/crampwatch.conf


@pytest.mark.broker
@pytest.mark.timeout(200)
def test_only_one_part_prints_only_its_rows() -> None:
    if Mosquitto.binary() is None:
        pytest.skip("mosquitto is not installed")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.suite", "--quick", "--only", "capacity"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 3 and "machine" in rows[0] and "broker" in rows[1] and "paced real time" in rows[2]

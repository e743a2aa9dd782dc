"""The receive-path micro-benchmark runs and reads every message both ways (no timing asserted)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_packets


def test_bench_packets_prints_both_paths(capsys: pytest.CaptureFixture[str]) -> None:
    bench_packets.main(["--messages", "2000", "--rounds", "1"])
    out = json.loads(capsys.readouterr().out)
    assert out["messages"] == 2000
    assert out["paho_us_per_msg"] > 0 and out["split_us_per_msg"] > 0

"""The store-queue benchmark runs and drops exactly what goes beyond the limit (no timing asserted)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_store_queue


def test_bench_store_queue_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    bench_store_queue.main(["--limit", "5000", "--beyond", "300"])
    out = json.loads(capsys.readouterr().out)
    assert out["dropped"] == 300 and out["pending"] == 5000
    assert out["fill_us_per_record"] > 0 and out["full_us_per_record"] > 0

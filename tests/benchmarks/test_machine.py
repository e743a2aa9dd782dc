"""The machine yardsticks that make benchmark figures from different VMs comparable (benchmarks/machine.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.machine import describe, measure

ROOT = Path(__file__).resolve().parents[2]


def test_measure_times_both_yardsticks_and_names_the_machine() -> None:
    m = measure(repeats=3, loops=10)
    assert m["python_us"] > 0.0 and m["numpy_us"] > 0.0
    assert m["cpus"] >= 1 and m["python"] == ".".join(map(str, sys.version_info[:3]))
    line = describe(m)
    assert f"{m['python_us']:.1f} µs" in line and m["numpy"] in line


@pytest.mark.parametrize("bad", [{"repeats": 0}, {"loops": 0}])
def test_measure_refuses_no_work(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        measure(**bad)


def test_the_command_prints_one_json_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.machine"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["python_us"] > 0

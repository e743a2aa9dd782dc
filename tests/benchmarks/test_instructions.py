"""The instruction-count benchmark runs under valgrind and counts only the ticks (no figure asserted beyond
"some work, and the same work as without valgrind")."""

from __future__ import annotations

import json
import shutil

import pytest

from benchmarks import instructions


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_counts_the_ticks_under_valgrind(capsys: pytest.CaptureFixture[str]) -> None:
    instructions.main(["--athletes", "1", "--seconds", "10", "--warm-minutes", "1"])
    out = json.loads(capsys.readouterr().out)
    ticks, digest = instructions.run_ticks(1, 10, 1)  # the same run without valgrind
    assert out["ticks"] == ticks == 2 and out["digest"] == digest
    # a tick is ~2 million instructions; the one-minute warm-up alone would be ~30 times that if it were counted
    assert 100_000 < out["instructions_per_tick"] < 20_000_000


def test_bad_sizes_are_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        instructions.main(["--seconds", "2"])
    assert exc.value.code == 2

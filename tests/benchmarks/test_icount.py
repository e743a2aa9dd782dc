"""benchmarks.icount drives the athletes as benchmarks.offline tick does (valgrind itself is not run here)."""

from __future__ import annotations

import pytest

from benchmarks.icount import drive, main


def test_drive_counts_the_ticks_of_the_timed_minutes_only() -> None:
    assert drive(2, 2.0, 0.0) == 0
    assert drive(2, 2.0, 1.0) == 2 * 12  # one tick per athlete every 5 s


def test_minutes_beyond_the_prepared_input_are_a_usage_error() -> None:
    with pytest.raises(SystemExit):
        main(["--minutes", "11"])

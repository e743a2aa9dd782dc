"""The run summary's heart rate leaves out what is not a heart rate: a strap dropout that a CSV (or TCX) export
writes as 0 bpm, or a 255 "invalid" marker, was averaged in — 100 s of zeros in a 10-min run at 150 bpm read
"average heart rate 125.1 bpm", "max heart rate 250", while the pipeline beside it rejects those values (the
contract's plausible range, 25-250 bpm; monitor.core.wire.RANGES) and its HR zones left them out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from monitor.cli import main
from simulators.readers.recording import Recording
from simulators.readers.summary import summarize


def test_dropouts_are_not_heart_rates() -> None:
    t = np.arange(600.0)
    hr = np.full(600, 150.0)
    hr[200:300] = 0.0  # the strap lost contact: the export wrote 0
    hr[400] = 255.0  # an "invalid" marker
    hr[450] = -5.0
    rec = Recording.from_columns("x", "csv", t=t, hr=hr, speed=np.full(600, 3.0))
    s = summarize(rec)
    assert s.avg_hr_bpm == 150.0 and s.max_hr_bpm == 150.0
    assert s.duration_s == 599.0  # the time still counts; only the HR of it is unknown


def test_only_dropouts_is_no_heart_rate() -> None:
    rec = Recording.from_columns("x", "csv", t=[0.0, 1.0, 2.0], hr=[0.0, 0.0, 0.0], speed=[3.0, 3.0, 3.0])
    s = summarize(rec)
    assert s.avg_hr_bpm is None and s.max_hr_bpm is None


def test_analyze_reads_the_true_average(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = ["time,hr,pace,cadence"] + [f"{i},{0 if 200 <= i < 300 else 150},300,170" for i in range(600)]
    path = tmp_path / "run.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "average heart rate         150.0 bpm" in out and "max heart rate               150 bpm" in out, out


def test_the_range_is_the_monitors() -> None:
    from monitor.core.wire import RANGES
    from simulators.readers.summary import HR_RANGE

    assert RANGES["hr"] == HR_RANGE

"""The batch probe's batched steps give the per-athlete code's results bit for bit (its "equal" column), on data
where each step has work to do."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import batch_probe


def test_batched_steps_equal_the_per_athlete_code(capsys: pytest.CaptureFixture[str]) -> None:
    batch_probe.main(["--sizes", "1,7", "--repeats", "1"])
    out = json.loads(capsys.readouterr().out)
    for step in ("recent_median", "hampel", "savgol"):
        for size in ("1", "7"):
            row = out["steps"][step][size]
            assert row["equal"] is True, (step, size)
            assert row["per_athlete_us"] > 0 and row["batched_us"] > 0


def test_the_probe_data_has_spikes_to_remove_and_gaps_to_skip() -> None:
    data = batch_probe._data(7, 40)
    assert np.isnan(data).any()  # recent_median meets gaps
    clean = np.nan_to_num(data, nan=150.0)
    replaced = batch_probe.hampel_batch(clean) != clean[..., -batch_probe.NEW :]
    assert replaced.any() and not replaced.all()  # Hampel replaces some values, not all


def test_bad_sizes_are_a_usage_error() -> None:
    for bad in (["--sizes", "0"], ["--sizes", "a,b"], ["--repeats", "0"]):
        with pytest.raises(SystemExit) as exc:
            batch_probe.main(bad)
        assert exc.value.code == 2

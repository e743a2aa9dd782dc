"""Per-athlete memory is preallocated and flat (issue 11.4), and the short raw window changes nothing."""

from __future__ import annotations

import numpy as np

from monitor.core.pipeline import AthletePipeline, PipelineConfig, run_offline
from processors.bins import BinStore
from simulators.frame import Frame
from tests.runs import HOT_PROFILE, T0, hot_fast_run


def _with_temperature_gaps(frames: list[Frame]) -> list[Frame]:
    """Temperature every 30 s but silent for 8-min stretches (the 5-min hold runs out), HR gaps too."""
    out = []
    for i, f in enumerate(frames):
        temp = f.temp if (i // 480) % 3 else None
        hr = None if 1800 <= i < 1830 else f.hr
        out.append(Frame(t=f.t, hr=hr, pace=f.pace, cadence=f.cadence, temp=temp))
    return out


def test_ten_minute_window_gives_the_same_statuses_and_alerts_as_an_hour() -> None:
    frames = _with_temperature_gaps(hot_fast_run(minutes=70))
    short = run_offline(frames, squad="s", athlete="a", profile=HOT_PROFILE, config=PipelineConfig(history_s=600))
    hour = run_offline(frames, squad="s", athlete="a", profile=HOT_PROFILE, config=PipelineConfig(history_s=3600))
    assert len(short.statuses) == len(hour.statuses) > 800
    assert short.statuses == hour.statuses
    assert [a.to_dict() for a in short.alerts] == [a.to_dict() for a in hour.alerts]
    assert hour.alerts  # the run raises alerts, so the comparison covers them


def test_state_is_preallocated_and_does_not_grow() -> None:
    """After the first minute no buffer is reallocated or grows, through 2 h 10 min of event time (past the
    point where the bins drop their middle)."""
    pipe = AthletePipeline("s", "a", HOT_PROFILE)
    frames = hot_fast_run(minutes=130)

    def buffers() -> list[np.ndarray]:
        bins: BinStore = pipe._engine._procs["bins"].get()  # type: ignore[union-attr]
        friel = pipe._engine._procs["decoupling_friel_pct"]._minutes  # type: ignore[attr-defined]
        return [g._buf for g in pipe._grids.values()] + [bins._rows, friel]

    for f in frames[:60]:
        pipe.add_many((name, f.t, v) for name, v in f.streams().items())
    first = buffers()
    sizes = [b.nbytes for b in first]
    for f in frames[60:]:
        pipe.add_many((name, f.t, v) for name, v in f.streams().items())
    assert pipe._filled > T0 + 130 * 60 - 60
    later = buffers()
    assert all(a is b for a, b in zip(first, later, strict=True))
    assert [b.nbytes for b in later] == sizes
    assert sum(sizes) < 110_000  # the grid rings, the bins and Friel's rows: the bulk of an athlete's state


def test_bins_keep_the_head_and_the_last_hour() -> None:
    store = BinStore(10)
    store.ensure(2000)
    for k in range(2000):
        r = store.row(k)
        if r is not None:
            store._rows[r, 0] = k
    head = store.between(0, 1200)
    assert head[:, 0].tolist() == list(range(120))
    last_hour = store.last(3600, 19_999)
    assert last_hour[:, 0].tolist() == list(range(1640, 2000))
    middle = store.between(5000, 5100)  # dropped bins read as zeros, as after restoring a saved state
    assert middle.shape == (10, 14) and not middle.any()

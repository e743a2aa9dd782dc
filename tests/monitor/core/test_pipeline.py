from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from monitor.core.pipeline import STATUS_KEYS, AthletePipeline, PipelineConfig, run_offline
from simulators.frame import Frame
from tests.runs import EASY_PROFILE, HOT_PROFILE, T0, easy_cool_run, hot_fast_run


def feed(pipe: AthletePipeline, frames: list[Frame]) -> tuple[list[dict[str, object]], list[object], int]:
    statuses, alerts, late = [], [], 0
    for f in frames:
        out = pipe.add_many((k, f.t, v) for k, v in f.streams().items())
        statuses += out.statuses
        alerts += out.alerts
        late += out.late
    return statuses, alerts, late


def test_ticks_every_5_s_of_event_time_with_contract_keys() -> None:
    frames = easy_cool_run(minutes=3)
    result = run_offline(frames, squad="s", athlete="a", profile=EASY_PROFILE)
    times = [s["t"] for s in result.statuses]
    assert times == list(range(int(T0), int(frames[-1].t) + 1, 5))
    for status in result.statuses:
        assert set(STATUS_KEYS) <= set(status)
        assert status["squad"] == "s" and status["athlete"] == "a"
    assert result.statuses[-1]["elapsed_s"] == pytest.approx(frames[-1].t - T0, abs=5)


@pytest.mark.parametrize("offset", [1, 3, 4])
def test_ticks_count_from_the_session_start_so_a_squad_spreads_its_ticks(offset: int) -> None:
    """Each athlete ticks every 5 s from its own session start, not at multiples of 5 s of the clock: athletes
    who started their watches at different seconds do not all tick in the same second. The same input still gives
    the same statuses, live (per-stream, restored from a saved state) and offline."""
    frames = [replace(f, t=f.t + offset) for f in easy_cool_run(minutes=3)]
    result = run_offline(frames, squad="s", athlete="a", profile=EASY_PROFILE)
    times = [s["t"] for s in result.statuses]
    start = int(frames[0].t)
    assert start % 5 == offset % 5
    assert times == list(range(start, int(frames[-1].t) + 1, 5))
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    first, _, _ = feed(pipe, frames[:97])
    restored = AthletePipeline.from_state(json.loads(json.dumps(pipe.state_dict())))
    rest, _, _ = feed(restored, frames[97:])
    assert first + rest + restored.flush().statuses == result.statuses


def test_late_samples_dropped_and_counted_streams_lagging_within_lateness_kept() -> None:
    pipe = AthletePipeline("s", "a", EASY_PROFILE, PipelineConfig(lateness_s=5))
    for i in range(100):
        pipe.add("hr", T0 + i, 140.0)
        if i <= 95:
            pipe.add("pace", T0 + i, 330.0)
    assert pipe.add("pace", T0 + 97.5, 331.0).late == 0  # pace lags hr within the lateness: placed by event time
    assert pipe.add("hr", T0 + 98.5, 141.0).late == 1  # older than hr's own newest sample: late
    assert pipe.add("hr", T0 + 50, 141.0).late == 1  # its second is long filled: dropped
    assert pipe.late_dropped == 2


def test_feeding_order_of_arrival_chunks_does_not_matter() -> None:
    frames = hot_fast_run(minutes=15)
    one = run_offline(frames, squad="s", athlete="a", profile=HOT_PROFILE)
    pipe = AthletePipeline("s", "a", HOT_PROFILE)
    statuses, alerts, _ = feed(pipe, frames)
    statuses += pipe.flush().statuses
    assert statuses == one.statuses
    assert alerts == one.alerts


def test_silence_longer_than_timeout_starts_a_new_session() -> None:
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    feed(pipe, easy_cool_run(minutes=2))
    first = pipe.session_start
    later = [replace(f, t=f.t + 2000) for f in easy_cool_run(minutes=1)]
    held = pipe.add_many((k, later[0].t, v) for k, v in later[0].streams().items())
    assert held.sessions_ended == 0 and pipe.session_start == first  # a jump waits for a second message
    out = pipe.add_many((k, later[1].t, v) for k, v in later[1].streams().items())
    assert out.sessions_ended == 1
    assert pipe.session_start == later[0].t != first
    old = [st for st in out.statuses if st["session_start"] == first]
    assert old and old[-1]["session_state"] == "finished"  # the old session's final status
    assert all(st["session_state"] == "live" for st in out.statuses if st["session_start"] != first)


def test_stop_ends_the_session_with_a_final_status() -> None:
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    frames = easy_cool_run(minutes=1)
    feed(pipe, frames)
    out = pipe.stop(frames[-1].t)
    assert out.sessions_ended == 1 and not pipe.active
    assert out.statuses[-1]["t"] == int(frames[-1].t)
    assert pipe.add("hr", frames[-1].t + 1, 150.0).late == 0 and pipe.active


def _signal_with_max(pipe: AthletePipeline, s: float) -> str:
    """``signal_at`` as written before with ``max()``: the reference for the comparisons that replaced it."""
    worst = "ok"
    grids = [g for name, g in pipe._grids.items() if name in ("hr", "pace", "cadence") and math.isfinite(g.held_t)]
    for grid in grids or [g for g in pipe._grids.values() if math.isfinite(g.held_t)]:
        interval = 1.0 if math.isnan(grid.interval) else grid.interval
        age = s - grid.held_t
        if age > max(pipe.config.lost_s, 10 * interval):
            return "lost"
        if age > max(pipe.config.stale_s, 3 * interval):
            worst = "stale"
    return worst


@pytest.mark.parametrize("lost_s, stale_s", [(60.0, 10.0), (20.0, 6.0), (0.0, 0.0), (math.nan, math.nan)])
def test_signal_at_decides_as_max_did(lost_s: float, stale_s: float) -> None:
    """Every age up to lost, on the boundaries too, before any interval is known and after (1-s and 4-s ones)."""
    pipe = AthletePipeline("s", "a", EASY_PROFILE, PipelineConfig(lost_s=lost_s, stale_s=stale_s))
    pipe.add("temp", T0, 20.0)
    seen = set()
    for t in range(0, 40, 4):
        pipe.add_many([("hr", T0 + t, 140.0), ("pace", T0 + t // 2, 330.0), ("temp", T0 + t, 20.0)])
        for k in range(0, 300):
            seen.add(_signal_with_max(pipe, pipe._filled + k / 2))
            assert pipe.signal_at(pipe._filled + k / 2) == _signal_with_max(pipe, pipe._filled + k / 2)
    if lost_s == 60.0:  # (a NaN limit never trips, as max(NaN, x) is NaN)
        assert seen == {"ok", "stale", "lost"}  # the comparisons saw every outcome


def test_signal_at_without_a_signal_stream_judges_every_stream_as_max_did() -> None:
    """No hr, pace or cadence yet: every stream with a sample is judged (signal_at's fallback pool)."""
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    assert pipe.signal_at(T0) == _signal_with_max(pipe, T0) == "ok"  # nothing at all: ok
    seen = set()
    for t in range(0, 40, 4):
        pipe.add_many([("temp", T0 + t, 20.0)])
        for k in range(0, 300):
            seen.add(_signal_with_max(pipe, pipe._filled + k / 2))
            assert pipe.signal_at(pipe._filled + k / 2) == _signal_with_max(pipe, pipe._filled + k / 2)
    assert seen == {"ok", "stale", "lost"}


def test_signal_goes_stale_then_lost() -> None:
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    statuses = []
    for i in range(300):
        samples = [("pace", T0 + i, 330.0)]
        if i < 100:
            samples.append(("hr", T0 + i, 140.0))
        statuses += pipe.add_many(samples).statuses
    by_t = {s["t"] - T0: s["signal"] for s in statuses}
    assert by_t[90] == "ok"
    assert by_t[120] == "stale"
    assert by_t[200] == "lost"
    assert statuses[-1]["hr"] is None  # unknown, never invented


def test_state_round_trip_continues_identically() -> None:
    frames = hot_fast_run(minutes=30)
    whole = run_offline(frames, squad="s", athlete="a", profile=HOT_PROFILE)
    pipe = AthletePipeline("s", "a", HOT_PROFILE)
    s1, a1, _ = feed(pipe, frames[:1000])
    saved = json.loads(json.dumps(pipe.state_dict()))
    restored = AthletePipeline.from_state(saved)
    s2, a2, _ = feed(restored, frames[1000:])
    s2 += restored.flush().statuses
    assert s1 + s2 == whole.statuses
    assert a1 + a2 == whole.alerts


def test_memory_does_not_grow_with_run_length() -> None:
    pipe = AthletePipeline("s", "a", EASY_PROFILE, PipelineConfig(history_s=600))
    feed(pipe, easy_cool_run(minutes=40))
    window = pipe.window()
    assert len(window) == 600
    assert all(len(g._pending_t) <= 12 for g in pipe._grids.values())


def test_streams_published_separately_line_up() -> None:
    """A gateway that sends each stream in its own batches (up to 600 samples) loses nothing."""
    frames = easy_cool_run(minutes=30)
    reference = run_offline(frames, squad="s", athlete="a", profile=EASY_PROFILE)
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    statuses: list[dict[str, object]] = []
    late = 0
    for i in range(0, len(frames), 300):
        chunk = frames[i : i + 300]
        for stream in ("hr", "pace", "cadence", "temp"):
            out = pipe.add_many((stream, f.t, v) for f in chunk for k, v in f.streams().items() if k == stream)
            statuses += out.statuses
            late += out.late
    statuses += pipe.flush().statuses
    assert late == 0
    assert statuses == reference.statuses


def test_single_samples_interleaved_by_stream_at_different_rates() -> None:
    frames = easy_cool_run(minutes=15)
    reference = run_offline(frames, squad="s", athlete="a", profile=EASY_PROFILE)
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    late = 0
    # cadence arrives in 5-second bursts, after the hr and pace of those seconds
    for i in range(0, len(frames), 5):
        chunk = frames[i : i + 5]
        for f in chunk:
            late += pipe.add_many((k, f.t, v) for k, v in f.streams().items() if k != "cadence").late
        for f in chunk:
            late += pipe.add("cadence", f.t, f.cadence or 0.0).late
    assert late == 0
    assert pipe.flush().statuses[-1] == reference.statuses[-1]


@pytest.mark.parametrize("zero", [False, True])
def test_window_speed_is_1000_over_pace_and_zero_when_slower_than_20_min_per_km(zero: bool) -> None:
    import numpy as np

    pipe = AthletePipeline("s", "a", EASY_PROFILE, PipelineConfig(history_s=60))
    paces = [330.0, 1200.0, 1200.5, 5000.0, 0.1] + ([0.0] if zero else [])
    frames = [Frame(t=T0 + i, hr=150.0, pace=paces[i % len(paces)], cadence=170.0) for i in range(200)]
    frames[77] = Frame(t=T0 + 77, hr=150.0, cadence=170.0)  # no pace: held
    for f in frames:
        pipe.add_many(((n, f.t, v) for n, v in f.streams().items()), frames=True)
    w = pipe.window()
    pace = pipe._grids["pace"].last(60)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(pace > 1200.0, 0.0, 1000.0 / pace)
    assert w.speed.tobytes() == expected.tobytes() and len(w) == 60  # the ring (60 s) has wrapped
    assert w.hr.tobytes() == np.full(60, 150.0).tobytes()
    assert np.isinf(w.speed).any() if zero else np.isfinite(w.speed).all()

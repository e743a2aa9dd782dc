"""Event time (issues 10.3, 10.4, 11.3): a second is judged as soon as every stream has reported past it; quiet
gateways are released; implausible jumps never move a session; backlogs are merged. Pure, no broker."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from monitor.core.pipeline import AthletePipeline, Output, PipelineConfig, run_offline
from simulators.frame import Frame
from tests.runs import EASY_PROFILE, HOT_PROFILE, T0, easy_cool_run, hot_fast_run


def by_frame(pipe: AthletePipeline, frames: list[Frame]) -> Output:
    out = Output()
    for f in frames:
        out.extend(pipe.add_many(((k, f.t, v) for k, v in f.streams().items()), frames=True))
    return out


def by_stream(pipe: AthletePipeline, frames: list[Frame], batch: int) -> Output:
    """Each stream in its own messages of ``batch`` seconds (hr, pace, cadence, temp), split where a stream's time
    goes back, as the publisher does."""
    out = Output()
    for i in range(0, len(frames), batch):
        chunk = frames[i : i + batch]
        for stream in ("hr", "pace", "cadence", "temp"):
            part: list[tuple[str, float, float]] = []
            for f in chunk:
                v = getattr(f, stream)
                if v is None:
                    continue
                if part and f.t < part[-1][1]:
                    out.extend(pipe.add_many(part))
                    part = []
                part.append((stream, f.t, v))
            if part:
                out.extend(pipe.add_many(part))
    return out


def test_a_frame_completes_its_second_at_once() -> None:
    frames = hot_fast_run(minutes=3)
    pipe = AthletePipeline("s", "a", HOT_PROFILE)
    for f in frames:
        out = pipe.add_many(((k, f.t, v) for k, v in f.streams().items()), frames=True)
        if int(f.t - T0) % 5 == 0:
            assert [s["t"] for s in out.statuses] == [f.t]  # judged on the frame's arrival, no lateness wait
        else:
            assert out.statuses == []
    assert pipe.late_dropped == 0


def test_reordered_and_duplicated_frames_give_the_same_statuses_as_frames_or_per_stream_batches() -> None:
    """Determinism across batching: frames one by one, frame lists and per-stream batches of the same deliveries
    (some frames late by 1-3 positions, some twice) give identical statuses and alerts."""
    clean = hot_fast_run(minutes=30)
    deliveries = list(clean)
    for k in (100, 700, 1300):  # frame k arrives three frames late
        deliveries.insert(k + 3, deliveries.pop(k))
    for k in (400, 1500):  # and a duplicate
        deliveries.insert(k + 2, deliveries[k])
    one = AthletePipeline("s", "a", HOT_PROFILE)
    a = by_frame(one, deliveries)
    a.extend(one.flush())
    per_stream = AthletePipeline("s", "a", HOT_PROFILE)
    b = by_stream(per_stream, deliveries, batch=10)
    b.extend(per_stream.flush())
    assert a.statuses == b.statuses and a.alerts == b.alerts
    assert a.alerts, "the run warrants alerts"
    moved = [clean[k] for k in (100, 700, 1300)]
    twice = [deliveries[k] for k in (400, 1500)]
    assert one.late_dropped == sum(len(f.streams()) for f in moved + twice)  # the late and the repeated frames
    assert per_stream.late_dropped > 0


def test_quiet_release_judges_the_held_seconds_and_only_what_would_be_judged_anyway() -> None:
    frames = [replace(f, temp=None) for f in easy_cool_run(minutes=5)]  # no temperature: the grid waits
    cut = 200
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    before = by_stream(pipe, frames[:cut], batch=1)
    held_from = before.statuses[-1]["t"]
    assert held_from < frames[cut - 1].t - 5  # seconds held back for lateness (temp never reported)
    released = pipe.release()
    assert [s["t"] for s in released.statuses] == list(range(int(held_from) + 5, int(frames[cut - 1].t) + 1, 5))
    after = by_stream(pipe, frames[cut:], batch=1)
    after.extend(pipe.flush())
    reference = AthletePipeline("s", "a", EASY_PROFILE)
    whole = by_stream(reference, frames, batch=1)
    whole.extend(reference.flush())
    assert before.statuses + released.statuses + after.statuses == whole.statuses
    assert pipe.late_dropped == 0


def test_a_forged_far_future_sample_never_moves_the_session() -> None:
    frames = hot_fast_run(minutes=20)
    reference = run_offline(frames, squad="s", athlete="a", profile=HOT_PROFILE)
    pipe = AthletePipeline("s", "a", HOT_PROFILE)
    out = by_frame(pipe, frames[:300])
    for forged in (T0 + 890, T0 + 5_000, 1e10):
        out.extend(pipe.add("hr", forged, 150.0))  # one stray sample far ahead of the run
        out.extend(by_frame(pipe, frames[300:301]))
    out.extend(by_frame(pipe, frames[301:]))
    out.extend(pipe.flush())
    assert out.future == ["hr", "hr", "hr"]
    assert out.sessions_ended == 0 and pipe.session_start == T0
    assert out.statuses == reference.statuses and out.alerts == reference.alerts


def test_a_pause_then_resume_is_confirmed_by_the_next_message() -> None:
    frames = easy_cool_run(minutes=10)
    resumed = frames[:200] + [replace(f, t=f.t + 120) for f in frames[200:]]  # a 2-minute pause
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    out = by_frame(pipe, resumed)
    assert out.future == [] and out.sessions_ended == 0
    assert out.statuses[-1]["elapsed_s"] == resumed[-1].t - T0 - (resumed[-1].t - T0) % 5
    assert pipe.late_dropped == 0


def test_a_sparse_gateway_is_never_rejected_as_future_time() -> None:
    """A frame every 45 s (a watch in low-power mode), and a real run's pause of 132 s, one frame, 85 s more: each
    jump is confirmed by the next message landing after it, none is "future time" (that was 54 of 57 samples)."""
    sparse = [Frame(t=T0 + 45 * i, hr=150.0, pace=330.0, cadence=170.0) for i in range(20)]
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    out = by_frame(pipe, sparse)
    out.extend(pipe.flush())
    assert out.future == [] and out.sessions_ended == 0 and pipe.samples == 3 * len(sparse)
    frames = easy_cool_run(minutes=10)
    one = replace(frames[200], t=frames[200].t + 132)
    paused = [*frames[:200], one, *(replace(f, t=f.t + 217) for f in frames[201:])]
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    out = by_frame(pipe, paused)
    out.extend(pipe.flush())
    whole = AthletePipeline("s", "a", EASY_PROFILE)
    lists = whole.add_many([(k, f.t, v) for f in paused for k, v in f.streams().items()], frames=True)
    lists.extend(whole.flush())
    assert out.future == [] and pipe.late_dropped == 0 and pipe.samples == sum(len(f.streams()) for f in paused)
    assert out.statuses == lists.statuses


def test_a_stream_batch_ahead_of_the_others_after_a_dropout_is_confirmed_by_them() -> None:
    """Per-stream batches of 120 s after a 56-s heart-rate dropout: the hr batch starts more than 30 s ahead of the
    athlete's newest time and waits; the pace batch of the same two minutes catches up with it and confirms it
    (it was rejected as "future time" when the next hr batch came). Same statuses as frames."""
    frames = [replace(f, hr=None) if 240 <= i < 296 else f for i, f in enumerate(hot_fast_run(minutes=12))]
    reference = AthletePipeline("s", "a", HOT_PROFILE)
    a = by_frame(reference, frames)
    a.extend(reference.flush())
    pipe = AthletePipeline("s", "a", HOT_PROFILE)
    b = by_stream(pipe, frames, batch=120)
    b.extend(pipe.flush())
    assert b.future == [] and pipe.late_dropped == 0
    assert [s["t"] for s in b.statuses] == [s["t"] for s in a.statuses]
    assert [s["hr"] for s in b.statuses] == [s["hr"] for s in a.statuses]


def test_a_backlog_older_than_the_lateness_is_merged_into_the_gaps() -> None:
    frames = easy_cool_run(minutes=6)
    gap = range(100, 160)
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    by_frame(pipe, [f for i, f in enumerate(frames) if i not in gap])
    window_before = pipe.window()
    assert int(sum(window_before.hr != window_before.hr)) > 40  # the gap shows as NaN seconds
    out = by_frame(pipe, [frames[i] for i in gap])  # redelivered later, out of order by minutes
    assert out.late == 0 and out.merged == sum(len(frames[i].streams()) for i in gap)
    window = pipe.window()
    assert int(sum(window.hr != window.hr)) == 0


def test_session_state_live_then_finished_and_buffers_released() -> None:
    frames = easy_cool_run(minutes=2)
    pipe = AthletePipeline("s", "a", EASY_PROFILE, PipelineConfig())
    out = by_frame(pipe, frames)
    assert {s["session_state"] for s in out.statuses} == {"live"}
    end = pipe.stop(frames[-1].t)
    final: dict[str, Any] = end.statuses[-1]
    assert final["session_state"] == "finished" and final["t"] == int(frames[-1].t)
    assert pipe._grids == {}  # a finished session's buffers are released


def test_state_round_trip_keeps_the_last_status_so_a_restored_session_still_finishes() -> None:
    import json

    frames = easy_cool_run(minutes=2)[:101]  # ends on a tick second: the final status is the last tick's
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    by_frame(pipe, frames)
    restored = AthletePipeline.from_state(json.loads(json.dumps(pipe.state_dict())))
    a, b = pipe.stop(frames[-1].t), restored.stop(frames[-1].t)
    assert a.statuses == b.statuses and b.statuses[-1]["session_state"] == "finished"

"""``AthletePipeline.add_frames`` (``run_offline``'s fast path for in-order frames) gives exactly what the general
path gives — each frame its own ``add_many(..., frames=True)`` message — on runs with gaps, jumps, reordered and
repeated frames, two sessions, a plan, empty and partial frames, odd configurations: the same statuses, alerts and
counts, and the same pipeline state afterwards. Equality against the general path, never hard-coded numbers."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from monitor.core.pipeline import AthletePipeline, Output, PipelineConfig, run_offline
from processors.profile import SessionPlan
from simulators.frame import Frame
from tests.runs import EASY_PROFILE, HOT_PROFILE, T0, easy_cool_run, hot_fast_run

_GENERAL = AthletePipeline.add_many


def _general(
    frames: list[Frame], config: PipelineConfig | None = None, plan: SessionPlan | None = None
) -> tuple[AthletePipeline, Output]:
    """The path ``run_offline`` took before ``add_frames``: one ``add_many`` message per frame."""
    pipe = AthletePipeline("s", "a", HOT_PROFILE, config)
    out = Output()
    if plan is not None and frames:
        out.extend(pipe.start(min(f.t for f in frames), plan))
    for f in frames:
        out.extend(pipe.add_many(((k, f.t, v) for k, v in f.streams().items()), frames=True))
    out.extend(pipe.flush())
    return pipe, out


def _fast(
    frames: list[Frame], config: PipelineConfig | None = None, plan: SessionPlan | None = None
) -> tuple[AthletePipeline, Output, int]:
    """``add_frames`` as ``run_offline`` calls it; also how many frames took the general path."""
    pipe = AthletePipeline("s", "a", HOT_PROFILE, config)
    general = 0

    def counted(samples, *, frames=False):  # type: ignore[no-untyped-def]
        nonlocal general
        general += 1
        return _GENERAL(pipe, samples, frames=frames)

    out = Output()
    if plan is not None and frames:
        out.extend(pipe.start(min(f.t for f in frames), plan))
    pipe.add_many = counted  # type: ignore[method-assign]
    pipe.add_frames(frames, out)
    out.extend(pipe.flush())
    return pipe, out, general


def _state(pipe: AthletePipeline) -> str:
    return json.dumps(pipe.state_dict(), sort_keys=True)  # NaN as NaN: compares equal as text


def _same(frames: list[Frame], config: PipelineConfig | None = None, plan: SessionPlan | None = None) -> int:
    """Assert both paths agree on everything; returns how many frames took the general path."""
    ref_pipe, ref = _general(frames, config, plan)
    pipe, out, general = _fast(frames, config, plan)
    assert out.statuses == ref.statuses
    assert [repr(a) for a in out.alerts] == [repr(a) for a in ref.alerts]
    counts = (out.late, out.merged, out.sessions_ended, out.future)
    assert counts == (ref.late, ref.merged, ref.sessions_ended, ref.future)
    assert len(out.tick_seconds) == len(ref.tick_seconds)  # as many ticks
    assert (pipe.samples, pipe.late_dropped) == (ref_pipe.samples, ref_pipe.late_dropped)
    assert _state(pipe) == _state(ref_pipe)
    result = run_offline(frames, squad="s", athlete="a", profile=HOT_PROFILE, config=config, plan=plan)
    assert (result.statuses, result.alerts, result.late) == (ref.statuses, ref.alerts, ref.late)
    return general


def _mixed(seed: int, minutes: float = 12) -> list[Frame]:
    """A run with everything a file may hold: out-of-order and repeated frames, gaps, a missing stream, empty
    frames, fractional times, a pause, a forged far-future frame."""
    rng = np.random.default_rng(seed)
    frames = [replace(f, t=f.t + 0.25) if i % 97 == 0 else f for i, f in enumerate(hot_fast_run(minutes, seed))]
    frames = [f for i, f in enumerate(frames) if not 200 <= i < 215]  # a 15-s gap
    frames = [replace(f, hr=None) if 300 <= i < 340 else f for i, f in enumerate(frames)]  # a strap dropout
    for k in rng.integers(20, len(frames) - 5, 6):  # late by 1-4 frames
        frames.insert(int(k) + int(rng.integers(1, 5)), frames.pop(int(k)))
    for k in rng.integers(20, len(frames) - 5, 3):  # repeated
        frames.insert(int(k) + 2, frames[int(k)])
    frames.insert(310, Frame(t=frames[309].t + 35.0, hr=150.0))  # ahead in the dropout: confirmed by the others
    warm = next(i for i in range(250, 300) if frames[i].temp is not None)
    frames.insert(warm + 1, Frame(t=frames[warm].t + 40.0, temp=31.0))  # ahead, confirmed once time catches up
    frames.insert(400, Frame(t=frames[399].t + 0.5))  # empty
    frames.insert(450, Frame(t=frames[449].t + 5000.0, hr=150.0))  # forged, far ahead
    cut = 500
    return frames[:cut] + [replace(f, t=f.t + 95.0) for f in frames[cut:]]  # a pause: a jump, confirmed


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_mixed_run_gives_what_the_general_path_gives(seed: int) -> None:
    frames = _mixed(seed)
    general = _same(frames)
    assert 10 < general < len(frames) // 5  # the fast path took most frames; the odd ones (and those while a
    # jump is held) the general one


def test_two_sessions_a_plan_and_a_second_that_is_never_completed() -> None:
    one = hot_fast_run(minutes=8)
    two = [replace(f, t=f.t + len(one) + 700.0) for f in easy_cool_run(minutes=6)]  # silence > the time-out
    frames = one + two
    frames[-1] = replace(frames[-1], t=frames[-1].t + 0.75)
    _same(frames)
    _same(frames, plan=SessionPlan("tempo", 290.0))
    _, out, _ = _fast(frames)
    finished = [i for i, s in enumerate(out.statuses) if s["session_state"] == "finished"]
    assert out.sessions_ended == 1 and 0 < len(finished) == 1 and finished[0] < len(out.statuses) - 1


@pytest.mark.parametrize(
    "config",
    [
        PipelineConfig(lateness_s=0.0),
        PipelineConfig(max_jump_s=2.0),  # every second gap is a held jump
        PipelineConfig(max_jump_s=900.0, session_timeout_s=60.0),  # the time-out before the jump limit
        PipelineConfig(tick_s=7, history_s=60),
        PipelineConfig(lateness_s=math.nan),  # passes the config's check; the general path never catches up
    ],
    ids=["no-lateness", "short-jump", "short-timeout", "odd-tick", "nan-lateness"],
)
def test_other_configurations(config: PipelineConfig) -> None:
    frames = _mixed(4, minutes=10)
    frames.insert(100, replace(frames[99], t=frames[99].t + config.max_jump_s))  # exactly at the jump limit
    frames.insert(200, replace(frames[199], t=frames[199].t + 61.0))  # a gap just past the short time-out
    _same(frames, config)


def test_slow_and_sparse_streams_and_frames_between_seconds() -> None:
    """Temperature alone in some frames, several frames within a second, a frame every 45 s."""
    frames = [Frame(t=T0 + 0.3 * i, hr=140.0 + i % 7, cadence=170.0) for i in range(400)]
    frames += [Frame(t=T0 + 130.0 + 2 * i, temp=20.0 + i % 3) for i in range(30)]
    frames += [Frame(t=T0 + 200.0 + 45 * i, hr=150.0, pace=330.0, cadence=170.0) for i in range(10)]
    _same(frames)


def test_a_clean_run_takes_the_fast_path_after_its_first_frame() -> None:
    frames = easy_cool_run(minutes=5)
    assert _same(frames) == 1
    assert _same([]) == 0
    pipe = AthletePipeline("s", "a", EASY_PROFILE)
    assert run_offline([], squad="s", athlete="a", profile=EASY_PROFILE).statuses == []
    assert pipe.samples == 0

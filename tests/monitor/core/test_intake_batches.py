"""The intake's shortcuts for messages of many samples (the live path: a gateway's 60-frame lists, per-stream
batches) decide exactly what the plain loops decided: a reference pipeline with the loops as they were gets the same
messages, and every output and the whole state after each message are compared."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from monitor.core.eventtime import HeldJump, Sample, split_ahead
from monitor.core.pipeline import AthletePipeline, Output, PipelineConfig
from simulators.frame import Frame
from tests.runs import HOT_PROFILE, hot_fast_run


class _Reference(AthletePipeline):
    """``add_many``'s split, ``_put`` and ``_advance`` as they were before their shortcuts."""

    def add_many(self, samples, *, frames=False):  # type: ignore[no-untyped-def]
        out = Output()
        items = list(samples)
        ahead: list[Sample] = []
        held = self._held
        if self.session_start is None:
            near = items
        else:
            newest = self._max_t if math.isfinite(self._max_t) else self.session_start
            near, ahead = split_ahead(items, newest, self.config.max_jump_s)
        if held.samples and self._confirms(held, near, ahead):
            self._held = HeldJump()
            self._put(held.samples, self._held_frames, out)
            self._put(near, frames, out)
            near, ahead = split_ahead(ahead, self._max_t, self.config.max_jump_s)
        elif held.samples and (ahead or held.contradicted_by(near)):
            out.future.extend(s for s, _, _ in held.samples)
            self._held = HeldJump()
        self._take(near, frames, out)
        if ahead:
            self._held = HeldJump(ahead)
            self._held_frames = frames
        return out

    def _put(self, items: list[Sample], frames: bool, out: Output) -> None:
        if len(items) > 1:
            spans: dict[str, tuple[float, float]] = {}
            for stream, t, _ in items:
                lo, hi = spans.get(stream, (t, t))
                spans[stream] = (min(lo, t), max(hi, t))
            self._max_span = max(self._max_span, *(hi - lo for lo, hi in spans.values()))
        for stream, t, value in items:
            self._add(stream, t, value, out, frames)

    def _advance(self, target: int, out: Output) -> None:
        tick = self.config.tick_s
        phase = self._tick_phase()
        for s in range(self._filled + 1, target + 1):
            for grid in self._grids.values():
                grid.fill(s)
            self._filled = s
            if s % tick == phase:
                self._tick(s, out)


def _messages(seed: int) -> list[tuple[list[Sample], bool]]:
    """A run as a gateway might send it: frame lists of 1-90 frames (some shuffled, some repeated, some late),
    per-stream batches, a jump ahead, a pause longer than the session time-out, a lone far-future sample."""
    rng = np.random.default_rng(seed)
    frames: list[Frame] = hot_fast_run(minutes=20, seed=seed)
    frames = (
        frames[:500]
        + [replace(f, t=f.t + 45.0) for f in frames[500:900]]
        + [replace(f, t=f.t + 800.0) for f in frames[900:]]
    )
    out: list[tuple[list[Sample], bool]] = []
    i = 0
    while i < len(frames):
        n = int(rng.choice([1, 5, 30, 60, 60, 90]))
        chunk = frames[i : i + n]
        i += n
        if rng.random() < 0.25:  # per-stream batches of the chunk
            for stream in ("hr", "pace", "cadence", "temp"):
                part = [(stream, f.t, v) for f in chunk if (v := getattr(f, stream)) is not None]
                if part:
                    out.append((part, False))
            continue
        samples = [(k, f.t, v) for f in chunk for k, v in f.streams().items()]
        if rng.random() < 0.2:
            order = rng.permutation(len(samples))
            samples = [samples[k] for k in order]
        out.append((samples, True))
        if rng.random() < 0.1:  # the same message again, or a late part of it
            out.append((samples[: int(rng.integers(1, len(samples) + 1))], True))
        if rng.random() < 0.05:
            out.append(([("hr", chunk[-1].t + 5000.0, 150.0)], False))
    return out


def _state(pipe: AthletePipeline) -> str:
    return json.dumps(pipe.state_dict(), sort_keys=True)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("config", [PipelineConfig(), PipelineConfig(max_jump_s=5.0, session_timeout_s=40.0)])
def test_messages_give_what_the_plain_loops_gave(seed: int, config: PipelineConfig) -> None:
    pipe, ref = AthletePipeline("s", "a", HOT_PROFILE, config), _Reference("s", "a", HOT_PROFILE, config)
    statuses = 0
    for samples, frames in _messages(seed):
        a, b = pipe.add_many(list(samples), frames=frames), ref.add_many(list(samples), frames=frames)
        assert (a.statuses, [repr(x) for x in a.alerts]) == (b.statuses, [repr(x) for x in b.alerts])
        assert (a.late, a.merged, a.sessions_ended, a.future) == (b.late, b.merged, b.sessions_ended, b.future)
        assert _state(pipe) == _state(ref)
        statuses += len(a.statuses)
    a, b = pipe.flush(), ref.flush()
    assert a.statuses == b.statuses and _state(pipe) == _state(ref)
    assert statuses > 100 and pipe.late_dropped > 0

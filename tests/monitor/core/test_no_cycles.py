"""A pipeline makes no reference cycles: reference counting alone frees an athlete's state, which is what lets
``monitor.gcguard`` move it out of the collector's way (issue 11, latency)."""

from __future__ import annotations

import gc
import weakref

from monitor.core.pipeline import AthletePipeline, Output
from tests.runs import HOT_PROFILE, hot_fast_run


def test_an_athletes_pipeline_leaves_no_cyclic_garbage() -> None:
    frames = hot_fast_run(minutes=40)  # hot and fast: warnings and alerts are made too
    gc.collect()
    gc.disable()
    try:
        pipe = AthletePipeline("s", "a", HOT_PROFILE)
        alerts = 0
        for f in frames:
            out: Output = pipe.add_many((name, f.t, v) for name, v in f.streams().items())
            alerts += len(out.alerts)
        state = pipe.state_dict()  # mid-session: a restored pipeline holds an engine too
        restored = AthletePipeline.from_state(state)
        engines = [weakref.ref(pipe._engine), weakref.ref(restored._engine)]
        pipe.stop(frames[-1].t + 1)
        del pipe, restored, out, state
        assert [ref() for ref in engines] == [None, None]  # freed by reference counting alone (collector off)
        assert gc.collect() == 0  # and nothing the run made waits for the collector
    finally:
        gc.enable()
    assert alerts > 0  # the run exercised the alert policy

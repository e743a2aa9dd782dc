"""The status is built in one pass (no deep copy) and encoded with orjson — same document as before."""

from __future__ import annotations

import dataclasses
import json
import math
import tracemalloc

import numpy as np
import orjson

from monitor.core.pipeline import STATUS_KEYS, AthletePipeline, _clean, encode_status
from processors.indicators import Indicators
from tests.runs import HOT_PROFILE, hot_fast_run


def _reference(pipe: AthletePipeline, ind: Indicators) -> dict[str, object]:
    """What the pipeline published before: the indicators through the recursive ``_clean``."""
    raw = {"t": ind.t, "squad": pipe.squad, "athlete": pipe.athlete}
    raw.update({k: getattr(ind, k) for k in STATUS_KEYS[3:]})
    raw.update({f.name: getattr(ind, f.name) for f in dataclasses.fields(Indicators) if f.name not in raw})
    raw["session_start"] = pipe.session_start
    raw["session_state"] = "live"  # issue 10.3
    raw["plan"] = pipe.plan.plan  # today's plan (issue 9.2)
    raw["target_pace"] = pipe.plan.target_pace
    raw["name"] = pipe.profile.name
    return dict(_clean(raw))


def test_awkward_values_match_the_reference() -> None:
    pipe = AthletePipeline("club", "ann", HOT_PROFILE)
    pipe.add("hr", 1000.0, 150.0)
    ind = Indicators(
        t=1005.123456789,
        elapsed_s=5.0,
        hr=math.nan,
        pace=math.inf,
        cadence=np.float64(171.123456),
        stride_m=-math.inf,
        factors={"heat": 0.123456789, "pace": math.nan, "n": np.float64(2.5)},
        hr_zone_s=[1.0, 2.000001, math.nan],
        hr_unreliable=np.bool_(True),  # type: ignore[arg-type]
        values={"hr_bpm": None, "temp_c": 12.345678},
    )
    status = pipe._status(ind)
    assert status == _reference(pipe, ind)
    assert list(status) == list(_reference(pipe, ind))  # same key order
    assert status["cadence"] == 171.1235 and status["hr"] is None and status["pace"] is None
    assert status["factors"] == {"heat": 0.1235, "pace": None, "n": 2.5}
    assert status["hr_unreliable"] is True
    assert ind.factors["pace"] != ind.factors["pace"]  # the indicators were not modified


def test_statuses_of_a_run_match_the_reference_and_encode_the_same() -> None:
    pipe = AthletePipeline("club", "ann", HOT_PROFILE)
    seen: list[tuple[Indicators, dict[str, object]]] = []
    engine_tick = None

    frames = hot_fast_run(minutes=25)
    statuses: list[dict[str, object]] = []
    pipe.start(frames[0].t)  # the engine exists before the first frame, which completes its second at once
    for f in frames:
        if engine_tick is None and pipe._engine is not None:
            engine = pipe._engine
            engine_tick = engine.tick

            def capture(window, _tick=engine_tick):  # type: ignore[no-untyped-def]
                ind = _tick(window)
                seen.append((ind, {}))
                return ind

            engine.tick = capture  # type: ignore[method-assign]
        statuses += pipe.add_many((name, f.t, v) for name, v in f.streams().items()).statuses
    assert len(seen) > 250 and len(statuses) == len(seen)  # one status per tick, in order
    for (ind, _), status in zip(seen, statuses, strict=True):
        assert status == _reference(pipe, ind)
        assert orjson.loads(encode_status(status)) == json.loads(json.dumps(status, allow_nan=False))


def test_an_encoded_status_holds_no_more_heap_than_its_length() -> None:
    """orjson returns its output in its write buffer, never shrunk (16 KB for a 1.7-KB status); a status waiting in
    the outbox held all of it (the direct publisher's RSS growth in the soak, docs/performance.md)."""
    frames = hot_fast_run(minutes=6)
    pipe = AthletePipeline("club", "ann", HOT_PROFILE)
    statuses = []
    for f in frames:
        statuses += pipe.add_many((name, f.t, v) for name, v in f.streams().items()).statuses
    status = statuses[-1]
    tracemalloc.start()
    try:
        payload = encode_status(status)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(payload) > 1000
    assert held < len(payload) + 256, (held, len(payload))

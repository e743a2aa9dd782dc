"""Session ids (``monitor/store/base.py``): the pipeline's exact session start and the start a status carries
(4 decimals) name the same session, so a live session with a start in microseconds is one row, not two."""

from __future__ import annotations

import json
import random
from pathlib import Path

from monitor.core.pipeline import AthletePipeline
from monitor.store import Step, session_id
from monitor.store.sqlite import SqliteStore
from tests.runs import EASY_PROFILE, easy_cool_run


def test_the_exact_start_and_the_status_copy_give_one_id() -> None:
    rng = random.Random(1)
    starts = [1_796_114_227 + rng.random() for _ in range(2000)]
    assert all(session_id("c", "a", t) == session_id("c", "a", round(t, 4)) for t in starts)
    assert session_id("club", "ann", 1732400000.25) == "club.ann.1732400000250"  # ms starts keep their ids


async def test_a_live_session_started_in_microseconds_is_one_session(tmp_path: Path) -> None:
    t0 = 1_796_114_227.449491  # its ms id differed from that of round(t0, 4) = ...227.4495
    frames = [f.__class__(t=f.t - f.t // 1 + t0 + i, hr=f.hr, pace=f.pace, cadence=f.cadence, temp=f.temp)
              for i, f in enumerate(easy_cool_run(minutes=1))]  # fmt: skip
    pipe = AthletePipeline("club", "qq", EASY_PROFILE)
    store = SqliteStore(str(tmp_path / "s.db"))
    await store.open()
    try:
        for f in frames:  # what the service records: the exact start, the statuses as the pipeline made them
            out = pipe.add_many([(k, f.t, v) for k, v in f.streams().items()], frames=True)
            payload = json.dumps({"t": f.t, **f.streams()}).encode()
            store.record_step(Step("club", "qq", "frame", payload, pipe.session_start, tuple(out.statuses)))
        assert await store.flush(10.0)
        rows = await store.sessions()
        assert [r.id for r in rows] == [session_id("club", "qq", t0)]
        assert rows[0].distance_m is not None and rows[0].distance_m > 0
    finally:
        await store.close()

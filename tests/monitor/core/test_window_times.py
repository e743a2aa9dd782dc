"""AthletePipeline.window's times (a view of a read-only array of grid seconds, remade once a minute) are the
values np.arange made every tick, bit for bit, and never change under a window already handed out: as the window
grows, slides, jumps over a gap, through a restore from state and a new session."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.core.pipeline import AthletePipeline
from processors.profile import Profile
from processors.window import Window


def _arange_t(pipe: AthletePipeline, w: Window) -> np.ndarray:
    end = pipe._filled + 1
    return np.arange(end - w.t.shape[0], end, dtype=np.float64)


@pytest.mark.parametrize("t0", [1_700_000_000.0, 0.0, 37.5])
def test_window_times_are_arange_and_stay(t0: float) -> None:
    rng = np.random.default_rng(int(t0) % 1000)
    pipe = AthletePipeline("sq", "a", Profile(hr_max=190))
    seen: list[tuple[Window, bytes]] = []
    t = t0
    for k in range(1500):
        t += 1.0 if rng.random() > 0.01 else float(rng.integers(2, 40))  # now and then a gap
        pipe.add_many([("hr", t, 150.0 + rng.normal()), ("pace", t, 300.0), ("cadence", t, 170.0)])
        if k == 700:  # a restore: the new pipeline remakes its seconds
            pipe = AthletePipeline.from_state(pipe.state_dict())
        if pipe.session_start is None or pipe._filled < 0:
            continue
        w = pipe.window()
        assert w.t.tobytes() == _arange_t(pipe, w).tobytes()
        assert not w.t.flags.writeable
        seen.append((w, w.t.tobytes()))
    assert len(seen) > 1000
    assert {len(w) for w, _ in seen} >= {600}
    for w, b in seen:  # no later tick changed the times of a window handed out earlier
        assert w.t.tobytes() == b

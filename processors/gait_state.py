"""What the athlete is doing right now: running, walking or stopped (the gate for gait and form advice)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from processors._util import MOVING_MIN_SPEED, recent_median
from processors.clean import CleanTail
from processors.gait import RUN_MIN_CADENCE
from processors.registry import Context, Processor, register

GaitMode = Literal["running", "walking", "stopped", "unknown"]
#: Below this many steps/min nobody is walking either: standing, or the watch counting nothing.
MIN_STEP_CADENCE: Final = 30.0
#: Without a cadence, slower than this (m/s, 8:46/km) is taken as walking: a brisk walk reaches ~1.9 m/s, a slow
#: jog starts around 2 m/s (the walk–run transition speed is ~2 m/s; Hreljac 1993).
WALK_MAX_SPEED: Final = 1.9


@dataclass(frozen=True, slots=True)
class GaitState:
    """``mode`` now, since when (event time) and whether the last ``steady_s`` seconds were all running."""

    mode: GaitMode
    since: float | None = None
    steady: bool = False

    def seconds(self, now: float) -> float:
        """How long the current mode has lasted (0 when unknown)."""
        if self.since is None:
            return 0.0
        d = now - self.since
        return d if d > 0.0 else 0.0  # max(0.0, d) as it picks, without the call

    @property
    def running(self) -> bool:
        return self.mode == "running"


def classify(speed: float | None, cadence: float | None) -> GaitMode:
    """Running, walking or stopped from the recent median speed (m/s) and cadence (steps/min, both feet).

    Step rate separates the gaits best: walking is ~100–130 steps/min, running (even a slow jog) 150 and up
    (:data:`~processors.gait.RUN_MIN_CADENCE` = 140 in between). Speed decides when cadence is unknown, and
    "stopped" needs no steps (a traffic light, a toilet stop), or no speed and no cadence stream.

    >>> classify(3.2, 172.0), classify(1.5, 112.0), classify(0.0, 0.0), classify(0.0, 96.0)
    ('running', 'walking', 'stopped', 'walking')
    >>> classify(2.6, None), classify(1.4, None), classify(None, None)
    ('running', 'walking', 'unknown')
    """
    if cadence is not None:
        if cadence < MIN_STEP_CADENCE:
            return "stopped" if speed is None or speed < WALK_MAX_SPEED else "unknown"
        return "running" if cadence >= RUN_MIN_CADENCE else "walking"
    if speed is None:
        return "unknown"
    if speed < MOVING_MIN_SPEED:
        return "stopped"
    return "walking" if speed < WALK_MAX_SPEED else "running"


def _run_start(tail: CleanTail, mode: GaitMode, now: float) -> float:
    """When the current mode began, as far as the cleaned tail shows: the first second of the trailing run of
    seconds classified the same way (a second without data does not break the run)."""
    if mode == "unknown" or len(tail) == 0:
        return now
    start = now
    for t, v, c in zip(
        reversed(tail.t.tolist()), reversed(tail.speed.tolist()), reversed(tail.cadence_rough.tolist()), strict=True
    ):
        m = classify(None if v != v else v, None if c != c else c)
        if m == "unknown":
            continue
        if m != mode:
            break
        start = t
    return float(start)


class GaitStateNow(Processor):
    """``gait_state``: running, walking, stopped (or unknown) from the medians of the last ``recent_s`` cleaned
    seconds of speed and cadence (:func:`classify`), with the event time the mode began and ``steady``: running
    through the last ``steady_s`` seconds with the speed within ±10 % of its median. Walk breaks, stops and
    standing at a light change cadence and pace on purpose; the alert policy gives no stride or form advice
    unless the athlete runs, and the fatigue measures use steady running only (science.md, gait; Hanley et al.
    2020).

    >>> import numpy as np
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> spd = np.concatenate([np.full(100, 3.2), np.full(40, 1.5)])
    >>> cad = np.concatenate([np.full(100, 170.0), np.full(40, 114.0)])
    >>> compute("gait_state", Window.from_arrays(t=np.arange(140.0), speed=spd, cadence=cad)).mode
    'walking'
    """

    symbol = "gait_state"
    name = "Gait state (running / walking / stopped)"
    units = "mode"
    source = "science.md (gait: walk breaks and stops are not fatigue); Hreljac 1993 (walk-run transition)"
    depends = ("clean",)

    def __init__(self, recent_s: int = 15, steady_s: int = 60) -> None:
        if not 5 <= recent_s <= 30 or not 20 <= steady_s <= 60:
            raise ValueError("need 5 <= recent_s <= 30 and 20 <= steady_s <= 60")
        self.recent_s = recent_s
        self.steady_s = steady_s
        self._value = GaitState("unknown")

    def update(self, ctx: Context) -> None:
        tail: CleanTail = ctx.results["clean"]
        now = ctx.window.now
        half = max(3, self.recent_s // 2)
        mode = classify(
            recent_median(tail.speed, self.recent_s, half), recent_median(tail.cadence_rough, self.recent_s, half)
        )
        last = self._value
        since = last.since
        if mode != last.mode or since is None:
            since = _run_start(tail, mode, now)
        steady = mode == "running" and self._steady(tail)
        if mode != last.mode or since != last.since or steady != last.steady:  # else the same (immutable) state
            self._value = GaitState(mode, since, steady)

    def _steady(self, tail: CleanTail) -> bool:
        if tail.t.shape[0] < self.steady_s:  # len(tail)
            return False
        v: list[float] = tail.speed[-self.steady_s :].tolist()
        s: float = sum(v)
        if s != s:  # a gap (NaN; or both infinities, which fail the band below anyway). It must be looked for:
            return False  # sorted() leaves a NaN where it stands
        v.sort()
        med = v[len(v) // 2]
        if med <= 0 or v[0] < 0.9 * med or v[-1] > 1.1 * med:
            return False
        running = int(np.count_nonzero(tail.cadence_rough[-self.steady_s :] >= RUN_MIN_CADENCE))  # NaN: False
        return running >= 0.9 * self.steady_s

    def get(self) -> GaitState:
        return self._value

    def state_dict(self) -> dict[str, Any]:
        return {"mode": self._value.mode, "since": self._value.since, "steady": self._value.steady}

    def load_state(self, state: dict[str, Any]) -> None:
        mode = state.get("mode", "unknown")
        since = state.get("since")
        self._value = GaitState(
            mode if mode in ("running", "walking", "stopped") else "unknown",
            None if since is None else float(since),
            bool(state.get("steady", False)),
        )


register(GaitStateNow)

"""The input of one processor tick: an athlete's recent history resampled to a 1 Hz event-time grid."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

STREAMS = ("hr", "speed", "cadence", "temp")


@dataclass(slots=True)
class Window:
    """One athlete's recent history on a 1 Hz grid ending at ``t[-1]`` (the live pipeline hands the last 10
    minutes; the engine's processors keep longer memory in their own state).

    Units: ``hr`` bpm, ``speed`` m/s (0.0 when the athlete is stopped or walking slower than 20 min/km),
    ``cadence`` steps/min (both feet), ``temp`` °C. A missing value is NaN: gaps stay gaps, nothing is
    interpolated across them. ``t`` is event time (Unix seconds), strictly increasing by 1 s.
    ``session_start`` is the event time the session began; ``elapsed`` = ``t[-1] - session_start``.
    """

    t: FloatArray
    hr: FloatArray
    speed: FloatArray
    cadence: FloatArray
    temp: FloatArray
    session_start: float
    #: ``t[-1]`` (``session_start`` when empty) and ``now - session_start``: read by most processors every tick,
    #: so set once here (plain attributes, not properties)
    now: float = field(init=False, repr=False, compare=False)
    elapsed: float = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        t: FloatArray,
        hr: FloatArray,
        speed: FloatArray,
        cadence: FloatArray,
        temp: FloatArray,
        session_start: float,
    ) -> None:
        """The dataclass's own ``__init__`` and ``__post_init__`` in one: the same checks and errors. Not frozen
        (a frozen dataclass sets each field with ``object.__setattr__``, and mypyc compiles no frozen class with
        its own ``__init__``); nothing writes a window's fields after this."""
        n = t.shape[0]
        shape = (n,)
        if not hr.shape == speed.shape == cadence.shape == temp.shape == shape:
            for name, x in zip(STREAMS, (hr, speed, cadence, temp), strict=True):
                if x.shape != shape:
                    raise ValueError(f"window stream {name!r} has shape {x.shape}, expected ({n},)")
        now = float(t[-1]) if n else session_start
        self.t = t
        self.hr = hr
        self.speed = speed
        self.cadence = cadence
        self.temp = temp
        self.session_start = session_start
        self.now = now
        self.elapsed = now - session_start

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @classmethod
    def from_arrays(
        cls,
        *,
        t: FloatArray,
        hr: FloatArray | None = None,
        speed: FloatArray | None = None,
        cadence: FloatArray | None = None,
        temp: FloatArray | None = None,
        session_start: float | None = None,
    ) -> Window:
        """Build a window, filling absent streams with NaN (handy in tests).

        >>> w = Window.from_arrays(t=np.arange(10.0), hr=np.full(10, 150.0))
        >>> w.elapsed, bool(np.isnan(w.speed).all())
        (9.0, True)
        """
        t = np.asarray(t, dtype=np.float64)

        def arr(x: FloatArray | None) -> FloatArray:
            return np.full(t.shape, np.nan) if x is None else np.asarray(x, dtype=np.float64)

        start = float(t[0]) if session_start is None and t.size else (session_start or 0.0)
        return cls(t=t, hr=arr(hr), speed=arr(speed), cadence=arr(cadence), temp=arr(temp), session_start=start)

"""A recorded run as read from a file: NumPy arrays in SI / contract units plus the device's own summary.

Every reader (FIT, TCX, GPX, CSV) returns a :class:`Recording`. Units: ``t`` Unix seconds (event time),
``hr`` bpm, ``speed`` m/s, ``cadence`` steps/min (both feet, already doubled from strides where the file
stores strides), ``temp`` °C, ``distance`` metres, cumulative from the start of the recording (FIT and TCX:
the device's own counter). A value the file does not have at a sample is NaN; nothing is interpolated.
``altitude`` (m) is a side series beside the frames, for post-run indicators only (grade-adjusted pace): the
v1 contract's frames carry no altitude, so :meth:`Recording.frames` never sends it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from monitor.core.wire import RANGES
from simulators.frame import Frame

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Pace (s/km) above which the contract reads "not running".
NOT_RUNNING_PACE = 1200.0
#: Pace sent for a stopped athlete (speed 0 or too slow to be on the wire): the slowest plausible pace.
STOPPED_PACE = RANGES["pace"][1]
ARRAYS = ("hr", "speed", "cadence", "temp", "distance")


@dataclass(frozen=True, slots=True)
class DeviceSummary:
    """What the watch itself reported for a session or a lap (``None`` where the file does not say).

    ``duration_s`` is timer (moving) time, ``avg_cadence_spm`` is in steps/min (converted from the file's
    strides/min), ``start`` is the Unix time the lap or session began, ``ascent_m``/``descent_m`` the total
    climb and descent (FIT ``total_ascent``/``total_descent``).
    """

    label: str
    start: float | None = None
    duration_s: float | None = None
    distance_m: float | None = None
    avg_hr_bpm: float | None = None
    max_hr_bpm: float | None = None
    avg_cadence_spm: float | None = None
    avg_speed_m_s: float | None = None
    ascent_m: float | None = None
    descent_m: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "start": self.start,
            "duration_s": self.duration_s,
            "distance_m": self.distance_m,
            "avg_hr_bpm": self.avg_hr_bpm,
            "max_hr_bpm": self.max_hr_bpm,
            "avg_cadence_spm": self.avg_cadence_spm,
            "avg_speed_m_s": self.avg_speed_m_s,
            "ascent_m": self.ascent_m,
            "descent_m": self.descent_m,
        }


@dataclass(slots=True)
class Recording:
    """One recorded run. All arrays have the length of ``t``; ``t`` is non-decreasing.

    >>> rec = Recording.from_columns("x.csv", "csv", t=[0.0, 1.0], hr=[150.0, float("nan")], speed=[2.5, 0.0])
    >>> [f.streams() for f in rec.frames()]
    [{'hr': 150.0, 'pace': 400.0}, {'pace': 3600.0}]
    """

    source: str
    format: str
    t: FloatArray
    hr: FloatArray
    speed: FloatArray
    cadence: FloatArray
    temp: FloatArray
    distance: FloatArray
    #: Session summary as the device stored it (FIT ``session``; TCX: the laps combined), if any.
    device: DeviceSummary | None = None
    #: Per-lap summaries as the device stored them (FIT ``lap``, TCX ``Lap``), in order.
    laps: list[DeviceSummary] = field(default_factory=list)
    #: Lap number (0-based, index into ``laps``) of every sample; -1 outside any lap. Empty: no laps.
    lap_of: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: Device / creator name when the file names it (e.g. "fenix5", "Polar M400").
    creator: str | None = None
    #: Sport as the file states it (e.g. "running"), lower case.
    sport: str | None = None
    #: Intervals ``(start, end)`` (Unix s) in which the device's timer was stopped (FIT timer events): pauses
    #: the watch itself declared; they count for nothing in the summary.
    pauses: list[tuple[float, float]] = field(default_factory=list)
    #: What the reader could not use, by reason (e.g. ``{"record without timestamp": 3}``): counted, never
    #: dropped silently.
    skipped: dict[str, int] = field(default_factory=dict)
    #: The athlete as the file describes them (FIT ``user_profile``/``zones_target``), contract profile field
    #: names (``sex``, ``age``, ``mass_kg``, ``height_cm``, ``hr_rest``, ``hr_max``); empty when the file says
    #: nothing.
    athlete: dict[str, Any] = field(default_factory=dict)
    #: Altitude (m) per sample when the file records it (FIT ``enhanced_altitude``/``altitude``, TCX
    #: ``AltitudeMeters``, GPX ``ele``), NaN where a sample has none; empty when the file has no altitude at all.
    #: Not part of the frames (the contract has no altitude stream): post-run use only.
    altitude: FloatArray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        n = self.t.shape[0]
        for name in ARRAYS:
            if getattr(self, name).shape != (n,):
                shape = getattr(self, name).shape
                raise ValueError(f"recording array {name!r} has shape {shape}, expected ({n},)")
        if self.lap_of.shape[0] == 0 and self.laps:
            self.lap_of = laps_by_time(self.t, [lap.start for lap in self.laps])
        if self.lap_of.shape[0] not in (0, n):
            raise ValueError(f"recording lap_of has {self.lap_of.shape[0]} entries, expected {n}")
        if self.altitude.shape not in ((0,), (n,)):
            raise ValueError(f"recording altitude has shape {self.altitude.shape}, expected (0,) or ({n},)")

    @classmethod
    def from_columns(
        cls,
        source: str,
        fmt: str,
        *,
        t: ArrayLike,
        hr: ArrayLike | None = None,
        speed: ArrayLike | None = None,
        cadence: ArrayLike | None = None,
        temp: ArrayLike | None = None,
        distance: ArrayLike | None = None,
        lap_of: ArrayLike | None = None,
        device: DeviceSummary | None = None,
        laps: list[DeviceSummary] | None = None,
        creator: str | None = None,
        sport: str | None = None,
        pauses: list[tuple[float, float]] | None = None,
        skipped: dict[str, int] | None = None,
        athlete: dict[str, Any] | None = None,
        altitude: ArrayLike | None = None,
    ) -> Recording:
        """Build from lists or arrays (missing columns become all-NaN; a missing or all-NaN ``altitude``
        becomes empty: no altitude); rows are sorted by time (stable)."""
        times = np.asarray(t, dtype=np.float64)
        n = times.shape[0]
        raw = {"hr": hr, "speed": speed, "cadence": cadence, "temp": temp, "distance": distance, "altitude": altitude}
        arrays = {k: np.full(n, np.nan) if v is None else np.asarray(v, dtype=np.float64) for k, v in raw.items()}
        laps_arr = np.zeros(0, dtype=np.int64) if lap_of is None else np.asarray(lap_of, dtype=np.int64)
        if n > 1 and bool(np.any(np.diff(times) < 0)):
            order = np.argsort(times, kind="stable")
            times = times[order]
            arrays = {k: v[order] if v.shape == (n,) else v for k, v in arrays.items()}
            if laps_arr.shape[0] == n:
                laps_arr = laps_arr[order]
        return cls(
            source=source,
            format=fmt,
            t=times,
            hr=arrays["hr"],
            speed=arrays["speed"],
            cadence=arrays["cadence"],
            temp=arrays["temp"],
            distance=arrays["distance"],
            device=device,
            laps=[] if laps is None else laps,
            lap_of=laps_arr,
            creator=creator,
            sport=sport,
            pauses=[] if pauses is None else pauses,
            skipped={} if skipped is None else skipped,
            athlete={} if athlete is None else athlete,
            altitude=arrays["altitude"] if bool(np.isfinite(arrays["altitude"]).any()) else np.zeros(0),
        )

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def has_altitude(self) -> bool:
        """Whether the file recorded altitude (at some samples at least)."""
        return len(self) > 0 and int(self.altitude.shape[0]) == len(self)

    @property
    def start(self) -> float:
        return float(self.t[0]) if len(self) else math.nan

    @property
    def end(self) -> float:
        return float(self.t[-1]) if len(self) else math.nan

    def shifted(self, offset: float) -> Recording:
        """The same run with every time moved by ``offset`` seconds (for replaying at "now")."""
        laps = [_shift_summary(lap, offset) for lap in self.laps]
        device = None if self.device is None else _shift_summary(self.device, offset)
        pauses = [(a + offset, b + offset) for a, b in self.pauses]
        return replace(self, t=self.t + offset, laps=laps, device=device, pauses=pauses)

    def frames(self) -> list[Frame]:
        """The run as contract frames, one per sample that has at least one plausible stream.

        Speed becomes pace (s/km); speed 0 or slower than 1000/3600 m/s becomes pace 3600 ("not running",
        contract: above 1200). Values outside the contract's plausible ranges are left out of the frame rather
        than sent to be rejected. A gap in the recording (pause) simply has no frames.
        """
        out: list[Frame] = []
        for i in range(len(self)):
            t = float(self.t[i])
            if not math.isfinite(t) or t < 0:
                continue
            values = {
                "hr": _plausible("hr", self.hr[i]),
                "pace": _plausible("pace", speed_to_pace(float(self.speed[i]))),
                "cadence": _plausible("cadence", self.cadence[i]),
                "temp": _plausible("temp", self.temp[i]),
            }
            if any(v is not None for v in values.values()):
                out.append(Frame(t=t, **values))
        return out


def laps_by_time(t: FloatArray, starts: list[float | None]) -> IntArray:
    """Lap of each sample from lap start times: lap k holds ``starts[k] <= t < starts[k+1]``; -1 before lap 0.

    >>> laps_by_time(np.array([0.0, 5.0, 10.0, 15.0]), [0.0, 10.0]).tolist()
    [0, 0, 1, 1]
    """
    out = np.full(t.shape[0], -1, dtype=np.int64)
    for k, start in enumerate(starts):
        if start is not None:
            out[t >= start] = k
    return out


def speed_to_pace(speed: float) -> float:
    """Speed (m/s) to pace (s/km); stopped (0, or slower than the slowest wire pace) → :data:`STOPPED_PACE`.

    NaN stays NaN (unknown is not "stopped").

    >>> speed_to_pace(2.5), speed_to_pace(0.0), speed_to_pace(0.1)
    (400.0, 3600.0, 3600.0)
    """
    if math.isnan(speed):
        return math.nan
    if speed * STOPPED_PACE <= 1000.0:
        return STOPPED_PACE
    return 1000.0 / speed


def _plausible(stream: str, value: float | np.floating[Any]) -> float | None:
    v = float(value)
    lo, hi = RANGES[stream]
    if not math.isfinite(v) or not lo <= v <= hi:
        return None
    return v


def _shift_summary(s: DeviceSummary, offset: float) -> DeviceSummary:
    return replace(s, start=None if s.start is None else s.start + offset)


def speed_from_distance(t: FloatArray, distance: FloatArray) -> FloatArray:
    """Forward-difference speed from cumulative distance; the last sample repeats the one before."""
    n = t.shape[0]
    out = np.full(n, np.nan)
    if n < 2:
        return out
    dt = np.diff(t)
    dd = np.diff(distance)
    with np.errstate(divide="ignore", invalid="ignore"):
        fwd = np.where(dt > 0, dd / dt, np.nan)
    fwd = np.where(fwd < 0, np.nan, fwd)
    out[:-1] = fwd
    out[-1] = fwd[-1]
    return out

"""Whole-run (or per-lap) summary of a :class:`Recording`, computed the way watches compute theirs.

Time weighting (nearest-sample hold)
    Every instant between two samples takes the value of the nearer sample: each sample holds for half the
    interval before it and half the interval after it. This is sample-and-hold without the half-interval lag
    of a forward hold, so a watch that records irregularly ("smart recording", 1-9 s apart) is not biased
    towards the moments it happened to write, nor towards the start of a rise. On 1 s data it equals a plain
    mean.
Pauses and gaps (the hold limit)
    An interval between two samples is *held* (counts as recorded time) when it is at most
    :data:`HOLD_LIMIT_S` (10 s) long, or at most :data:`MOVING_HOLD_LIMIT_S` (60 s) long with the athlete
    moving (speed > :data:`MOVING_SPEED` m/s) at both ends (a smart-recording watch writes sparsely while
    nothing changes). Any other interval is a pause (auto-pause, timer stopped, signal lost) and counts for
    nothing: not in ``duration_s``, not in any average.
Ranges
    ``summarize(rec, start, end)`` covers the samples with ``start <= t < end``; ``summarize(rec, lap=k)`` the
    samples the file puts in lap ``k`` (TCX: the trackpoints inside the ``Lap`` element; FIT: by lap start
    time). Each sample brings its own weight, so the interval straddling two laps is split between them.

Keys (the contract's ``analyze --json`` summary, plus one):

- ``duration_s``: recorded (moving/timer) time: the sum of the held intervals.
- ``distance_m``: the file's own cumulative distance when it has one: its value at the last sample of the
  range minus its value at the last sample before the range (0 before the first sample: the counter starts
  with the recording). Without one: speed integrated over the held intervals.
- ``avg_hr_bpm``: time-weighted over the held time where HR was measured (missing HR counts for nothing, it
  is never taken as 0). ``max_hr_bpm``: the highest recorded value. A value outside the contract's plausible
  range (:data:`HR_RANGE`, 25-250 bpm, the range the monitor accepts) is no measurement: a strap dropout an
  export writes as 0, an "invalid" 255.
- ``avg_cadence_spm``: time-weighted, steps/min; intervals where the cadence is 0 at both ends (standing
  still) count for nothing, a start or a stop counts half (matches Garmin's FIT summaries).
- ``avg_cadence_nonzero_spm`` (addition): time-weighted over samples with cadence > 0 only (Polar's
  convention for its lap ``Cadence``).
- ``avg_pace_s_per_km``: 1000 x ``duration_s`` / ``distance_m`` (recorded time over distance, as watches do).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from simulators.readers.recording import BoolArray, FloatArray, Recording

#: Heart rates outside it are not measurements (the contract's plausible range, ``monitor.core.wire.RANGES``).
HR_RANGE = (25.0, 250.0)

#: An interval between samples longer than this (s) is a pause, unless the athlete is moving at both ends.
HOLD_LIMIT_S = 10.0
#: Longest interval (s) still held when the athlete is moving at both ends of it.
MOVING_HOLD_LIMIT_S = 60.0
#: Speed (m/s) above which the athlete counts as moving for :data:`MOVING_HOLD_LIMIT_S`.
MOVING_SPEED = 0.5
#: The contract's summary keys, in order.
SUMMARY_KEYS = (
    "duration_s",
    "distance_m",
    "avg_hr_bpm",
    "max_hr_bpm",
    "avg_cadence_spm",
    "avg_pace_s_per_km",
)


@dataclass(frozen=True, slots=True)
class Summary:
    """Contract ``analyze --json`` summary (keys in :data:`SUMMARY_KEYS`) plus ``avg_cadence_nonzero_spm``;
    ``None`` where unknown."""

    duration_s: float
    distance_m: float | None
    avg_hr_bpm: float | None
    max_hr_bpm: float | None
    avg_cadence_spm: float | None
    avg_pace_s_per_km: float | None
    avg_cadence_nonzero_spm: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def held_intervals(t: FloatArray, speed: FloatArray | None = None) -> BoolArray:
    """Which of the ``len(t) - 1`` intervals between samples count as recorded time (see module docstring).

    >>> held_intervals(np.array([0.0, 1.0, 4.0, 30.0, 31.0])).tolist()
    [True, True, False, True]
    >>> held_intervals(np.array([0.0, 20.0, 40.0]), np.array([3.0, 3.0, 0.0])).tolist()
    [True, False]
    """
    dt = np.diff(t)
    held = (dt > 0) & (dt <= HOLD_LIMIT_S)
    if speed is not None and speed.shape[0] >= 2:
        moving = np.nan_to_num(speed, nan=0.0) > MOVING_SPEED
        held |= (dt > 0) & (dt <= MOVING_HOLD_LIMIT_S) & moving[:-1] & moving[1:]
    return held


def paused_intervals(t: FloatArray, pauses: list[tuple[float, float]]) -> BoolArray:
    """Which intervals between samples fall in a pause the device declared (its timer stopped): those whose
    midpoint lies inside a ``(start, end)`` pause.

    >>> paused_intervals(np.array([0.0, 1.0, 2.0, 3.0]), [(1.0, 2.5)]).tolist()
    [False, True, False]
    """
    out = np.zeros(max(t.shape[0] - 1, 0), dtype=bool)
    if not pauses or t.shape[0] < 2:
        return out
    mid = (t[:-1] + t[1:]) / 2.0
    for start, end in pauses:
        out |= (mid > start) & (mid < end)
    return out


def recorded_until(rec: Recording, at: FloatArray) -> FloatArray:
    """Recorded seconds of ``rec`` up to each time in ``at``: the held intervals (what ``duration_s`` sums) cut
    there; 0 before the first sample, ``duration_s`` after the last.

    >>> from simulators.readers.recording import Recording
    >>> rec = Recording.from_columns("x", "csv", t=[0, 1, 2, 30, 31], hr=[140] * 5)
    >>> recorded_until(rec, np.array([-1.0, 1.5, 20.0, 30.5, 99.0])).tolist()
    [0.0, 1.5, 2.0, 2.5, 3.0]
    """
    t = rec.t
    if t.shape[0] < 2:
        return np.zeros(at.shape[0])
    held = held_intervals(t, rec.speed) & ~paused_intervals(t, rec.pauses)
    cumulative = np.concatenate(([0.0], np.cumsum(np.where(held, np.diff(t), 0.0))))
    return np.asarray(np.interp(at, t, cumulative), dtype=float)


def sample_weights(t: FloatArray, held: BoolArray) -> FloatArray:
    """Seconds each sample stands for: half of each held interval on either side (nearest-sample hold).

    >>> sample_weights(np.array([0.0, 2.0, 4.0, 30.0]), np.array([True, True, False])).tolist()
    [1.0, 2.0, 1.0, 0.0]
    """
    w = np.zeros(t.shape[0])
    if t.shape[0] < 2:
        return w
    half = np.where(held, np.diff(t) / 2.0, 0.0)
    w[:-1] += half
    w[1:] += half
    return w


def summarize(
    rec: Recording, start: float | None = None, end: float | None = None, *, lap: int | None = None
) -> Summary:
    """Summary over samples with ``start <= t < end``, or over the samples of lap ``lap`` (0-based, as the
    file assigns them), or over the whole recording.

    >>> from simulators.readers.recording import Recording
    >>> rec = Recording.from_columns("x", "csv", t=[0, 1, 3, 4], hr=[100, 160, 120, 130], speed=[2, 3, 3, 3])
    >>> s = summarize(rec)
    >>> s.duration_s, s.avg_hr_bpm, s.max_hr_bpm, s.distance_m
    (4.0, 133.75, 160.0, 11.5)
    """
    t = rec.t
    if lap is not None:
        if rec.lap_of.shape[0] != t.shape[0]:
            raise ValueError(f"{rec.source}: recording has no laps")
        mask = rec.lap_of == lap
    else:
        mask = np.ones(t.shape[0], dtype=bool)
        if start is not None:
            mask &= t >= start
        if end is not None:
            mask &= t < end
    held = held_intervals(t, rec.speed) & ~paused_intervals(t, rec.pauses)
    w = np.where(mask, sample_weights(t, held), 0.0)

    duration = float(w.sum())
    distance = _distance(rec, mask, w)
    pace = 1000.0 * duration / distance if distance is not None and distance > 0 and duration > 0 else None
    lo, hi = HR_RANGE
    heart = np.where((rec.hr >= lo) & (rec.hr <= hi), rec.hr, np.nan)  # NaN (missing) stays NaN
    hr = heart[mask]

    cad = rec.cadence
    zero = cad == 0
    standing = zero[:-1] & zero[1:]
    w_cad = np.where(mask, sample_weights(t, held & ~standing), 0.0)
    return Summary(
        duration_s=duration,
        distance_m=distance,
        avg_hr_bpm=_avg(heart, w),
        max_hr_bpm=float(np.nanmax(hr)) if bool(np.any(np.isfinite(hr))) else None,
        avg_cadence_spm=_avg(cad, w_cad),
        avg_pace_s_per_km=pace,
        avg_cadence_nonzero_spm=_avg(np.where(zero, np.nan, cad), w),
    )


def _avg(x: FloatArray, w: FloatArray) -> float | None:
    ok = np.isfinite(x) & (w > 0)
    den = float(w[ok].sum())
    if den <= 0:
        return None
    return float((x[ok] * w[ok]).sum() / den)


def _distance(rec: Recording, mask: BoolArray, w: FloatArray) -> float | None:
    d = rec.distance
    inside = np.flatnonzero(mask & np.isfinite(d))
    if inside.size:
        last = float(d[inside[-1]])
        lo = int(np.flatnonzero(mask)[0])
        before = np.flatnonzero(np.isfinite(d[:lo]))
        first = float(d[before[-1]]) if before.size else 0.0
        return max(last - first, 0.0)
    if bool(np.any(np.isfinite(d))):
        return 0.0 if bool(mask.any()) else None
    ok = np.isfinite(rec.speed) & (w > 0)
    if not bool(ok.any()):
        return None
    value = float((rec.speed[ok] * w[ok]).sum())
    return value if math.isfinite(value) else None

"""What the watch reports of the true signals: noise, quantisation, dropouts, optical-HR artefacts (spikes and
cadence lock), a sparse temperature stream, and imperfect delivery (duplicates, late frames).

Every value stays inside the contract's plausible ranges, so every frame passes ``monitor.core.wire`` validation;
the imperfections are the kind a real gateway sends, not malformed payloads.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from simulators.frame import Frame
from simulators.runner.athlete import Sensors
from simulators.runner.model import Trace

Artefact = tuple[str, float, float]
MIN_SPEED = 1000.0 / 3600.0  # m/s; slower reads as pace 3600 s/km ("not running")


def _ar1(rng: np.random.Generator, n: int, sd: float, corr_s: float) -> NDArray[np.float64]:
    """Zero-mean AR(1) noise with standard deviation ``sd`` and correlation time ``corr_s`` seconds."""
    out = np.zeros(n)
    if n == 0 or sd == 0.0:
        return out
    a = math.exp(-1.0 / corr_s)
    eps = rng.standard_normal(n) * sd * math.sqrt(1 - a * a)
    x = float(rng.standard_normal() * sd)
    for i in range(n):
        x = a * x + float(eps[i])
        out[i] = x
    return out


def _episodes(
    rng: np.random.Generator, n: int, per_h: float, mean_s: float, allowed: NDArray[np.bool_] | None = None
) -> list[tuple[int, int]]:
    """Poisson-many episodes ``[i0, i1)`` with exponential durations (2 s to 5 min), optionally starting only
    where ``allowed``."""
    if n == 0 or per_h <= 0:
        return []
    count = int(rng.poisson(per_h * n / 3600.0))
    candidates = np.flatnonzero(allowed) if allowed is not None else np.arange(n)
    out: list[tuple[int, int]] = []
    for _ in range(count):
        if candidates.size == 0:
            break
        i0 = int(rng.choice(candidates))
        length = int(min(300.0, max(2.0, rng.exponential(mean_s))))
        out.append((i0, min(n, i0 + length)))
    return out


def observe(trace: Trace, sensors: Sensors, rng: np.random.Generator) -> tuple[list[Frame], list[Artefact]]:
    """Frames as the gateway delivers them (1 Hz, temperature every ``temp_every`` s), plus the artefacts."""
    n = int(trace.t.shape[0])
    t = trace.t
    artefacts: list[Artefact] = []
    running = trace.running()

    # heart rate
    optical = sensors.hr == "optical"
    if optical:
        hr = trace.hr + _ar1(rng, n, sensors.hr_noise, 8.0)
    else:
        hr = trace.hr + rng.standard_normal(n) * sensors.hr_noise / 2.0
    if optical:
        for i0, _ in _episodes(rng, n, sensors.spike_per_h, 1.0):
            hr[i0] += float(rng.choice([-1.0, 1.0]) * rng.uniform(25, 60))
            artefacts.append(("hr_spike", float(t[i0]), float(t[i0])))

    # pace (GPS speed), cadence
    speed = trace.speed * (1.0 + _ar1(rng, n, sensors.pace_noise, 10.0))
    pace = np.round(np.minimum(3600.0, 1000.0 / np.maximum(speed, MIN_SPEED)), 1)
    cadence = trace.cadence + rng.standard_normal(n) * sensors.cadence_noise
    cadence = np.where(trace.cadence > 0.0, np.clip(np.round(cadence), 0.0, 250.0), 0.0)

    # cadence lock: the optical sensor reports the arm-swing rhythm (≈ cadence) as the heart rate
    if optical and sensors.cadence_lock_per_h > 0:
        lo, hi = sensors.cadence_lock_s
        for i0, _ in _episodes(rng, n, sensors.cadence_lock_per_h, 1.0, running):
            i1 = min(n, i0 + int(rng.uniform(lo, hi)))
            hr[i0:i1] = cadence[i0:i1] + rng.integers(-1, 2, size=i1 - i0)
            artefacts.append(("cadence_lock", float(t[i0]), float(t[i1 - 1])))
    hr = np.clip(np.round(hr), 30.0, 240.0)

    # temperature: a sparse, slowly sampled stream
    temp = np.full(n, np.nan)
    lo, hi = sensors.temp_every
    bias = float(rng.normal(0.0, sensors.temp_noise))
    i = 0
    while i < n:
        reading = trace.temp[i] + bias + rng.normal(0.0, sensors.temp_noise) if sensors.temp_noise else trace.temp[i]
        temp[i] = round(float(np.clip(reading, -30.0, 60.0)), 1)
        i += max(1, round(float(rng.uniform(lo, hi))))

    # dropouts per stream, whole-watch gaps
    present = {name: np.ones(n, dtype=bool) for name in ("hr", "pace", "cadence")}
    for name, mask in present.items():
        for i0, i1 in _episodes(rng, n, sensors.dropout_per_h, sensors.dropout_s):
            mask[i0:i1] = False
            artefacts.append((f"dropout_{name}", float(t[i0]), float(t[i1 - 1])))
    whole = np.ones(n, dtype=bool)
    for i0, i1 in _episodes(rng, n, sensors.gap_per_h, sensors.gap_s):
        whole[i0:i1] = False
        artefacts.append(("gap", float(t[i0]), float(t[i1 - 1])))

    frames: list[Frame] = []
    for k in range(n):
        if not whole[k]:
            continue
        f = Frame(
            t=float(t[k]),
            hr=float(hr[k]) if present["hr"][k] else None,
            pace=float(pace[k]) if present["pace"][k] else None,
            cadence=float(cadence[k]) if present["cadence"][k] else None,
            temp=None if math.isnan(temp[k]) else float(temp[k]),
        )
        if f.hr is not None or f.pace is not None or f.cadence is not None or f.temp is not None:
            frames.append(f)
    frames = _deliver(frames, sensors, rng, artefacts)
    artefacts.sort(key=lambda a: (a[1], a[0]))
    return frames, artefacts


def _deliver(frames: list[Frame], sensors: Sensors, rng: np.random.Generator, artefacts: list[Artefact]) -> list[Frame]:
    """Delivery order: some frames arrive twice, some arrive a few frames late."""
    if not frames or (sensors.duplicate_p == 0 and sensors.reorder_p == 0):
        return frames
    keyed: list[tuple[float, int, Frame]] = []  # (delivery position, tiebreak, frame)
    for k, frame in enumerate(frames):
        pos = float(k)
        if rng.random() < sensors.reorder_p:
            pos += float(rng.integers(1, 6)) + 0.5
            artefacts.append(("late", frame.t, frame.t))
        keyed.append((pos, len(keyed), frame))
        if rng.random() < sensors.duplicate_p:
            keyed.append((float(k) + float(rng.integers(0, 4)) + 0.25, len(keyed), frame))
            artefacts.append(("duplicate", frame.t, frame.t))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [frame for _, _, frame in keyed]

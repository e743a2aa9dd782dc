"""Turn sensor notifications into contract frames, one per second of the host clock (pure; no I/O).

Each notification is stamped with the host clock when it arrives (the sensors carry no time of their own). The
readings of one clock second make one frame ``{"t": second, "hr", "pace", "cadence", "temp"}`` with the latest
value of each stream in that second; a frame is complete when a notification of a later second arrives (or at
:meth:`FrameAssembler.flush`). Streams a second did not hear from are left out (the contract allows any
non-empty subset).

Units (contract): ``hr`` bpm; ``pace`` s/km from the pod's speed — a pod that stands still (below
:data:`STOPPED_MPS`) is published as :data:`STOPPED_PACE` (3600 s/km, the slowest plausible value: "not running",
never an error); ``cadence`` steps/min (both feet).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from monitor.gateway.ble_parse import HeartRate, RunningSpeedCadence

#: Below this speed (m/s; 1 km/h) the athlete is standing: pace is published as :data:`STOPPED_PACE`.
STOPPED_MPS = 1000.0 / 3600.0
#: Pace published while stopped: the slowest the contract accepts (above 1200 s/km means "not running").
STOPPED_PACE = 3600.0
#: Fastest plausible pace (contract): faster readings are clamped rather than rejected by the monitor.
FASTEST_PACE = 100.0


def pace_from_speed(speed_mps: float) -> float:
    """Contract pace (s/km) for a speed (m/s).

    >>> pace_from_speed(3.0), pace_from_speed(0.0), pace_from_speed(0.1)
    (333.3, 3600.0, 3600.0)
    """
    if not math.isfinite(speed_mps) or speed_mps < STOPPED_MPS:
        return STOPPED_PACE
    return round(max(FASTEST_PACE, min(STOPPED_PACE, 1000.0 / speed_mps)), 1)


@dataclass
class FrameAssembler:
    """Collects readings per host-clock second. ``cadence_factor`` 2 for sensors that report strides/min."""

    cadence_factor: int = 1
    temp: float | None = None  # ambient temperature to add once a minute (°C; BLE straps and pods have none)
    _second: int | None = None
    _values: dict[str, float] = field(default_factory=dict)
    _last_temp_second: int | None = None
    ignored_no_contact: int = 0

    def heart_rate(self, m: HeartRate, t: float) -> list[dict[str, Any]]:
        """Add a heart-rate reading at host time ``t``; return the frames completed by it."""
        if m.contact is False:  # the strap says it is not touching the skin: the value is not a heart rate
            self.ignored_no_contact += 1
            return self._advance(t)
        done = self._advance(t)
        if m.bpm > 0:
            self._values["hr"] = float(m.bpm)
        return done

    def running(self, m: RunningSpeedCadence, t: float) -> list[dict[str, Any]]:
        """Add a foot-pod reading at host time ``t``; return the frames completed by it."""
        done = self._advance(t)
        self._values["pace"] = pace_from_speed(m.speed_mps)
        self._values["cadence"] = float(min(260, m.cadence_per_min * self.cadence_factor))
        return done

    def flush(self) -> list[dict[str, Any]]:
        """The frame of the current second, if it has any reading (at the end of a session)."""
        if self._second is None or not self._values:
            return []
        frame: dict[str, Any] = {"t": float(self._second), **self._values}
        if self.temp is not None and (self._last_temp_second is None or self._second - self._last_temp_second >= 60):
            frame["temp"] = self.temp
            self._last_temp_second = self._second
        self._values = {}
        return [frame]

    def _advance(self, t: float) -> list[dict[str, Any]]:
        second = math.floor(t)
        if self._second is not None and second > self._second:
            done = self.flush()
            self._second = second
            return done
        if self._second is None:
            self._second = second
        return []

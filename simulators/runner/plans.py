"""Pace plans and courses: what the runner intends to run, second by second.

A plan gives a *target speed as a multiple of the athlete's training speed* (1.08 = 8 % faster than training
pace) as a function of elapsed time and distance, and the course grade under the runner's feet. The runner
model (:mod:`simulators.runner.model`) turns the intention into what the legs, heart and sensors actually do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal, get_args

PlanKind = Literal["even", "negative-split", "too-fast-start", "intervals", "hills"]
PLAN_KINDS: tuple[str, ...] = get_args(PlanKind)

#: Hard cap on any simulated run (a distance plan run by a walker ends here).
MAX_DURATION_S = 8 * 3600


def effort_cost(grade: float) -> float:
    """Energy cost of running on ``grade`` relative to flat ground (after Minetti et al. 2002, linearised for
    the −10 … +10 % range runners race on): uphill costs about 5.5x the grade more, downhill saves less.

    >>> effort_cost(0.0), round(effort_cost(0.05), 3), round(effort_cost(-0.05), 3)
    (1.0, 1.275, 0.85)
    """
    if grade >= 0.0:
        return 1.0 + 5.5 * grade
    return max(0.6, 1.0 + 3.0 * grade)


@dataclass(frozen=True, slots=True)
class Plan:
    """A pace plan. Speeds are multiples of the athlete's training speed.

    * ``even`` — ``speed`` throughout.
    * ``negative-split`` — first half ``split`` slower than ``speed``, second half ``split`` faster.
    * ``too-fast-start`` — ``start_speed`` over the first ``start_km``, then ``speed`` (the classic race
      error).
    * ``intervals`` — ``warmup_min`` at ``easy_speed``, ``reps`` x (``work_s`` at ``work_speed`` + ``rest_s``
      at ``rest_speed``), then ``cooldown_min`` at ``easy_speed``. A tempo run is one long rep.
    * ``hills`` — even effort at ``speed`` over rolling hills: ``hill_grade`` up and down, each slope
      ``hill_km`` long; the runner slows on climbs and speeds up on descents.

    The run ends after ``distance_km`` or ``duration_min`` (whichever is given; intervals end by themselves).

    >>> p = Plan(kind="too-fast-start", speed=1.0, start_speed=1.1, start_km=5, distance_km=21.1)
    >>> p.target(60.0, 1000.0), p.target(3000.0, 9000.0)
    (1.1, 1.0)
    >>> Plan(kind="intervals", reps=2, work_s=60, rest_s=60, warmup_min=1, cooldown_min=1).total_duration_s()
    360.0
    """

    kind: PlanKind = "even"
    speed: float = 1.0
    distance_km: float | None = None
    duration_min: float | None = None
    split: float = 0.04
    start_speed: float = 1.12
    start_km: float = 10.0
    easy_speed: float = 0.88
    work_speed: float = 1.25
    rest_speed: float = 0.75
    work_s: float = 180.0
    rest_s: float = 120.0
    reps: int = 6
    warmup_min: float = 15.0
    cooldown_min: float = 10.0
    hill_grade: float = 0.05
    hill_km: float = 0.8

    def __post_init__(self) -> None:
        if self.kind not in PLAN_KINDS:
            raise ValueError(f"unknown plan kind {self.kind!r} (one of {', '.join(PLAN_KINDS)})")
        speeds = (self.speed, self.start_speed, self.easy_speed, self.work_speed, self.rest_speed)
        if any(not 0.3 <= s <= 2.0 for s in speeds):
            raise ValueError("plan speeds are multiples of training speed between 0.3 and 2.0")
        if self.kind != "intervals" and self.distance_km is None and self.duration_min is None:
            raise ValueError(f"a {self.kind} plan needs distance_km or duration_min")
        if self.distance_km is not None and not 0.1 <= self.distance_km <= 200:
            raise ValueError("distance_km must be between 0.1 and 200")
        if self.duration_min is not None and not 1 <= self.duration_min <= MAX_DURATION_S / 60:
            raise ValueError(f"duration_min must be between 1 and {MAX_DURATION_S // 60}")
        if not 0.0 <= self.split <= 0.3 or not 0.0 <= self.hill_grade <= 0.15 or self.hill_km <= 0:
            raise ValueError("split must be 0-0.3, hill_grade 0-0.15, hill_km > 0")
        if self.start_km < 0 or self.reps < 0 or min(self.work_s, self.rest_s) < 0:
            raise ValueError("start_km, reps, work_s and rest_s must not be negative")
        if min(self.warmup_min, self.cooldown_min) < 0:
            raise ValueError("warmup_min and cooldown_min must not be negative")

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Plan:
        """Build from a TOML table; unknown keys are an error (typos must not pass silently)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown plan key {unknown[0]!r}")
        values = dict(data)
        for key in _NUMBER_KEYS:
            if key in values:
                values[key] = _number(key, values[key])
        if "reps" in values and (isinstance(values["reps"], bool) or not isinstance(values["reps"], int)):
            raise ValueError("plan key 'reps' must be an integer")
        if "kind" in values and not isinstance(values["kind"], str):
            raise ValueError("plan key 'kind' must be a string")
        return cls(**values)

    def total_duration_s(self) -> float | None:
        """Planned duration when it is fixed by time (intervals or ``duration_min``), else None."""
        if self.duration_min is not None:
            return self.duration_min * 60.0
        if self.kind == "intervals" and self.distance_km is None:
            return (self.warmup_min + self.cooldown_min) * 60.0 + self.reps * (self.work_s + self.rest_s)
        return None

    def _half(self, elapsed_s: float, distance_m: float) -> bool:
        """True in the second half (by distance if the plan has one, else by time)."""
        if self.distance_km is not None:
            return distance_m >= self.distance_km * 500.0
        total = self.total_duration_s() or 0.0
        return elapsed_s >= total / 2.0

    def target(self, elapsed_s: float, distance_m: float) -> float:
        """Intended speed (multiple of training speed) on flat ground at this point of the run."""
        if self.kind == "negative-split":
            return self.speed * (1.0 + self.split if self._half(elapsed_s, distance_m) else 1.0 - self.split)
        if self.kind == "too-fast-start":
            return self.start_speed if distance_m < self.start_km * 1000.0 else self.speed
        if self.kind == "intervals":
            warm = self.warmup_min * 60.0
            if elapsed_s < warm:
                return self.easy_speed
            into = elapsed_s - warm
            period = self.work_s + self.rest_s
            if period > 0 and into < self.reps * period:
                return self.work_speed if into % period < self.work_s else self.rest_speed
            return self.easy_speed
        return self.speed

    def grade(self, distance_m: float) -> float:
        """Course grade (rise/run) at ``distance_m``: flat except on the ``hills`` plan (a smooth rolling
        profile: up ``hill_km``, down ``hill_km``)."""
        if self.kind != "hills" or self.hill_grade == 0.0:
            return 0.0
        return self.hill_grade * math.sin(math.pi * distance_m / (self.hill_km * 1000.0))

    def finished(self, elapsed_s: float, distance_m: float) -> bool:
        if self.distance_km is not None and distance_m >= self.distance_km * 1000.0:
            return True
        total = self.total_duration_s()
        if total is not None and elapsed_s >= total:
            return True
        return elapsed_s >= MAX_DURATION_S


_NUMBER_KEYS = (
    "distance_km", "duration_min", "speed", "split", "start_speed", "start_km", "easy_speed", "work_speed",
    "rest_speed", "work_s", "rest_s", "warmup_min", "cooldown_min", "hill_grade", "hill_km",
)  # fmt: skip


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"plan key {key!r} must be a number")
    return float(value)

"""Who runs, in what weather, with which sensors: the inputs of the runner model besides the plan."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from processors.profile import Profile, SessionPlan
from simulators.runner.plans import Plan

Response = Literal["resume", "slow", "stretch", "walk", "stop"]
RESPONSES: tuple[str, ...] = get_args(Response)
HrSensor = Literal["optical", "chest"]

#: Default first event time of a simulated run (2024-11-23 22:13:20 UTC): fixed so runs are reproducible.
DEFAULT_START = 1_732_400_000.0
#: Training pace assumed when a profile has none (the model needs one; the published profile stays as given).
FALLBACK_TRAINING_PACE = 360.0


@dataclass(frozen=True, slots=True)
class Weather:
    """Air temperature over the day: a 24 h cosine between ``temp_min`` (at ``peak_hour`` − 12) and
    ``temp_max`` (at ``peak_hour``); the run starts at local ``start_hour``.

    >>> w = Weather(temp_min=10, temp_max=20, start_hour=15.0)
    >>> w.temp_at(0.0), round(w.temp_at(12 * 3600.0), 6)
    (20.0, 10.0)
    """

    temp_min: float = 12.0
    temp_max: float = 18.0
    start_hour: float = 9.0
    peak_hour: float = 15.0

    def __post_init__(self) -> None:
        if not -30 <= self.temp_min <= self.temp_max <= 50:
            raise ValueError("weather needs -30 <= temp_min <= temp_max <= 50 (°C)")
        if not 0 <= self.start_hour < 24 or not 0 <= self.peak_hour < 24:
            raise ValueError("start_hour and peak_hour are hours of the day, 0-24")

    def temp_at(self, elapsed_s: float) -> float:
        hour = self.start_hour + elapsed_s / 3600.0
        mid = (self.temp_max + self.temp_min) / 2.0
        amp = (self.temp_max - self.temp_min) / 2.0
        return mid + amp * math.cos(2.0 * math.pi * (hour - self.peak_hour) / 24.0)


@dataclass(frozen=True, slots=True)
class Traits:
    """What the simulator knows about a runner beyond the published profile.

    ``cadence`` steps/min at training speed; ``fade`` the fraction of speed lost when fully fatigued;
    ``drink_l_h`` fluid taken per hour; ``sweat`` a multiplier of the sweat-rate model; ``hr_offset`` shifts
    the HR-reserve response to intensity (fitter runners negative); ``stretches`` whether the runner stretches
    regularly; ``responses`` relative weights of what the runner does after a cramp.
    """

    cadence: float = 172.0
    fade: float = 0.08
    drink_l_h: float = 0.4
    sweat: float = 1.0
    hr_offset: float = 0.0
    stretches: bool = True
    training_pace: float | None = None  # true training pace when the published profile has none
    responses: dict[str, float] = field(
        default_factory=lambda: {"resume": 0.2, "slow": 0.2, "stretch": 0.35, "walk": 0.15, "stop": 0.1}
    )

    def __post_init__(self) -> None:
        if not 120 <= self.cadence <= 220:
            raise ValueError("traits.cadence must be 120-220 steps/min")
        if not 0 <= self.fade <= 0.5 or not 0 <= self.drink_l_h <= 2 or not 0.3 <= self.sweat <= 3:
            raise ValueError("traits: fade 0-0.5, drink_l_h 0-2, sweat 0.3-3")
        if not -0.2 <= self.hr_offset <= 0.2:
            raise ValueError("traits.hr_offset must be -0.2..0.2 (fraction of HR reserve)")
        if self.training_pace is not None and not 150 <= self.training_pace <= 1000:
            raise ValueError("traits.training_pace must be 150-1000 s/km")
        bad = sorted(set(self.responses) - set(RESPONSES))
        if bad or not self.responses or any(w < 0 for w in self.responses.values()):
            raise ValueError(f"traits.responses: non-negative weights for {', '.join(RESPONSES)}")
        if sum(self.responses.values()) <= 0:
            raise ValueError("traits.responses: at least one weight must be positive")


@dataclass(frozen=True, slots=True)
class Sensors:
    """Sensor and delivery imperfections. Rates are events per hour of running; probabilities per frame.

    ``cadence_lock_per_h``: optical-HR episodes in which the wrist sensor locks onto the arm swing and reports
    the cadence as the heart rate (HR ≈ cadence for ``cadence_lock_s`` seconds). ``gap_per_h``: whole-watch
    gaps (no frame at all). ``temp_every``: seconds between temperature readings (drawn uniformly).
    """

    hr: HrSensor = "optical"
    hr_noise: float = 2.0  # bpm sd
    pace_noise: float = 0.03  # relative sd of GPS speed
    cadence_noise: float = 1.0  # steps/min sd
    temp_noise: float = 0.3  # °C sd
    dropout_per_h: float = 1.0  # per stream (hr, pace, cadence)
    dropout_s: float = 15.0  # mean duration
    gap_per_h: float = 0.5
    gap_s: float = 20.0
    spike_per_h: float = 2.0  # optical HR spikes
    cadence_lock_per_h: float = 0.3
    cadence_lock_s: tuple[float, float] = (60.0, 240.0)
    duplicate_p: float = 0.002
    reorder_p: float = 0.002
    temp_every: tuple[float, float] = (30.0, 60.0)

    def __post_init__(self) -> None:
        if self.hr not in get_args(HrSensor):
            raise ValueError("sensors.hr must be 'optical' or 'chest'")
        rates = (self.dropout_per_h, self.gap_per_h, self.spike_per_h, self.cadence_lock_per_h)
        if any(not 0 <= r <= 120 for r in rates):
            raise ValueError("sensor rates are events per hour, 0-120")
        if not 0 <= self.duplicate_p <= 0.5 or not 0 <= self.reorder_p <= 0.5:
            raise ValueError("duplicate_p and reorder_p must be 0-0.5")
        noises = (self.hr_noise, self.cadence_noise, self.temp_noise)
        if any(not 0 <= n <= 20 for n in noises) or not 0 <= self.pace_noise <= 0.3:
            raise ValueError("sensor noise out of range")
        if min(self.dropout_s, self.gap_s) <= 0:
            raise ValueError("dropout_s and gap_s must be positive")
        lo, hi = self.cadence_lock_s
        if not 0 < lo <= hi:
            raise ValueError("cadence_lock_s is [min, max] seconds")
        lo, hi = self.temp_every
        if not 1 <= lo <= hi <= 600:
            raise ValueError("temp_every is [min, max] seconds, 1-600")

    @classmethod
    def clean(cls) -> Sensors:
        """Perfect sensors and delivery (still 1 Hz, temperature every 30–60 s)."""
        return cls(
            hr="chest", hr_noise=0.0, pace_noise=0.0, cadence_noise=0.0, temp_noise=0.0, dropout_per_h=0.0,
            gap_per_h=0.0, spike_per_h=0.0, cadence_lock_per_h=0.0, duplicate_p=0.0, reorder_p=0.0,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class AthleteSpec:
    """One simulated athlete: published profile, plan, hidden traits, sensors. ``cramp_at_min`` forces a cramp
    onset at that elapsed minute (for demos); otherwise onsets come from the hazard model."""

    id: str
    profile: Profile
    plan: Plan
    traits: Traits = field(default_factory=Traits)
    sensors: Sensors = field(default_factory=Sensors)
    start_offset_s: float = 0.0
    cramp_at_min: float | None = None

    @property
    def training_pace(self) -> float:
        """The runner's true training pace in s/km (published one, else hidden trait, else a fallback)."""
        if self.profile.training_pace is not None:
            return self.profile.training_pace
        if self.traits.training_pace is not None:
            return self.traits.training_pace
        return FALLBACK_TRAINING_PACE

    def session_plan(self) -> SessionPlan | None:
        """Today's plan as the runner's watch would announce it in the session start: an ``intervals`` plan is a
        ``tempo`` (one rep) or ``intervals`` session with the work pace as target; other plans announce nothing.

        >>> spec = AthleteSpec("x", Profile(training_pace=336.0), Plan(kind="intervals", reps=1, work_speed=1.12))
        >>> spec.session_plan()
        SessionPlan(plan='tempo', target_pace=300.0)
        >>> AthleteSpec("y", Profile(), Plan(duration_min=30)).session_plan() is None
        True
        """
        if self.plan.kind != "intervals" or self.plan.reps < 1:
            return None
        target = round(self.training_pace / self.plan.work_speed, 1)
        return SessionPlan(plan="tempo" if self.plan.reps == 1 else "intervals", target_pace=target)


def dataclass_from_mapping(cls: type[Any], data: dict[str, Any], what: str) -> Any:
    """Build a (frozen) dataclass from a TOML table: unknown keys and wrong types are errors (ValueError)."""
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"unknown {what} key {unknown[0]!r}")
    values: dict[str, Any] = {}
    for key, raw in data.items():
        default = getattr(cls(), key) if key not in ("responses",) else None
        if isinstance(default, bool):
            if not isinstance(raw, bool):
                raise ValueError(f"{what} key {key!r} must be true or false")
            values[key] = raw
        elif isinstance(default, tuple):
            if not (isinstance(raw, list) and len(raw) == 2 and all(_is_num(v) for v in raw)):
                raise ValueError(f"{what} key {key!r} must be [min, max]")
            values[key] = (float(raw[0]), float(raw[1]))
        elif isinstance(default, str):
            if not isinstance(raw, str):
                raise ValueError(f"{what} key {key!r} must be a string")
            values[key] = raw
        elif key == "responses":
            if not isinstance(raw, dict) or not all(_is_num(v) for v in raw.values()):
                raise ValueError(f"{what} key 'responses' must be a table of weights")
            values[key] = {str(k): float(v) for k, v in raw.items()}
        else:  # numbers (possibly optional)
            if not _is_num(raw):
                raise ValueError(f"{what} key {key!r} must be a number")
            values[key] = float(raw)
    return cls(**values)


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

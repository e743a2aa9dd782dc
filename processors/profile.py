"""An athlete's profile as the processors see it (a plain dataclass; the wire model lives in
``monitor.core.wire``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

from processors._util import fround

Sex = Literal["female", "male"]
PlanName = Literal["easy", "long", "tempo", "intervals", "race"]
PLAN_NAMES: tuple[str, ...] = get_args(PlanName)

#: Defaults used when a profile field is absent. Documented in docs/profiles.md.
DEFAULT_AGE = 35.0
DEFAULT_MASS_KG = 70.0
DEFAULT_HR_REST = 60.0


@dataclass(frozen=True, slots=True)
class Profile:
    """What we know about an athlete. Every field is optional on the wire; see :meth:`hr_max_bpm` and friends.

    >>> Profile(age=40).hr_max_bpm, Profile(age=60).hr_max_bpm
    (180.0, 166.0)
    >>> Profile(hr_max=195).hr_max_bpm
    195.0
    """

    name: str | None = None
    sex: Sex | None = None
    age: float | None = None
    mass_kg: float | None = None
    height_cm: float | None = None
    hr_rest: float | None = None
    hr_max: float | None = None
    training_pace: float | None = None  # s/km of usual training runs
    race_pace: float | None = None  # s/km of the planned (predicted) race pace
    longest_run_min: float | None = None
    cramp_history: bool | None = None  # None: unknown, treated as False
    recent_injury: bool | None = None

    @property
    def age_years(self) -> float:
        return self.age if self.age is not None else DEFAULT_AGE

    @property
    def mass(self) -> float:
        return self.mass_kg if self.mass_kg is not None else DEFAULT_MASS_KG

    @property
    def hr_rest_bpm(self) -> float:
        return self.hr_rest if self.hr_rest is not None else DEFAULT_HR_REST

    @property
    def hr_max_bpm(self) -> float:
        """Measured maximum, else Tanaka, Monahan & Seals 2001: 208 − 0.7 · age (the classic 220 − age
        underestimates older runners). The processors raise it further when the athlete's sustained HR exceeds
        it (``processors.hr_max``)."""
        if self.hr_max is not None:
            return float(self.hr_max)
        return fround(208.0 - 0.7 * self.age_years, 1)

    @property
    def training_speed(self) -> float | None:
        """Training speed in m/s, or None without a training pace."""
        return None if self.training_pace is None else 1000.0 / self.training_pace

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def merged(self, other: Profile) -> Profile:
        """Fields set in ``other`` override ours (used when a retained profile updates a file profile)."""
        mine = self.to_dict()
        for key, value in other.to_dict().items():
            if value is not None:
                mine[key] = value
        return Profile(**mine)


#: Without a target pace, how much faster than training pace a planned session is meant to be (sustained,
#: 10-min mean): a tempo run ~10–15 % (30 min at 1.12 is the simulator's tempo), intervals average work and jog
#: bouts to a little over training pace. Easy, long and race days: training pace (a race day without a known
#: race pace falls back to training pace, as Schwellnus 2011 compared with both).
PLAN_SPEED_ALLOWANCE: dict[str, float] = {"easy": 1.0, "long": 1.0, "tempo": 1.12, "intervals": 1.10, "race": 1.0}

PaceSource = Literal["target", "race", "training", "plan"]


@dataclass(frozen=True, slots=True)
class SessionPlan:
    """Today's plan from the session ``start`` message (both fields optional).

    :meth:`reference_pace` is the pace the risk model judges the runner against: today's ``target_pace`` when
    given; else the profile's ``race_pace`` on a race, tempo or interval day or when no plan is given; else the
    training pace (scaled by :data:`PLAN_SPEED_ALLOWANCE` for a tempo or interval plan without a target).

    >>> p = Profile(training_pace=330, race_pace=300)
    >>> SessionPlan("tempo", 290).reference_pace(p), SessionPlan().reference_pace(p)
    ((290.0, 'target'), (300.0, 'race'))
    >>> SessionPlan("easy").reference_pace(p), SessionPlan("tempo").reference_pace(Profile(training_pace=336))
    ((330.0, 'training'), (300.0, 'plan'))
    >>> SessionPlan().reference_pace(Profile()) is None
    True
    """

    plan: PlanName | None = None
    target_pace: float | None = None  # s/km

    def reference_pace(self, profile: Profile) -> tuple[float, PaceSource] | None:
        if self.target_pace is not None and self.target_pace > 0:
            return float(self.target_pace), "target"
        if profile.race_pace is not None and self.plan in (None, "race", "tempo", "intervals"):
            return float(profile.race_pace), "race"
        if profile.training_pace is None:
            return None
        allowance = PLAN_SPEED_ALLOWANCE.get(self.plan or "", 1.0)
        if allowance != 1.0:
            return fround(float(profile.training_pace) / allowance, 4), "plan"
        return float(profile.training_pace), "training"

    def reference_speed(self, profile: Profile) -> float | None:
        """The reference pace as a speed (m/s), or None."""
        ref = self.reference_pace(profile)
        return None if ref is None else 1000.0 / ref[0]

    def to_dict(self) -> dict[str, Any]:
        return {"plan": self.plan, "target_pace": self.target_pace}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SessionPlan:
        if not data:
            return cls()
        plan = data.get("plan")
        target = data.get("target_pace")
        name: PlanName | None = None
        for known in get_args(PlanName):
            if plan == known:
                name = known
        return cls(plan=name, target_pace=None if target is None else float(target))

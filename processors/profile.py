"""An athlete's profile as the processors see it (a plain dataclass; the wire model lives in
``monitor.core.wire``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Sex = Literal["female", "male"]

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
        return round(208.0 - 0.7 * self.age_years, 1)

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

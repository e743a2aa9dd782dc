"""Scenarios: who runs, what plan, what weather, what sensors — built in by name, or from a TOML file.

Built-in scenarios are the ``*.toml`` files next to this module (``easy``, ``tempo``, ``hot-marathon``,
``flat-monotony``, ``squad``, …); a scenario file has the same format (documented in docs/simulators.md)::

    name = "club-night"
    squad = "club"
    [weather]
    temp_min = 14.0
    temp_max = 19.0
    start_hour = 18.5
    [plan]                       # default plan of every athlete
    kind = "even"
    duration_min = 45
    [[athletes]]
    id = "ann"
    profile = { sex = "female", age = 34, training_pace = 330 }
    plan = { speed = 0.9 }       # merged over the default plan

``--athletes N`` cycles through the listed athletes; athletes beyond the list are seeded variations of them
(age, mass, training pace, conditioning, sex, cramp history, hydration, cadence, …), so a scenario with one
athlete still yields a varied field.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from monitor.core.wire import ID_RE, profile_from_mapping
from monitor.errors import InputFileError, UsageError
from processors.profile import Profile
from simulators.runner.athlete import (
    DEFAULT_START,
    AthleteSpec,
    Sensors,
    Traits,
    Weather,
    dataclass_from_mapping,
)
from simulators.runner.model import SimulatedRun, simulate
from simulators.runner.plans import Plan

MAX_ATHLETES = 2000
_TOP_KEYS = {
    "name",
    "description",
    "squad",
    "vary",
    "stagger_s",
    "weather",
    "sensors",
    "traits",
    "plan",
    "athletes",
}
_ATHLETE_KEYS = {"id", "profile", "plan", "traits", "sensors", "start_offset_s", "cramp_at_min"}


@dataclass(frozen=True, slots=True)
class Scenario:
    """A loaded scenario. ``templates`` are the listed athletes; :meth:`athletes` expands them to N."""

    name: str
    description: str
    squad: str
    weather: Weather
    templates: tuple[AthleteSpec, ...]
    vary: float = 1.0
    stagger_s: float = 0.0

    def athletes(self, n: int | None = None, *, seed: int = 0) -> list[AthleteSpec]:
        """N athletes (default: the listed ones). Athlete ``i`` depends only on ``(seed, i)``, not on N.

        >>> s = load_scenario("easy")
        >>> [a.id for a in s.athletes(5)][:3] == [a.id for a in s.athletes(3)]
        True
        """
        count = len(self.templates) if n is None else n
        if not 1 <= count <= MAX_ATHLETES:
            raise UsageError(f"--athletes must be 1-{MAX_ATHLETES}")
        return [self.athlete(i, seed=seed) for i in range(count)]

    def athlete(self, i: int, *, seed: int = 0) -> AthleteSpec:
        """Athlete ``i``: template ``i mod len(templates)``, varied (seeded by ``(seed, i)``) after the first
        round."""
        cycle, k = divmod(i, len(self.templates))
        base = self.templates[k]
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i, 0)))
        spec = base if cycle == 0 else _vary(base, cycle, rng, self.vary)
        if self.stagger_s > 0:
            offset = spec.start_offset_s + round(float(rng.uniform(0, self.stagger_s)))
            spec = replace(spec, start_offset_s=offset)
        return spec

    def simulate(self, n: int | None = None, *, seed: int = 0, start: float = DEFAULT_START) -> list[SimulatedRun]:
        """Simulate every athlete; run ``i`` is seeded by ``(seed, i)`` (numpy SeedSequence)."""
        count = len(self.templates) if n is None else n
        self.athletes(count, seed=seed)  # validates the count
        return [self.simulate_one(i, seed=seed, start=start) for i in range(count)]

    def simulate_one(
        self, i: int, *, seed: int = 0, start: float = DEFAULT_START, truths: Sequence[str] | None = None
    ) -> SimulatedRun:
        """Simulate athlete ``i`` alone (the same run as ``simulate(n)[i]`` for any ``n > i``). With ``truths``:
        shadow mode (onsets of each truth model, no cramp in the streams; :func:`simulators.runner.simulate`)."""
        spec = self.athlete(i, seed=seed)
        return simulate(
            spec, self.weather, seed=np.random.SeedSequence(seed, spawn_key=(i, 1)), start=start, truths=truths,
            truth_seed=np.random.SeedSequence(seed, spawn_key=(i, 2)),
        )  # fmt: skip


def builtin_names() -> list[str]:
    """Names of the built-in scenarios.

    >>> {"easy", "tempo", "hot-marathon", "flat-monotony", "squad"} <= set(builtin_names())
    True
    """
    root = resources.files(__name__)
    return sorted(p.name[: -len(".toml")] for p in root.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name, or a scenario file. Raises :class:`UsageError` (one clear line)."""
    text = str(name_or_path)
    if text in builtin_names():
        source = resources.files(__name__).joinpath(f"{text}.toml").read_text(encoding="utf-8")
        return parse_scenario(source, origin=f"built-in scenario {text!r}", default_name=text)
    path = Path(text)
    if not path.is_file():
        if text.endswith(".toml") or "/" in text:
            raise InputFileError(f"scenario file {text!r} not found")
        raise UsageError(f"unknown scenario {text!r} (built-in: {', '.join(builtin_names())}; or a .toml file)")
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read scenario file {text!r}: {exc}") from exc
    return parse_scenario(source, origin=f"scenario file {text!r}", default_name=path.stem)


def parse_scenario(source: str, *, origin: str = "scenario", default_name: str = "scenario") -> Scenario:
    """Parse scenario TOML text."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{origin}: not valid TOML: {exc}") from exc
    try:
        return _build(data, default_name)
    except (ValueError, TypeError) as exc:
        raise InputFileError(f"{origin}: {exc}") from exc


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"{key!r} must be a table")
    return value


def _build(data: dict[str, Any], default_name: str) -> Scenario:
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}")
    name = data.get("name", default_name)
    squad = data.get("squad", "sim")
    description = data.get("description", "")
    if not isinstance(name, str) or not isinstance(description, str):
        raise ValueError("name and description must be strings")
    if not isinstance(squad, str) or not ID_RE.match(squad):
        raise ValueError("squad must be 1-64 characters from [A-Za-z0-9_-]")
    vary, stagger = data.get("vary", 1.0), data.get("stagger_s", 0.0)
    if not _num(vary) or not 0 <= vary <= 3 or not _num(stagger) or not 0 <= stagger <= 3600:
        raise ValueError("vary must be 0-3 and stagger_s 0-3600")
    weather = dataclass_from_mapping(Weather, _table(data, "weather"), "weather")
    base_plan, base_traits, base_sensors = (
        _table(data, "plan"),
        _table(data, "traits"),
        _table(data, "sensors"),
    )
    athletes = data.get("athletes")
    if not isinstance(athletes, list) or not athletes or not all(isinstance(a, dict) for a in athletes):
        raise ValueError("needs at least one [[athletes]] table")
    templates: list[AthleteSpec] = []
    for raw in athletes:
        templates.append(_athlete(raw, base_plan, base_traits, base_sensors))
    ids = [t.id for t in templates]
    if len(set(ids)) != len(ids):
        raise ValueError("athlete ids must be unique")
    return Scenario(
        name=name, description=description, squad=squad, weather=weather, templates=tuple(templates),
        vary=float(vary), stagger_s=float(stagger),
    )  # fmt: skip


def _athlete(
    raw: dict[str, Any], base_plan: dict[str, Any], base_traits: dict[str, Any], base_sensors: dict[str, Any]
) -> AthleteSpec:
    unknown = sorted(set(raw) - _ATHLETE_KEYS)
    if unknown:
        raise ValueError(f"unknown athlete key {unknown[0]!r}")
    ident = raw.get("id")
    if not isinstance(ident, str) or not ID_RE.match(ident) or len(ident) > 56:
        raise ValueError("every athlete needs an id of 1-56 characters from [A-Za-z0-9_-]")
    profile_raw = _table(raw, "profile")
    profile, bad = profile_from_mapping(profile_raw)
    if bad:
        raise ValueError(f"athlete {ident!r}: {bad[0]}")
    unknown_profile = sorted(set(profile_raw) - set(profile.to_dict()))
    if unknown_profile:
        raise ValueError(f"athlete {ident!r}: unknown profile key {unknown_profile[0]!r}")
    try:
        plan = Plan.from_mapping({**base_plan, **_table(raw, "plan")})
        traits = dataclass_from_mapping(Traits, {**base_traits, **_table(raw, "traits")}, "traits")
        sensors = dataclass_from_mapping(Sensors, {**base_sensors, **_table(raw, "sensors")}, "sensors")
    except ValueError as exc:
        raise ValueError(f"athlete {ident!r}: {exc}") from exc
    offset, cramp_at = raw.get("start_offset_s", 0.0), raw.get("cramp_at_min")
    if not _num(offset) or not 0 <= offset <= 86400:
        raise ValueError(f"athlete {ident!r}: start_offset_s must be 0-86400")
    if cramp_at is not None and (not _num(cramp_at) or cramp_at <= 0):
        raise ValueError(f"athlete {ident!r}: cramp_at_min must be a positive number")
    return AthleteSpec(
        id=ident, profile=profile, plan=plan, traits=traits, sensors=sensors, start_offset_s=float(offset),
        cramp_at_min=None if cramp_at is None else float(cramp_at),
    )  # fmt: skip


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _clip(x: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, x))


def _vary(base: AthleteSpec, cycle: int, rng: np.random.Generator, scale: float) -> AthleteSpec:
    """A seeded variation of a template athlete: a different person who runs the same kind of session."""
    p = base.profile

    def lognorm(sd: float) -> float:
        return math.exp(float(rng.normal(0.0, sd * scale)))

    def flip(value: bool | None, p_keep: float, p_true: float) -> bool:
        if rng.random() < p_keep:
            return bool(value)
        return bool(rng.random() < p_true)

    age = _clip(p.age_years + float(rng.normal(0, 7 * scale)), 18, 75)
    sex = p.sex
    if rng.random() < 0.4 * min(1.0, scale):
        sex = "female" if sex == "male" else "male"
    mass = p.mass * lognorm(0.1)
    if sex != p.sex and p.sex is not None:
        mass *= 1.15 if sex == "male" else 1 / 1.15
    mass = _clip(mass, 42, 120)
    height = None if p.height_cm is None else _clip(p.height_cm + float(rng.normal(0, 6 * scale)), 145, 205)
    hr_rest = None if p.hr_rest is None else _clip(p.hr_rest + float(rng.normal(0, 5 * scale)), 38, 85)
    hr_max = None
    if p.hr_max is not None:
        hr_max = _clip(p.hr_max - 0.7 * (age - p.age_years) + float(rng.normal(0, 5 * scale)), 150, 215)
    pace = None if p.training_pace is None else _clip(p.training_pace * lognorm(0.08), 220, 560)
    longest = None if p.longest_run_min is None else _clip(p.longest_run_min * lognorm(0.25), 30, 360)
    profile = Profile(
        name=None if p.name is None else f"{p.name} {cycle + 1}"[:80],
        sex=sex,
        age=round(age),
        mass_kg=round(mass, 1),
        height_cm=None if height is None else round(height),
        hr_rest=None if hr_rest is None else round(hr_rest),
        hr_max=None if hr_max is None else round(hr_max),
        training_pace=None if pace is None else round(pace),
        longest_run_min=None if longest is None else round(longest),
        cramp_history=flip(p.cramp_history, 0.7, 0.25),
        recent_injury=flip(p.recent_injury, 0.7, 0.15),
    )
    t = base.traits
    traits = replace(
        t,
        cadence=_clip(t.cadence + float(rng.normal(0, 6 * scale)), 150, 200),
        fade=_clip(t.fade * lognorm(0.3), 0.0, 0.4),
        drink_l_h=_clip(t.drink_l_h * lognorm(0.3), 0.0, 1.5),
        sweat=_clip(t.sweat * lognorm(0.15), 0.5, 2.0),
        hr_offset=_clip(t.hr_offset + float(rng.normal(0, 0.03 * scale)), -0.15, 0.15),
        stretches=flip(t.stretches, 0.8, 0.6),
    )
    plan = base.plan
    plan = replace(plan, speed=_clip(plan.speed * lognorm(0.03), 0.5, 1.6))
    return replace(base, id=f"{base.id}-{cycle + 1}", profile=profile, traits=traits, plan=plan)

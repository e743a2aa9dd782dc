"""The runner model: true speed, heart rate, cadence, temperature and cramp onsets, one second at a time.

Deliberately simple physiology, each piece a documented assumption (references in docs/science and
docs/simulators.md):

* **Speed** follows the plan's target (x training speed), slowed on climbs by the energy cost of grade
  (Minetti), with a small random wobble and a *fade* that grows with fatigue.
* **Heart rate** follows a steady state set by intensity (speed x grade cost relative to training speed →
  share of heart-rate reserve) with first-order kinetics (τ 25 s up, 50 s down), plus **cardiac drift** after
  10 min that grows with heat and intensity (Coyle & González-Alonso 2001) and ~3 bpm per 1 % of body mass
  lost (Adams 2014).
* **Sweat** 0.6–1.5 L/h rising with intensity and air temperature (Cheuvront), minus what the runner drinks.
* **Fatigue** 0–1 from the accumulated load (intensity³, more in heat and downhill) against conditioning (the
  longest recent run). **Cadence** falls and its variability rises with fatigue (Hanley 2020).
* **Cramps** begin with the hazard of :mod:`simulators.runner.cramp`. The acute signature: pace collapses,
  cadence becomes irregular and falls, heart rate stays high. Then the runner resumes, slows, stops to stretch
  and walks, walks the rest, or stops for good.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from processors.profile import Profile, SessionPlan
from simulators.frame import Frame
from simulators.runner.athlete import DEFAULT_START, RESPONSES, AthleteSpec, Weather
from simulators.runner.clock import CrampClock
from simulators.runner.cramp import static_log_hazard
from simulators.runner.plans import MAX_DURATION_S, effort_cost
from simulators.runner.truth import TruthModel, make_truth

FloatArray = NDArray[np.float64]
Gait = Literal["run", "limp", "acute", "walk", "stand"]
GAITS: tuple[Gait, ...] = ("run", "limp", "acute", "walk", "stand")
RUNNING: frozenset[str] = frozenset({"run", "limp"})

DEFAULT_LONGEST_RUN_MIN = 90.0
WALK_SPEED = 1.4  # m/s
WALK_CADENCE = 108.0  # steps/min
TAU_HR_UP = 25.0
TAU_HR_DOWN = 50.0
DRIFT_DELAY_S = 600.0


@dataclass(frozen=True, slots=True)
class Truth:
    """Ground truth of one simulated run.

    ``onsets``: event times of cramp onsets (first one is *the* onset); ``responses``: what the runner did
    after each; ``end``: ``finished`` (plan done) or ``stopped`` (gave up after a cramp); ``artefacts``:
    sensor and delivery artefacts as ``(kind, t_start, t_end)``.
    """

    onsets: tuple[float, ...]
    responses: tuple[str, ...]
    end: Literal["finished", "stopped"]
    artefacts: tuple[tuple[str, float, float], ...] = ()

    @property
    def onset(self) -> float | None:
        return self.onsets[0] if self.onsets else None


@dataclass(frozen=True, slots=True)
class Trace:
    """The true (noise-free) signals at 1 Hz. ``gait`` indexes :data:`GAITS`."""

    t: FloatArray
    speed: FloatArray  # m/s
    hr: FloatArray  # bpm
    cadence: FloatArray  # steps/min
    temp: FloatArray  # air °C
    grade: FloatArray
    intensity: FloatArray  # speed x grade cost / training speed
    fatigue: FloatArray
    fluid_loss_pct: FloatArray
    drift_bpm: FloatArray
    hazard: FloatArray  # cramp onsets per second
    gait: NDArray[np.int8]

    def running(self) -> NDArray[np.bool_]:
        return np.isin(self.gait, [GAITS.index("run"), GAITS.index("limp")])


@dataclass(frozen=True, slots=True)
class SimulatedRun:
    """One athlete's simulated run: what a gateway would publish (``profile``, ``frames`` in delivery order)
    and what really happened (``truth``, ``trace``)."""

    athlete: str
    profile: Profile
    frames: list[Frame]
    truth: Truth
    trace: Trace
    plan: SessionPlan | None = None  # today's plan as the session start announces it (tempo, intervals)
    #: Shadow mode (``simulate(..., truths=...)``): the first onset under each truth model; the run itself then
    #: has no cramp (the streams before each onset are those of the cramping run; nothing after it is scored).
    truth_onsets: dict[str, float | None] | None = None


@dataclass(slots=True)
class _Phase:
    gait: Gait
    seconds: float  # math.inf: until the end of the run
    speed_mult: float = 1.0


def simulate(
    spec: AthleteSpec,
    weather: Weather,
    *,
    seed: int | np.random.SeedSequence | np.random.Generator = 0,
    start: float = DEFAULT_START,
    truths: Sequence[str] | None = None,
    truth_seed: int | np.random.SeedSequence | None = None,
) -> SimulatedRun:
    """Simulate one athlete. Deterministic: the same spec, weather, seed and start give the same run.

    ``truths`` (shadow mode, for ``crampwatch evaluate --truth``): integrate the hazard of each named truth model
    (:mod:`simulators.runner.truth`) and record its first onset in ``truth_onsets``, but let no cramp happen, so
    one run serves every truth model; ``truth_seed`` seeds their hidden per-runner draws.

    >>> from simulators.runner.plans import Plan
    >>> spec = AthleteSpec("ann", Profile(training_pace=330.0), Plan(duration_min=5))
    >>> run = simulate(spec, Weather(), seed=1)
    >>> run.frames == simulate(spec, Weather(), seed=1).frames, len(run.trace.t)
    (True, 300)
    """
    from simulators.runner.sensors import observe  # late import: sensors imports Trace from here

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    models = None
    if truths is not None:
        trng = np.random.default_rng(truth_seed)
        models = [make_truth(n, spec.profile, stretches=spec.traits.stretches, rng=trng) for n in truths]
    trace, onsets, responses, end, shadow = _physiology(spec, weather, rng, start + spec.start_offset_s, models)
    frames, artefacts = observe(trace, spec.sensors, rng)
    truth = Truth(onsets=tuple(onsets), responses=tuple(responses), end=end, artefacts=tuple(artefacts))
    return SimulatedRun(
        athlete=spec.id,
        profile=spec.profile,
        frames=frames,
        truth=truth,
        trace=trace,
        plan=spec.session_plan(),
        truth_onsets=shadow,
    )


def hrr_steady(intensity: float, hr_offset: float = 0.0) -> float:
    """Steady-state share of heart-rate reserve at an intensity (speed x grade cost / training speed).

    Training pace sits at ~66 % of reserve; each 10 % faster adds 9 points; walking and standing fall linearly
    towards 12 %.

    >>> round(hrr_steady(1.0), 2), round(hrr_steady(1.2), 2), round(hrr_steady(0.0), 2)
    (0.66, 0.84, 0.12)
    """
    running = 0.66 + 0.9 * (intensity - 1.0)
    value = running if intensity >= 0.7 else 0.12 + (0.39 - 0.12) * intensity / 0.7
    return min(1.0, max(0.1, value + hr_offset))


class _Columns:
    """The true signals as they are made, one second at a time."""

    NAMES = ("speed", "hr", "cadence", "temp", "grade", "intensity", "fatigue", "fluid", "drift", "hazard")

    def __init__(self) -> None:
        self.cols: dict[str, list[float]] = {k: [] for k in self.NAMES}
        self.columns = list(self.cols.values())
        self.gaits: list[int] = []

    def add(self, gait: Gait, *values: float) -> None:
        """One second: ``values`` in the order of :data:`NAMES`."""
        for column, value in zip(self.columns, values, strict=True):
            column.append(value)
        self.gaits.append(GAITS.index(gait))

    def trace(self, t0: float) -> Trace:
        c = self.cols
        return Trace(
            t=t0 + np.arange(len(self.gaits), dtype=np.float64),
            speed=np.array(c["speed"]), hr=np.array(c["hr"]), cadence=np.array(c["cadence"]),
            temp=np.array(c["temp"]), grade=np.array(c["grade"]), intensity=np.array(c["intensity"]),
            fatigue=np.array(c["fatigue"]), fluid_loss_pct=np.array(c["fluid"]),
            drift_bpm=np.array(c["drift"]), hazard=np.array(c["hazard"]),
            gait=np.array(self.gaits, dtype=np.int8),
        )  # fmt: skip


def _speed_command(gait: Gait, phase: _Phase | None, plan_v: float, wobble: float) -> tuple[float, float]:
    """The speed the runner heads for in this gait, and the time constant (s) of getting there."""
    if gait == "run":
        return plan_v * (1.0 + wobble), 4.0
    if gait == "limp":
        return plan_v * (phase.speed_mult if phase else 1.0) * (1.0 + 2 * wobble), 4.0
    if gait == "acute":
        return 0.3, 2.0
    if gait == "walk":
        return WALK_SPEED * (1.0 + wobble), 3.0
    return 0.0, 2.0


def _hr_target(
    gait: Gait, hr: float, hr_rest: float, hr_max: float, hr_offset: float, intensity: float, drift: float,
    loss_pct: float,
) -> float:  # fmt: skip
    """Where heart rate heads this second: the steady state of the intensity, plus cardiac drift and ~3 bpm per
    1 % of body mass lost."""
    reserve = hr_max - hr_rest
    if gait == "acute":
        hr_target = max(hr, hr_rest + 0.6 * reserve)  # pain: HR stays high
    else:
        hrr = hrr_steady(intensity, hr_offset)
        if gait == "stand":
            hrr = max(hrr, 0.4)  # stretching a cramped muscle in pain, hot: HR recovers slowly
        hr_target = hr_rest + hrr * reserve + drift + 3.0 * loss_pct
    return min(hr_target, hr_max + 2.0)


def _next_cadence(
    cad: float, gait: Gait, v: float, v_tr: float, cadence: float, fatigue: float, grade: float, srv: float
) -> float:
    """Cadence after this second (steps/min); ``cadence``: the runner's own at training pace, ``srv``: the
    stride-rate variability's value now."""
    if gait in RUNNING:
        rel = max(v, 0.6 * v_tr) / v_tr
        cad_target = cadence * rel**0.35 * (1.0 - 0.03 * fatigue) * (1.0 + 0.5 * max(0.0, grade))
        cad_target += srv
        cad += (cad_target - cad) * (0.8 if cad > 60 else 0.3)
    elif gait == "acute":
        cad += (55.0 - cad) * 0.25 + 6.0 * srv  # irregular hobbling, falling
    elif gait == "walk":
        cad += (WALK_CADENCE + srv - cad) * 0.5
    else:
        cad = 0.0
    return min(250.0, max(0.0, cad))


def _phase_over(phases: list[_Phase]) -> bool:
    """Count a second off the current phase; whether it ended (then it is dropped) as a "stand"."""
    phases[0].seconds -= 1.0
    if phases[0].seconds > 0:
        return False
    return phases.pop(0).gait == "stand"


def _physiology(
    spec: AthleteSpec, weather: Weather, rng: np.random.Generator, t0: float, models: list[TruthModel] | None = None
) -> tuple[Trace, list[float], list[str], Literal["finished", "stopped"], dict[str, float | None] | None]:
    profile, plan, traits = spec.profile, spec.plan, spec.traits
    v_tr = 1000.0 / spec.training_pace
    hr_rest, hr_max, mass = profile.hr_rest_bpm, profile.hr_max_bpm, profile.mass
    cap_s = 60.0 * (profile.longest_run_min or DEFAULT_LONGEST_RUN_MIN)
    response_names = [r for r in RESPONSES if traits.responses.get(r, 0.0) > 0]
    response_p = np.array([traits.responses[r] for r in response_names])
    response_p = response_p / response_p.sum()
    wobble_eps = rng.standard_normal(MAX_DURATION_S + 1)
    cad_eps = rng.standard_normal(MAX_DURATION_S + 1)
    clock = CrampClock(
        static_log_hazard(profile, stretches=traits.stretches), cap_s, rng.exponential(), t0, models,
        None if spec.cramp_at_min is None else spec.cramp_at_min * 60.0,
    )  # fmt: skip
    out = _Columns()
    onsets: list[float] = []
    responses: list[str] = []
    end: Literal["finished", "stopped"] = "finished"
    v = cad = drift = load = loss_l = distance = wobble = srv = 0.0  # srv: stride-rate variability (AR(1))
    hr = hr_rest + 15.0
    post_mult = 1.0
    phases: list[_Phase] = []
    a_wob = math.exp(-1.0 / 30.0)  # speed wobble correlation time 30 s
    a_srv = math.exp(-1.0 / 5.0)

    for i in range(MAX_DURATION_S + 1):
        elapsed = float(i)
        temp = weather.temp_at(elapsed)
        grade = plan.grade(distance)
        cost = effort_cost(grade)
        fatigue = 1.0 - math.exp(-1.2 * load)
        if plan.finished(elapsed, distance):
            break
        phase = phases[0] if phases else None
        gait: Gait = phase.gait if phase else "run"

        wobble = a_wob * wobble + math.sqrt(1 - a_wob * a_wob) * 0.015 * wobble_eps[i]
        fade = 1.0 - traits.fade * max(0.0, fatigue - 0.45) / 0.55
        plan_v = v_tr * plan.target(elapsed, distance) / cost**0.8 * fade * post_mult
        v_cmd, tau_v = _speed_command(gait, phase, plan_v, wobble)
        v += (v_cmd - v) * (1.0 - math.exp(-1.0 / tau_v))
        v = max(0.0, v)
        distance += v

        # ---- intensity, sweat, fatigue, drift ----
        intensity = v * cost / v_tr
        sweat = traits.sweat * (0.3 + 0.6 * min(intensity, 1.5)) * max(0.4, 1.0 + 0.045 * (temp - 20.0))
        drink = traits.drink_l_h if (elapsed > 600 and gait != "stand") else 0.0
        loss_l = max(0.0, loss_l + (sweat - drink) / 3600.0)
        loss_pct = 100.0 * loss_l / mass
        heat_load = 1.0 + 0.025 * max(0.0, temp - 18.0)
        eccentric = 1.0 + 2.5 * max(0.0, -grade)
        load += min(intensity, 2.0) ** 3 * heat_load * eccentric / cap_s
        if elapsed > DRIFT_DELAY_S and gait in ("run", "limp", "walk"):
            drift += (2.0 + 0.35 * max(0.0, temp - 15.0)) * min(intensity, 1.3) ** 2 / 3600.0

        hr_target = _hr_target(gait, hr, hr_rest, hr_max, traits.hr_offset, intensity, drift, loss_pct)
        hr += (hr_target - hr) * (1.0 - math.exp(-1.0 / (TAU_HR_UP if hr_target > hr else TAU_HR_DOWN)))
        sd = 0.8 + 3.0 * fatigue + (4.0 if gait == "limp" else 0.0)
        srv = a_srv * srv + math.sqrt(1 - a_srv * a_srv) * sd * cad_eps[i]
        cad = _next_cadence(cad, gait, v, v_tr, traits.cadence, fatigue, grade, srv)

        running = gait in RUNNING
        h, cramp = clock.step(elapsed, v / v_tr, intensity, grade, fatigue, temp, loss_pct, running, bool(onsets))
        if cramp:
            onsets.append(t0 + elapsed)
            clock.restart(elapsed, rng)
            choice = str(rng.choice(response_names, p=response_p))
            responses.append(choice)
            phases = _response(choice, rng)
            post_mult = float(rng.uniform(0.85, 0.95)) if choice in ("stretch", "resume") else post_mult
        out.add(gait, v, hr, cad, temp, grade, intensity, fatigue, loss_pct, drift + 3.0 * loss_pct, h)

        if phases and not cramp and _phase_over(phases) and not phases and responses[-1] == "stop":
            end = "stopped"  # the last phase of giving up was "stand"
            break
    return out.trace(t0), onsets, responses, end, clock.shadow


def _response(choice: str, rng: np.random.Generator) -> list[_Phase]:
    """The phases after a cramp onset: always an acute phase, then the chosen response."""
    acute = _Phase("acute", float(rng.uniform(8, 20)))
    if choice == "resume":
        return [acute, _Phase("limp", float(rng.uniform(30, 120)), float(rng.uniform(0.6, 0.75)))]
    if choice == "slow":
        return [acute, _Phase("limp", math.inf, float(rng.uniform(0.7, 0.85)))]
    if choice == "stretch":
        return [
            acute,
            _Phase("stand", float(rng.uniform(30, 120))),
            _Phase("walk", float(rng.uniform(60, 180))),
        ]
    if choice == "walk":
        return [acute, _Phase("walk", math.inf)]
    return [acute, _Phase("stand", float(rng.uniform(60, 180)))]  # stop: stretch, then give up

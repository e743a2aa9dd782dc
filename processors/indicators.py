"""The output of one processor tick: plain values, ``None`` where unknown (never invented)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Level = Literal["low", "elevated", "high", "critical"]
Signal = Literal["ok", "stale", "lost"]
LEVELS: tuple[Level, ...] = ("low", "elevated", "high", "critical")


@dataclass(slots=True)
class Indicators:
    """Everything the status topic carries, plus extras the alert policy uses.

    Units: ``hr`` bpm, ``pace`` s/km, ``cadence`` steps/min, ``temp`` °C, ``stride_m`` metres for two steps
    (120·v/cadence), ``distance_m`` metres, ``elapsed_s`` seconds, ``trimp`` Banister units,
    ``sweat_loss_pct`` % of body mass, ``decoupling_pct`` %, ``cardiac_drift_bpm_h`` bpm per hour.
    """

    t: float
    elapsed_s: float
    distance_m: float | None = None  # None until speed/pace has reported this session
    hr: float | None = None
    pace: float | None = None
    cadence: float | None = None
    temp: float | None = None
    stride_m: float | None = None
    fatigue: float | None = None
    pace_over_training: float | None = None
    decoupling_pct: float | None = None
    trimp: float | None = None  # None until heart rate has reported this session
    sweat_loss_pct: float | None = None
    monotony: float | None = None
    risk: float = 0.0
    level: Level = "low"
    factors: dict[str, float] = field(default_factory=dict)
    signal: Signal = "ok"
    # extras (also published in the status; the contract allows additions)
    cardiac_drift_bpm_h: float | None = None
    heat_factor: float | None = None
    faster_than_training_s: float | None = None  # None without a training pace or speed
    duration_vs_longest: float | None = None
    fatigue_parts: dict[str, float] = field(default_factory=dict)
    hr_zone_s: list[float] | None = None  # None until heart rate has reported this session
    hr_unreliable: bool = False
    acute_cramp: bool = False
    # coach indicators and gait awareness (contract additions: hr_pct_max, hr_zone)
    hr_pct_max: float | None = None
    hr_zone: int | None = None
    hr_max_bpm: float | None = None  # the HRmax in use: measured or Tanaka, raised on observed HR
    gait_state: str = "unknown"  # "running" | "walking" | "stopped" | "unknown"
    gait_state_s: float = 0.0  # how long the current gait state has lasted
    gait_steady: bool = False  # running steadily through the last minute
    red_flag: str | None = None  # reason code of a medical red flag (processors.red_flag.REASONS)
    gait_uniformity: float | None = None  # the same value as ``monotony`` (the contract's name), better named
    efficiency_factor: float | None = None  # m/min per bpm, last 10 min
    decoupling_friel_pct: float | None = None  # first vs second half of the steady running so far
    hr_recovery_bpm: float | None = None  # HR drop in the minute after the latest hard effort
    values: dict[str, float | None] = field(default_factory=dict)  # raw factor inputs, for alert details

    def __init__(
        self,
        t: float,
        elapsed_s: float,
        distance_m: float | None = None,
        hr: float | None = None,
        pace: float | None = None,
        cadence: float | None = None,
        temp: float | None = None,
        stride_m: float | None = None,
        fatigue: float | None = None,
        pace_over_training: float | None = None,
        decoupling_pct: float | None = None,
        trimp: float | None = None,
        sweat_loss_pct: float | None = None,
        monotony: float | None = None,
        risk: float = 0.0,
        level: Level = "low",
        factors: dict[str, float] | None = None,
        signal: Signal = "ok",
        cardiac_drift_bpm_h: float | None = None,
        heat_factor: float | None = None,
        faster_than_training_s: float | None = None,
        duration_vs_longest: float | None = None,
        fatigue_parts: dict[str, float] | None = None,
        hr_zone_s: list[float] | None = None,
        hr_unreliable: bool = False,
        acute_cramp: bool = False,
        hr_pct_max: float | None = None,
        hr_zone: int | None = None,
        hr_max_bpm: float | None = None,
        gait_state: str = "unknown",
        gait_state_s: float = 0.0,
        gait_steady: bool = False,
        red_flag: str | None = None,
        gait_uniformity: float | None = None,
        efficiency_factor: float | None = None,
        decoupling_friel_pct: float | None = None,
        hr_recovery_bpm: float | None = None,
        values: dict[str, float | None] | None = None,
    ) -> None:
        """The dataclass's own ``__init__`` written out (the dict fields default to a new empty dict): mypyc
        compiles this one, while the generated one runs as Python (~1.3 k instructions more a tick)."""
        self.t = t
        self.elapsed_s = elapsed_s
        self.distance_m = distance_m
        self.hr = hr
        self.pace = pace
        self.cadence = cadence
        self.temp = temp
        self.stride_m = stride_m
        self.fatigue = fatigue
        self.pace_over_training = pace_over_training
        self.decoupling_pct = decoupling_pct
        self.trimp = trimp
        self.sweat_loss_pct = sweat_loss_pct
        self.monotony = monotony
        self.risk = risk
        self.level = level
        self.factors = {} if factors is None else factors
        self.signal = signal
        self.cardiac_drift_bpm_h = cardiac_drift_bpm_h
        self.heat_factor = heat_factor
        self.faster_than_training_s = faster_than_training_s
        self.duration_vs_longest = duration_vs_longest
        self.fatigue_parts = {} if fatigue_parts is None else fatigue_parts
        self.hr_zone_s = hr_zone_s
        self.hr_unreliable = hr_unreliable
        self.acute_cramp = acute_cramp
        self.hr_pct_max = hr_pct_max
        self.hr_zone = hr_zone
        self.hr_max_bpm = hr_max_bpm
        self.gait_state = gait_state
        self.gait_state_s = gait_state_s
        self.gait_steady = gait_steady
        self.red_flag = red_flag
        self.gait_uniformity = gait_uniformity
        self.efficiency_factor = efficiency_factor
        self.decoupling_friel_pct = decoupling_friel_pct
        self.hr_recovery_bpm = hr_recovery_bpm
        self.values = {} if values is None else values

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

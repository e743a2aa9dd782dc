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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

"""Scripted indicator sequences for the alert tests (event time only, no clock)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from alerts.alert import Alert
from alerts.policy import AlertPolicy, PolicyConfig
from processors.indicators import Indicators, Level, Signal
from processors.profile import Profile

#: A realistic session start (Unix seconds); scripts speak in seconds since it.
S0 = 1_732_400_000.0
TICK = 5.0
PROFILE = Profile(sex="male", age=44, mass_kg=72, training_pace=310.0, longest_run_min=120)

RISK: dict[str, float] = {"low": 0.2, "elevated": 0.45, "high": 0.62, "critical": 0.82}

#: factor contributions that make the advice module pick each kind
FACTORS: dict[str, dict[str, float]] = {
    "ease_pace": {"pace_over_training": 0.25, "duration": 0.05, "sex": 0.03},
    "shorten_stride": {"fatigue": 0.3, "duration": 0.1},
    "hydrate": {"sweat_loss": 0.3, "heat": 0.05, "pace_over_training": 0.05},
    "change_form": {"monotony": 0.3, "fatigue": 0.05},
}


@dataclass(frozen=True)
class Seg:
    """Ticks every 5 s from ``start`` (inclusive) to ``end`` (exclusive), seconds since session start."""

    start: float
    end: float
    level: Level = "low"
    kind: str = "ease_pace"
    acute: bool = False
    signal: Signal = "ok"


def ind(
    e: float,
    level: Level = "low",
    kind: str = "ease_pace",
    *,
    acute: bool = False,
    signal: Signal = "ok",
    risk: float | None = None,
) -> Indicators:
    return Indicators(
        t=S0 + e,
        elapsed_s=e,
        distance_m=e * 3.3,
        hr=150.0,
        pace=290.0,
        cadence=166.0,
        temp=27.0,
        stride_m=2.2,
        fatigue=0.4,
        pace_over_training=310.0 / 290.0,
        sweat_loss_pct=2.2 if kind == "hydrate" else 1.2,  # drink advice only from 2 % loss
        monotony=0.6,
        risk=RISK[level] if risk is None else risk,
        level=level,
        factors=dict(FACTORS[kind]),
        signal=signal,
        acute_cramp=acute,
        gait_state="running",
        values={"cadence_baseline": 168.0},
    )


def ticks(*segments: Seg) -> Iterator[Indicators]:
    for seg in segments:
        n = round((seg.end - seg.start) / TICK)
        for i in range(n):
            yield ind(seg.start + i * TICK, seg.level, seg.kind, acute=seg.acute, signal=seg.signal)


def policy(config: PolicyConfig | None = None, *, session_start: float = S0) -> AlertPolicy:
    return AlertPolicy(squad="squad-1", athlete="ath_7", session_start=session_start, profile=PROFILE, config=config)


def run(p: AlertPolicy, stream: Iterable[Indicators]) -> list[Alert]:
    return [a for i in stream for a in p.update(i)]


def seq(alerts: Iterable[Alert]) -> list[tuple[float, str, str]]:
    """(seconds since start, kind, level) of each alert."""
    return [(round(a.t - S0, 3), a.kind, a.level) for a in alerts]

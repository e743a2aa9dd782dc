"""Combined fatigue score 0–1 and its parts."""

from __future__ import annotations

from dataclasses import dataclass, field

from processors._util import clip, fround
from processors.registry import Context, Processor, register

#: part → (scale that maps the raw value to 1.0, weight). Each part is clipped to [0, 1] before weighting.
FATIGUE_PARTS: dict[str, tuple[float, float]] = {
    "drift": (20.0, 0.3),  # cardiac drift, bpm/h: 20 bpm/h → 1
    "decoupling": (10.0, 0.3),  # aerobic decoupling, %: 10 % → 1 (Friel's 5 % mark → 0.5)
    "cadence_decline": (6.0, 0.25),  # % below the early-run cadence at this speed: 6 % → 1
    "cadence_variability": (1.0, 0.15),  # cv ratio − 1: twice the early irregularity → 1
}
#: The parts that describe the heart (the rest describe gait, i.e. neuromuscular fatigue).
CARDIAC_PARTS = ("drift", "decoupling")


@dataclass(frozen=True, slots=True)
class Fatigue:
    value: float | None
    parts: dict[str, float] = field(default_factory=dict)

    def gait(self) -> float | None:
        """The weighted mean of the gait parts only (None without any)."""
        return _weighted({k: v for k, v in self.parts.items() if k not in CARDIAC_PARTS})


def _weighted(parts: dict[str, float]) -> float | None:
    if not parts:
        return None
    total_w = sum(FATIGUE_PARTS[k][1] for k in parts)
    return sum(FATIGUE_PARTS[k][1] * v for k, v in parts.items()) / total_w


def fatigue_of(
    drift: float | None, decoupling: float | None, cadence_decline: float | None, cv_ratio: float | None
) -> Fatigue:
    """Weighted mean of the available parts (weights renormalised), each scaled and clipped to [0, 1].

    >>> f = fatigue_of(drift=10.0, decoupling=5.0, cadence_decline=3.0, cv_ratio=None)
    >>> f.value, f.parts
    (0.5, {'drift': 0.5, 'decoupling': 0.5, 'cadence_decline': 0.5})
    >>> fatigue_of(None, None, None, None).value is None
    True
    """
    raw = {
        "drift": drift,
        "decoupling": decoupling,
        "cadence_decline": cadence_decline,
        "cadence_variability": None if cv_ratio is None else cv_ratio - 1.0,
    }
    parts = {k: fround(clip(v / FATIGUE_PARTS[k][0], 0.0, 1.0), 4) for k, v in raw.items() if v is not None}
    value = _weighted(parts)
    return Fatigue(value=None if value is None else fround(value, 4), parts=parts)


class FatigueScore(Processor):
    """``fatigue`` 0–1: cardiac drift, aerobic decoupling, cadence decline at matched speed and rising cadence
    variability, each scaled to 0–1 (scales in :data:`FATIGUE_PARTS`) and averaged with weights 0.3 / 0.3 /
    0.25 / 0.15 over the parts that are known. The parts go to ``Indicators.fatigue_parts``. None when no part
    is known yet (typically the first 15–20 minutes).
    """

    symbol = "fatigue"
    name = "Fatigue"
    units = "0–1"
    source = "Coyle & González-Alonso 2001; Friel (decoupling); Hanley et al. 2020; Nelson & Churilla 2016"
    depends = ("cardiac_drift_bpm_h", "decoupling_pct", "cadence_decline_pct", "cadence_cv_ratio")

    def __init__(self) -> None:
        self._value = Fatigue(None)
        self._inputs: tuple[float | None, ...] | None = None  # what _value was computed from

    def update(self, ctx: Context) -> None:
        r = ctx.results
        inputs = (r["cardiac_drift_bpm_h"], r["decoupling_pct"], r["cadence_decline_pct"], r["cadence_cv_ratio"])
        # the parts change when a bin completes; equal inputs give the same value, except ±0 (equal, printed apart)
        if inputs == self._inputs and 0.0 not in inputs:
            return
        self._inputs = inputs
        self._value = fatigue_of(*inputs)

    def get(self) -> Fatigue:
        return self._value


register(FatigueScore)

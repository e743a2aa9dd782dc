"""``monotony``: the contract's name for gait uniformity (kept for the status key and the risk factor)."""

from __future__ import annotations

from processors.gait_uniformity import uniformity_of
from processors.registry import Context, Processor, register

#: The old name of :func:`processors.gait_uniformity.uniformity_of`.
monotony_of = uniformity_of


class Monotony(Processor):
    """``monotony`` 0–1 — the same value as ``gait_uniformity`` (how little speed and cadence have varied over
    the last 20 min; 1 = uniform), under the status key the contract fixed. The name is a misnomer kept for
    compatibility: it is not Foster's training monotony (mean daily load / its SD over a week, Foster 1998), which
    crampwatch does not compute. New readers should use ``gait_uniformity``.
    """

    symbol = "monotony"
    name = "Monotony (= gait uniformity)"
    units = "0–1"
    source = "alias of gait_uniformity (seed 002); not Foster's training monotony"
    depends = ("gait_uniformity",)

    def __init__(self) -> None:
        self._value: float | None = None

    def update(self, ctx: Context) -> None:
        self._value = ctx.results["gait_uniformity"]

    def get(self) -> float | None:
        return self._value


register(Monotony)

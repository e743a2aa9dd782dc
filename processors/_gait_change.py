"""Shared shape of the gait-change processors (cadence decline, stride change): a % change of the recent gait
against the early-run baseline, only at a similar speed. Not registered itself; each indicator is a small
subclass in its own file."""

from __future__ import annotations

import math
from typing import ClassVar

from processors.gait import Gait
from processors.registry import Context, Processor


def comparable(base: Gait, now: Gait, max_speed_change: float) -> bool:
    """Whether the recent speed is within ±``max_speed_change`` of the baseline speed (log scale)."""
    return not abs(math.log(now.speed / base.speed)) > math.log1p(max_speed_change)


class GaitChange(Processor):
    """``change(baseline, recent, max_speed_change)`` each tick; None outside ±``max_speed_change``."""

    depends: ClassVar[tuple[str, ...]] = ("gait_baseline", "gait_recent")

    def __init__(self, max_speed_change: float = 0.15) -> None:
        if not 0 < max_speed_change < 1:
            raise ValueError("max_speed_change must be within (0, 1)")
        self.max_speed_change = max_speed_change
        self._value: float | None = None

    def change(self, base: Gait | None, now: Gait | None) -> float | None:
        raise NotImplementedError

    def update(self, ctx: Context) -> None:
        self._value = self.change(ctx.results["gait_baseline"], ctx.results["gait_recent"])

    def get(self) -> float | None:
        return self._value

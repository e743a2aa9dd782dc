"""Estimated sweat loss as % of body mass."""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np

from processors._util import SMALL, FloatArray, fround
from processors.clean import CleanTail
from processors.cleaning import hold_forward
from processors.registry import Context, Processor, register

#: Energy equivalent of oxygen, J per mL O2 (respiratory exchange ratio ≈ 0.9).
J_PER_ML_O2: Final = 20.1
#: Latent heat of evaporation of sweat, J/g.
LATENT_HEAT_J_PER_G: Final = 2426.0
#: Fraction of the metabolic heat that leaves as sweat: f(Ta) = 0.39 + 0.02·(Ta − 12 °C), clipped to
#: [0.2, 0.95] (the rest leaves by convection, radiation and breathing, more of it in the cold).
SWEAT_SHARE_AT_12C: Final = 0.39
SWEAT_SHARE_PER_C: Final = 0.02
SWEAT_SHARE_RANGE = (0.2, 0.95)
#: 2 % of body mass is the usual "dehydrated" mark.
DEHYDRATED_PCT = 2.0


def vo2_ml_kg_min(speed_mps: FloatArray) -> FloatArray:
    """ACSM metabolic equations: running 0.2 mL/kg/min per m/min + 3.5 above walking speed (2.0 m/s);
    walking 0.1 per m/min + 3.5 below it (the two meet the resting 3.5 at 0).

    >>> vo2_ml_kg_min(np.array([0.0, 1.5, 3.0])).round(2).tolist()
    [3.5, 12.5, 39.5]
    """
    m_min = np.nan_to_num(speed_mps, nan=0.0) * 60.0
    return np.where(speed_mps >= 2.0, 0.2 * m_min, 0.1 * m_min) + 3.5


def sweat_share(temp_c: FloatArray) -> FloatArray:
    """Share of metabolic heat removed by sweating at air temperature ``temp_c``.

    >>> sweat_share(np.array([12.0, 30.0, 60.0])).round(2).tolist()
    [0.39, 0.75, 0.95]
    """
    return np.clip(SWEAT_SHARE_AT_12C + SWEAT_SHARE_PER_C * (temp_c - 12.0), *SWEAT_SHARE_RANGE)


def sweat_rate_l_h(speed_mps: float, temp_c: float, mass_kg: float) -> float:
    """Sweat rate (L/h ≈ kg/h) of a runner of ``mass_kg`` at a steady speed and temperature.

    5:00/km at 30 °C, 70 kg → about 1.14 L/h; 5:30/km at 12 °C → about 0.55 L/h (field range 0.5–1.5 L/h).

    >>> round(sweat_rate_l_h(1000 / 300, 30.0, 70.0), 2), round(sweat_rate_l_h(1000 / 330, 12.0, 70.0), 2)
    (1.14, 0.54)
    """
    v = vo2_ml_kg_min(np.array([speed_mps]))[0]
    watts = v * mass_kg / 60.0 * J_PER_ML_O2
    share = float(sweat_share(np.array([temp_c]))[0])
    return float(watts * share / LATENT_HEAT_J_PER_G * 3600.0 / 1000.0)


class SweatLoss(Processor):
    """Gross sweat loss (% of body mass) since the session start, from energy expenditure and air temperature.

    Model (documented in docs/science.md): metabolic power from speed by the ACSM running/walking equations
    (× body mass × 20.1 J/mL O2); flat running does almost no external work, so that power is heat; a share
    f(Ta) = 0.39 + 0.02·(Ta − 12) of it (clipped to 0.2–0.95) is removed by evaporating sweat at 2426 J/g. In
    the spirit of Cheuvront, Sollanek & Kenefick 2023 (sweat losses predicted from energy expenditure and air
    temperature); our constants are set so that rates fall in the field range 0.5–1.5 L/h rising with
    intensity and heat. Drinking is not known, so this is loss, not net dehydration. Temperature gaps hold
    the last reading; seconds before the first temperature reading are converted with it when it arrives;
    None while no temperature has been seen at all. Speed gaps hold the last known speed. None also while the
    speed/pace stream has not reported in this session (a heart-rate-only gateway): the resting rate it would
    assume is not the runner's; seconds before the first speed count at rest, as before.

    >>> import numpy as np
    >>> from processors.profile import Profile
    >>> from processors.registry import compute
    >>> from processors.window import Window
    >>> n = 3600
    >>> w = Window.from_arrays(t=np.arange(float(n)), speed=np.full(n, 1000 / 300), temp=np.full(n, 30.0))
    >>> round(compute("sweat_loss_pct", w, Profile(mass_kg=70)), 2)
    1.62
    >>> print(compute("sweat_loss_pct", Window.from_arrays(t=np.arange(60.0), temp=np.full(60, 30.0))))
    None
    """

    symbol = "sweat_loss_pct"
    name = "Sweat loss"
    units = "% body mass"
    source = "ACSM metabolic equations; Cheuvront, Sollanek & Kenefick, Front Sports Act Living 2023; science.md"
    depends = ("clean",)

    def __init__(self) -> None:
        self._sweat_g = 0.0
        self._pending_j = 0.0  # heat produced before any temperature reading
        self._last_temp: float | None = None
        self._last_speed: float | None = None
        self._pct: float | None = None
        self._speed_seen = False  # a finite speed second has arrived this session

    def update(self, ctx: Context) -> None:
        tail: CleanTail = ctx.results["clean"]
        sl = tail.new_from
        spd = tail.speed[sl:]
        if not self._speed_seen:
            self._speed_seen = bool(np.isfinite(spd).any())
        if spd.size == 0:
            self._pct = self._percent(ctx.profile.mass)
            return
        if spd.shape[0] <= SMALL:  # the usual tick: a few seconds, plain Python
            self._update_small(spd.tolist(), tail.temp[sl:].tolist(), ctx.profile.mass)
            return
        if np.isnan(spd).any():
            init_v = math.nan if self._last_speed is None else self._last_speed
            spd = np.nan_to_num(hold_forward(spd, initial=init_v), nan=0.0)
        tmp = tail.temp[sl:]
        if np.isnan(tmp).any():
            tmp = hold_forward(tmp, initial=math.nan if self._last_temp is None else self._last_temp)
        mass = ctx.profile.mass
        watts = vo2_ml_kg_min(spd) * mass / 60.0 * J_PER_ML_O2  # J per 1-s grid step
        known = tmp == tmp  # NaN compares False
        if known.all():
            shares = sweat_share(tmp)
            if self._pending_j:
                self._sweat_g += self._pending_j * float(shares[0]) / LATENT_HEAT_J_PER_G
                self._pending_j = 0.0
            self._sweat_g += float(watts @ shares) / LATENT_HEAT_J_PER_G
            self._last_temp = float(tmp[-1])
        elif known.any():  # the first reading arrives in this chunk: earlier seconds are converted with it
            first = float(tmp[known][0])
            self._pending_j += float(np.sum(watts[~known]))
            if self._pending_j:
                share = float(sweat_share(np.array([first]))[0])
                self._sweat_g += self._pending_j * share / LATENT_HEAT_J_PER_G
                self._pending_j = 0.0
            self._sweat_g += float(np.sum(watts[known] * sweat_share(tmp[known]))) / LATENT_HEAT_J_PER_G
            self._last_temp = float(tmp[known][-1])
        else:
            self._pending_j += float(np.sum(watts))
        self._last_speed = float(spd[-1])
        self._pct = self._percent(mass)

    def _update_small(self, speeds: list[float], temps: list[float], mass: float) -> None:
        """The same integration as the NumPy path, one second at a time (the running sums in locals, the share's
        limits as max/min pick them: the same operations in the same order)."""
        # the held speed (0.0 before any) and temperature (t_known: one has arrived) as plain floats
        last_v, last_t = self._last_speed, self._last_temp
        v_held = 0.0 if last_v is None else last_v
        t_known = last_t is not None
        t_held = 0.0 if last_t is None else last_t
        sweat_g, pending_j = self._sweat_g, self._pending_j
        lo, hi = SWEAT_SHARE_RANGE
        if len(speeds) != len(temps):  # zip(..., strict=True)'s check, once
            raise ValueError("_update_small: speeds and temps differ in length")
        for v, tc in zip(speeds, temps):  # noqa: B905 (checked above; compiled, a C loop without the keyword)
            if v == v:
                v_held = v
            speed = v_held
            vo2 = (0.2 if speed >= 2.0 else 0.1) * speed * 60.0 + 3.5
            joules = vo2 * mass / 60.0 * J_PER_ML_O2
            if tc == tc:
                t_held, t_known = tc, True
            if not t_known:
                pending_j += joules
                continue
            share = SWEAT_SHARE_AT_12C + SWEAT_SHARE_PER_C * (t_held - 12.0)
            share = lo if lo > share else share  # max(share, lo)
            share = hi if hi < share else share  # min(share, hi)
            if pending_j:
                sweat_g += pending_j * share / LATENT_HEAT_J_PER_G
                pending_j = 0.0
            sweat_g += joules * share / LATENT_HEAT_J_PER_G
        self._sweat_g, self._pending_j = sweat_g, pending_j
        self._last_speed = v_held
        self._last_temp = t_held if t_known else None
        self._pct = self._percent(mass)

    def get(self) -> float | None:
        return self._pct

    def _percent(self, mass_kg: float) -> float | None:
        if self._last_temp is None or mass_kg <= 0 or not self._speed_seen:
            return None
        return fround(100.0 * self._sweat_g / 1000.0 / mass_kg, 4)

    def state_dict(self) -> dict[str, Any]:
        return {
            "sweat_g": self._sweat_g,
            "pending_j": self._pending_j,
            "last_temp": self._last_temp,
            "last_speed": self._last_speed,
            "speed_seen": self._speed_seen,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self._sweat_g = float(state.get("sweat_g", 0.0))
        self._pending_j = float(state.get("pending_j", 0.0))
        lt, ls = state.get("last_temp"), state.get("last_speed")
        self._last_temp = None if lt is None else float(lt)
        self._last_speed = None if ls is None else float(ls)
        # a state saved before "speed_seen" existed: as it then behaved (a held speed, 0 if none, was used)
        self._speed_seen = bool(state.get("speed_seen", ls is not None))


register(SweatLoss)

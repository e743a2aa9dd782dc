"""Foreign values to contract values (pure): units of each stream, event times (athlete ids: the shared
:func:`monitor.core.topics.to_id`).

Each converter returns the contract value or raises :class:`Unusable` with a short fixed reason (the reasons go
to the bridge's rejected topic, which never echoes a payload). Contract units and ranges: ``docs/contract.md``.

Pace has two special cases (``docs/devices.md``, "A watch app or an existing bridge"): a speed of 0 and anything
slower than the contract's running limit, :data:`RUNNING_LIMIT_PACE` (1200 s/km, 3 km/h: "pace above 1200 s/km
means not running"), is "not running", published as :data:`~monitor.gateway.assembler.STOPPED_PACE` (3600 s/km),
never an error — the monitor counts every pace above 1200 as no speed, so nothing is lost, and a phone's GPS
jitter while standing (1-2 km/h) does not look like a very slow walk; a pace faster than 100 s/km (36 km/h: a
car, a bicycle, a GPS jump) is out of range and not forwarded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from monitor.core.eventtime import DATED_FROM
from monitor.core.wire import RANGES
from monitor.gateway.assembler import STOPPED_PACE


class Unusable(ValueError):
    """A foreign value or time the bridge cannot forward; ``reason`` is a short fixed phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: Slower than this (s/km) is "not running" (``docs/contract.md``); the bridge then publishes STOPPED_PACE.
RUNNING_LIMIT_PACE = 1200.0


def _running(pace: float) -> float:
    return STOPPED_PACE if round(pace, 6) > RUNNING_LIMIT_PACE else pace


def _mps(factor: float) -> Callable[[float], float]:
    def pace(speed: float) -> float:
        if speed < 0:
            raise Unusable("pace value out of range")
        return STOPPED_PACE if speed == 0 else _running(1000.0 / (speed * factor))

    return pace


def _pace(factor: float) -> Callable[[float], float]:
    def pace(value: float) -> float:
        if value <= 0:  # a pace of 0 is no pace: "no data" in some apps, never "stopped"
            raise Unusable("pace value out of range")
        return _running(value * factor)

    return pace


def _celsius(fahrenheit: float) -> float:
    return (fahrenheit - 32.0) * 5.0 / 9.0


#: Per contract stream: foreign unit -> conversion to the contract's unit (bpm, s/km, steps/min, °C).
UNITS: dict[str, dict[str, Callable[[float], float]]] = {
    "hr": {"bpm": lambda v: v},
    "pace": {
        "s/km": _pace(1.0),
        "min/km": _pace(60.0),
        "m/s": _mps(1.0),
        "km/h": _mps(1000.0 / 3600.0),
        "mph": _mps(1609.344 / 3600.0),
    },
    "cadence": {"steps/min": lambda v: v, "strides/min": lambda v: 2.0 * v},
    "temp": {"C": lambda v: v, "°C": lambda v: v, "F": _celsius, "°F": _celsius},
}
#: Decimals kept after a conversion (a Fahrenheit reading is not 37.000000001 °C).
_DECIMALS = {"hr": 1, "pace": 1, "cadence": 1, "temp": 2}


def number(raw: object) -> float:
    """A finite number from a JSON number or a numeric string (plain state topics send ``"142"``); booleans are
    not numbers.

    >>> number(142), number(" 61.5\\n"), number("1e2")
    (142.0, 61.5, 100.0)
    """
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise Unusable("not a number")
    try:
        value = float(raw)
    except (ValueError, OverflowError):
        raise Unusable("not a number") from None
    if not math.isfinite(value):
        raise Unusable("not a finite number")
    return value


def convert(stream: str, unit: str, raw: object) -> float:
    """The contract value of ``raw`` in ``unit`` for ``stream``; :class:`Unusable` if it is not a number or lands
    outside the contract's range.

    >>> convert("pace", "km/h", 12), convert("pace", "km/h", 0), convert("cadence", "strides/min", "86")
    (300.0, 3600.0, 172.0)
    >>> convert("temp", "F", 98.6), convert("pace", "min/km", 5.5), convert("pace", "m/s", 0.1)
    (37.0, 330.0, 3600.0)
    >>> convert("pace", "km/h", 3), convert("pace", "km/h", 2), convert("pace", "min/km", 21)
    (1200.0, 3600.0, 3600.0)
    >>> convert("pace", "km/h", 90)
    Traceback (most recent call last):
    monitor.gateway.units.Unusable: pace value out of range
    """
    try:
        value = UNITS[stream][unit](number(raw))
    except Unusable as exc:
        raise Unusable(exc.reason if exc.reason.startswith(stream) else f"{stream} value {exc.reason}") from None
    value = round(value, _DECIMALS[stream])
    lo, hi = RANGES[stream]
    if not lo <= value <= hi:
        raise Unusable(f"{stream} value out of range")
    return value


#: Units of a foreign event time.
TIME_UNITS = ("unix_s", "unix_ms", "iso8601")


def event_time(unit: str, raw: object) -> float:
    """Unix seconds of a foreign time: ``unix_s`` or ``unix_ms`` (numbers or numeric strings) or ``iso8601``
    (a string with a UTC offset: a time without one is rejected, it could be any time zone).

    >>> event_time("unix_ms", 1732400000250), event_time("iso8601", "2024-11-23T22:13:20Z")
    (1732400000.25, 1732400000.0)
    >>> event_time("iso8601", "2024-11-23T22:13:20")
    Traceback (most recent call last):
    monitor.gateway.units.Unusable: time without a UTC offset
    """
    if unit == "iso8601":
        if not isinstance(raw, str):
            raise Unusable("bad event time")
        try:
            when = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise Unusable("bad event time") from None
        if when.tzinfo is None:
            raise Unusable("time without a UTC offset")
        t = when.timestamp()
    else:
        try:
            t = number(raw) / (1000.0 if unit == "unix_ms" else 1.0)
        except Unusable:
            raise Unusable("bad event time") from None
    if t < 0:
        raise Unusable("bad event time")
    if t < DATED_FROM:  # seconds in a unix_ms field: frames of 1970 made sessions of 1970 (audit6)
        raise Unusable("time before 2001 (wrong unit?)")
    return t

"""One instant of an athlete's streams, in contract units. The common currency of simulators and readers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Frame:
    """Streams measured at event time ``t`` (Unix seconds). ``None`` means "not measured at this instant".

    Units as on the wire: ``hr`` bpm, ``pace`` s/km (above 1200 = not running), ``cadence`` steps/min (both
    feet), ``temp`` °C.
    """

    t: float
    hr: float | None = None
    pace: float | None = None
    cadence: float | None = None
    temp: float | None = None

    def streams(self) -> dict[str, float]:
        """The measured streams only.

        >>> Frame(t=1.0, hr=150.0, temp=20.0).streams()
        {'hr': 150.0, 'temp': 20.0}
        """
        out: dict[str, float] = {}
        for name in ("hr", "pace", "cadence", "temp"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

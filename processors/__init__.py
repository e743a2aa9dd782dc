"""Pure indicator computations for crampwatch.

Nothing here does I/O or imports asyncio, aiomqtt or pydantic: input is one athlete's recent history as NumPy
arrays (a :class:`~processors.window.Window`) plus a :class:`~processors.profile.Profile`; output is plain
values (:class:`~processors.indicators.Indicators`). Live monitoring, replay and offline analysis all run
this code.
"""

from processors.indicators import Indicators
from processors.profile import Profile
from processors.window import Window

__all__ = ["Indicators", "Profile", "Window"]

"""The simulated runner: pace plans, physiology, cramp hazard, sensors. Entry point: :func:`simulate`."""

from simulators.runner.athlete import DEFAULT_START, AthleteSpec, Sensors, Traits, Weather
from simulators.runner.model import SimulatedRun, Trace, Truth, simulate
from simulators.runner.plans import Plan

__all__ = [
    "DEFAULT_START",
    "AthleteSpec",
    "Plan",
    "Sensors",
    "SimulatedRun",
    "Trace",
    "Traits",
    "Truth",
    "Weather",
    "simulate",
]

"""Decisions and delivery: turn indicators into alerts a runner can act on, and hand them to sinks."""

from alerts.alert import Alert

__all__ = ["Alert"]

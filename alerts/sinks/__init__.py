"""Pluggable delivery: every sink receives every alert (and, if it wants, every status)."""

from alerts.sinks.base import Sink

__all__ = ["Sink"]

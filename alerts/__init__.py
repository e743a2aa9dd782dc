"""Decisions and delivery: turn indicators into alerts a runner can act on, and hand them to sinks.

:class:`~alerts.policy.AlertPolicy` decides when (pure, event time), :mod:`alerts.advice` what (kind, message,
detail), :mod:`alerts.sinks` where. See docs/alerts.md.
"""

from alerts.alert import ALERT_LEVELS, Alert, alert_id
from alerts.policy import AlertPolicy, PolicyConfig

__all__ = ["ALERT_LEVELS", "Alert", "AlertPolicy", "PolicyConfig", "alert_id"]

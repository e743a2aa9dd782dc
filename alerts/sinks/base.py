"""The sink interface. A sink must never block the pipeline: slow work is queued inside the sink."""

from __future__ import annotations

from typing import Any

from alerts.alert import Alert


class Sink:
    """Base class for alert/status sinks. Override what you need; the defaults do nothing.

    The monitor calls :meth:`start` once, then :meth:`on_alert` / :meth:`on_status` / :meth:`on_ack` from its event loop
    (these must return quickly), then :meth:`close` on shutdown.
    """

    name = "sink"

    async def start(self) -> None:
        return None

    async def on_alert(self, alert: Alert) -> None:
        return None

    async def on_status(self, status: dict[str, Any]) -> None:
        return None

    async def on_ack(self, squad: str, athlete: str, alert_id: str) -> None:
        """An athlete or coach acknowledged an alert (a contract ``ack`` the policy knew)."""
        return None

    async def close(self) -> None:
        return None

"""Operator endpoints on the monitor's HTTP port: ``GET /healthz`` and ``GET /metrics``.

``/healthz`` is 200 only while the broker is connected and data is fresh; otherwise 503 with the reason::

    {"ok": false, "reason": "broker not connected", "broker": "disconnected", "athletes": 3, "sessions": 2, ...}

"Fresh" means: while any session is active, a message was handled within the last ``fresh_s`` seconds (60 by
default) of wall clock. A monitor with no session in progress is healthy as long as it is connected. Without a
monitor (a dashboard served from a recorded view) ``/healthz`` reports the view only and is always 200.

``/metrics`` is the Prometheus text format of :mod:`monitor.metrics`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from monitor.coach.live import LiveView

if TYPE_CHECKING:
    from monitor.mqtt.service import Monitor

#: Seconds without any handled message, while a session is active, after which the data is not fresh.
FRESH_S: Final = 60.0


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    reason: str | None
    body: dict[str, Any]


def check(monitor: Monitor, *, now: float | None = None, fresh_s: float = FRESH_S) -> Health:
    """The health of ``monitor`` now (wall clock, ``time.monotonic()``)."""
    now = time.monotonic() if now is None else now
    sessions = sum(1 for p in monitor.router if p.active)
    last = monitor.last_input_at
    age = None if last is None else round(now - last, 1)
    reason: str | None = None
    if not monitor.connected:
        reason = "broker not connected"
    elif sessions and (age is None or age > fresh_s):
        reason = f"no data for more than {fresh_s:g} s while {sessions} session(s) are active"
    body: dict[str, Any] = {
        "ok": reason is None,
        "reason": reason,
        "broker": "connected" if monitor.connected else "disconnected",
        "athletes": len(monitor.router.pipelines),
        "sessions": sessions,
        "last_input_age_s": age,
        "queues": monitor.queue_depths(),
    }
    return Health(reason is None, reason, body)


def add_routes(app: web.Application, view: LiveView, monitor: Monitor | None) -> None:
    """Register ``/healthz`` and ``/metrics`` on ``app`` (and hook the metrics into ``monitor`` now, so the time
    histograms cover everything from here on)."""
    if monitor is not None:
        from monitor.metrics import metrics_for

        metrics_for(monitor)

    async def healthz(request: web.Request) -> web.Response:
        body: dict[str, Any] = {"ok": True}
        status = 200
        if monitor is not None:
            health = check(monitor)
            body = health.body
            status = 200 if health.ok else 503
        else:
            body["athletes"] = len(view)
        body.update(subscribers=view.subscribers, events=view.seq)
        return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})

    async def metrics(request: web.Request) -> web.Response:
        if monitor is None:
            from prometheus_client import CollectorRegistry, generate_latest

            text = generate_latest(CollectorRegistry())
        else:
            from monitor.metrics import metrics_for

            text = metrics_for(monitor).render()
        return web.Response(
            body=text, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store"}
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)

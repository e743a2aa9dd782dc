"""The coach's dashboard and JSON API over HTTP (aiohttp), fed by a :class:`monitor.coach.live.LiveView`.

::

    view = LiveView()
    async with Monitor(broker, sinks=[view]) as monitor:
        server = await serve(view, "127.0.0.1", 8080, ack=monitor.publish_ack)
        print(server.url)          # http://127.0.0.1:8080/
        ...
        await server.close()

Routes are listed in :mod:`monitor.http.openapi` (served at ``/openapi.json``) and in ``docs/dashboard.md``.
"""

from __future__ import annotations

from monitor.http.app import AckFn, HttpServer, make_app, serve
from monitor.http.openapi import openapi

__all__ = ["AckFn", "HttpServer", "make_app", "openapi", "serve"]

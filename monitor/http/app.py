"""aiohttp application: pages, static assets, server-sent events and the JSON API.

Errors are JSON (``{"error": "...", "status": 404}``) on every route. Ids in paths and bodies follow the
contract (1–64 characters from ``[A-Za-z0-9_-]``): a malformed id is a 400, an id the view has not seen a 404.

``POST /api/ack`` only accepts ``Content-Type: application/json`` and, when the browser sends an ``Origin``,
only from the dashboard's own origin: a page on another site cannot acknowledge alerts in the coach's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from aiohttp import web

from monitor.coach.live import LiveView, Subscription, valid_id
from monitor.errors import UsageError
from monitor.http import history, ops
from monitor.http.pages import page_error, wants_page
from monitor.http.security import HttpSecurity

if TYPE_CHECKING:
    from monitor.mqtt.service import Monitor
    from monitor.store.base import SessionStore

log = logging.getLogger("crampwatch.http")

AckFn = Callable[[str, str, str], None]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
#: Seconds between SSE keep-alive comments (also how soon a vanished client is noticed).
HEARTBEAT_S: Final = 10.0
#: Seconds between checks of the monitor's health for the event stream (a change is sent as ``health``).
HEALTH_S: Final = 1.0
#: Most alerts ``/api/alerts`` returns.
FEED_LIMIT: Final = 200

VIEW: Final = web.AppKey("view", LiveView)
ACK: Final[web.AppKey[AckFn]] = web.AppKey("ack")
SUBS: Final[web.AppKey[set[Subscription]]] = web.AppKey("subs")
CLOSING: Final = web.AppKey("closing", asyncio.Event)

_dumps = partial(json.dumps, allow_nan=False, separators=(",", ":"))
_SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps, headers={"Cache-Control": "no-store"})


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message, "status": status}, status)


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return (page_error if wants_page(request) else _error)(exc.status, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = _error(exc.status, exc.reason)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for key, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)


def _ids(request: web.Request) -> tuple[str, str]:
    squad, athlete = request.match_info["squad"], request.match_info["athlete"]
    if not valid_id(squad) or not valid_id(athlete):
        raise ApiError(400, "bad squad or athlete id: 1-64 characters from [A-Za-z0-9_-]")
    return squad, athlete


def _squad_param(request: web.Request) -> str | None:
    squad = request.query.get("squad")
    if squad is None or squad == "":
        return None
    if not valid_id(squad):
        raise ApiError(400, "bad squad id: 1-64 characters from [A-Za-z0-9_-]")
    return squad


def _known(view: LiveView, squad: str, athlete: str) -> None:
    if not view.known(squad, athlete):
        raise ApiError(404, f"no athlete {athlete} in squad {squad}")


# ---- pages -------------------------------------------------------------------------------------------------
def _page(name: str) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / name, headers={"Cache-Control": "no-cache"})


async def index(request: web.Request) -> web.StreamResponse:
    return _page("index.html")


async def athlete_page(request: web.Request) -> web.StreamResponse:
    _ids(request)  # unknown athletes still get the page: it waits for their first status
    return _page("athlete.html")


# ---- API ---------------------------------------------------------------------------------------------------
async def api_monitor(request: web.Request) -> web.Response:
    return _json(request.app[VIEW].health())


async def api_squads(request: web.Request) -> web.Response:
    return _json(request.app[VIEW].squads())


async def api_athletes(request: web.Request) -> web.Response:
    return _json(request.app[VIEW].athletes(_squad_param(request)))


def _found(value: Any, squad: str, athlete: str) -> Any:
    """The looked-up value, or a 404 for an athlete the view does not know."""
    if value is None:
        raise ApiError(404, f"no athlete {athlete} in squad {squad}")
    return value


async def api_status(request: web.Request) -> web.Response:
    squad, athlete = _ids(request)
    return _json(_found(request.app[VIEW].status(squad, athlete), squad, athlete))


async def api_history(request: web.Request) -> web.Response:
    squad, athlete = _ids(request)
    return _json(_found(request.app[VIEW].history(squad, athlete), squad, athlete))


async def api_athlete_alerts(request: web.Request) -> web.Response:
    squad, athlete = _ids(request)
    return _json(_found(request.app[VIEW].alerts(squad, athlete), squad, athlete))


async def api_alerts(request: web.Request) -> web.Response:
    raw = request.query.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= FEED_LIMIT:
        raise ApiError(400, f"limit must be 1-{FEED_LIMIT}")
    flag = request.query.get("open", "")
    if flag not in ("", "0", "1", "true", "false"):
        raise ApiError(400, "open must be 1, 0, true or false")
    open_only = flag in ("1", "true")
    return _json(request.app[VIEW].feed(_squad_param(request), int(raw), open_only=open_only))


async def _body(request: web.Request, keys: tuple[str, ...]) -> list[str]:
    """The JSON body's ids (same-origin, ``application/json`` only)."""
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise ApiError(403, "cross-origin acknowledgements are not accepted")
    if request.content_type != "application/json":
        raise ApiError(415, "expected Content-Type: application/json")
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # nested too deeply for json: a 400, not a 500 and a traceback
        raise ApiError(400, "body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"body must be an object {{{', '.join(keys)}}}")
    for key in keys:
        if not valid_id(body.get(key)):
            raise ApiError(400, f"bad {key}: 1-64 characters from [A-Za-z0-9_-]")
    return [str(body[key]) for key in keys]


def _send_ack(request: web.Request, squad: str, athlete: str, alert_id: str) -> None:
    try:
        request.app[ACK](squad, athlete, alert_id)
    except Exception:
        log.exception("acknowledging %s/%s %s failed", squad, athlete, alert_id)
        raise ApiError(503, "the acknowledgement could not be sent") from None


async def api_ack(request: web.Request) -> web.Response:
    """One alert; the runner's earlier open alerts of the same kind close with it (``closed``)."""
    squad, athlete, alert_id = await _body(request, ("squad", "athlete", "alert_id"))
    view = request.app[VIEW]
    _known(view, squad, athlete)
    if view.find_alert(squad, athlete, alert_id) is None:
        raise ApiError(404, f"no alert {alert_id} in the current session of {squad}/{athlete}")
    _send_ack(request, squad, athlete, alert_id)
    closed = view.mark_acked(squad, athlete, alert_id)
    return _json({"ok": True, "squad": squad, "athlete": athlete, "alert_id": alert_id, "closed": closed}, 202)


async def api_ack_all(request: web.Request) -> web.Response:
    """Every open alert of the runner's current session: the newest of each kind is acknowledged over MQTT
    (which tells the alert policy), and the earlier ones close with it."""
    squad, athlete = await _body(request, ("squad", "athlete"))
    view = request.app[VIEW]
    _known(view, squad, athlete)
    closed: list[str] = []
    for alert in view.latest_open(squad, athlete):
        _send_ack(request, squad, athlete, alert["id"])
        closed += view.mark_acked(squad, athlete, alert["id"])
    return _json({"ok": True, "squad": squad, "athlete": athlete, "closed": closed}, 202)


async def api_openapi(request: web.Request) -> web.Response:
    from monitor.http.openapi import openapi

    return _json(openapi())


# ---- server-sent events ------------------------------------------------------------------------------------
def _health_key(health: dict[str, Any]) -> tuple[Any, ...]:
    return (health["state"], health["broker_connected"])


def _sse(event: str, data: Any, seq: int | None = None) -> bytes:
    head = f"event: {event}\n" + (f"id: {seq}\n" if seq is not None else "")
    return (head + f"data: {_dumps(data)}\n\n").encode()


async def events(request: web.Request) -> web.StreamResponse:
    """``snapshot`` first (squads, tiles, alert feed, health), then ``status``/``alert``/``ack`` events as
    they happen, and ``health`` when the monitor's broker connection or data freshness changes. A client
    that fell behind and lost events gets a fresh ``snapshot`` (with ``resync: true``)."""
    squad = _squad_param(request)
    view = request.app[VIEW]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    closing = request.app[CLOSING]
    with view.subscribe(squad=squad) as sub:
        request.app[SUBS].add(sub)
        try:
            await response.prepare(request)
            await response.write(b"retry: 2000\n\n" + _sse("snapshot", view.snapshot(squad), view.seq))
            dropped = 0
            health = _health_key(view.health())
            quiet_since = asyncio.get_running_loop().time()
            while not closing.is_set() and not sub.closed:
                batch = await sub.get_batch(timeout=HEALTH_S)
                now_health = view.health()
                if _health_key(now_health) != health:
                    health = _health_key(now_health)
                    await response.write(_sse("health", now_health))
                idle = asyncio.get_running_loop().time() - quiet_since
                if not batch and sub.dropped == dropped and idle < HEARTBEAT_S:
                    continue
                quiet_since = asyncio.get_running_loop().time()
                if sub.dropped != dropped:
                    dropped = sub.dropped
                    snap = view.snapshot(squad)
                    snap["resync"] = True
                    chunk = _sse("snapshot", snap, view.seq)
                elif batch:
                    chunk = b"".join(_sse(kind, data, seq) for seq, kind, data in batch)
                else:
                    chunk = b": keep-alive\n\n"
                await response.write(chunk)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            request.app[SUBS].discard(sub)
    return response


# ---- application -------------------------------------------------------------------------------------------
def make_app(
    view: LiveView,
    *,
    ack: AckFn,
    monitor: Monitor | None = None,
    security: HttpSecurity | None = None,
    store: SessionStore | None = None,
) -> web.Application:
    """The application; the session history reads ``store`` (default: the monitor's)."""
    guard = security or HttpSecurity.default("127.0.0.1")  # Host allow-list, token for coach actions
    app = web.Application(middlewares=[guard.middleware(), _errors], client_max_size=64 * 1024)
    app[VIEW] = view
    app[ACK] = ack
    app[SUBS] = set()
    app[CLOSING] = asyncio.Event()
    app.on_response_prepare.append(_security_headers)
    r = app.router
    r.add_get("/", index)
    r.add_get("/athlete/{squad}/{athlete}", athlete_page)
    r.add_get("/events", events, allow_head=False)
    ops.add_routes(app, view, monitor)  # /healthz, /metrics
    history.add_routes(app, store if store is not None or monitor is None else monitor.store)  # /history, /report
    r.add_get("/openapi.json", api_openapi)
    r.add_get("/api/squads", api_squads)
    r.add_get("/api/athletes", api_athletes)
    r.add_get("/api/alerts", api_alerts)
    r.add_get("/api/athletes/{squad}/{athlete}/status", api_status)
    r.add_get("/api/athletes/{squad}/{athlete}/history", api_history)
    r.add_get("/api/athletes/{squad}/{athlete}/alerts", api_athlete_alerts)
    r.add_get("/api/monitor", api_monitor)
    r.add_post("/api/ack", api_ack)
    r.add_post("/api/ack-all", api_ack_all)
    r.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    return app


class HttpServer:
    """A running dashboard server: ``url`` (with the real port when 0 was asked) and ``close()``."""

    def __init__(self, runner: web.AppRunner, app: web.Application, host: str, port: int) -> None:
        self.runner = runner
        self.app = app
        self.host = host
        self.port = port
        shown = "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host
        self.url = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"

    async def close(self) -> None:
        """Stop: live event streams end at once, then the server shuts down."""
        self.app[CLOSING].set()
        subs = self.app[SUBS]
        for sub in list(subs):
            sub.close()
        with contextlib.suppress(Exception):
            await self.runner.cleanup()

    async def __aenter__(self) -> HttpServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"HttpServer({self.url})"


async def serve(
    view: LiveView,
    host: str,
    port: int,
    *,
    ack: AckFn,
    monitor: Monitor | None = None,
    security: HttpSecurity | None = None,
    store: SessionStore | None = None,
) -> HttpServer:
    """Start the dashboard on ``host:port`` (port 0: a free one; see ``.url``). ``ack(squad, athlete,
    alert_id)`` sends the contract acknowledgement (``Monitor.publish_ack``); with ``monitor``, ``/healthz`` and
    ``/metrics`` report on it, the page's health badge shows its broker connection, and the history reads its
    session store (or ``store``)."""
    if monitor is not None:
        view.connected = lambda: monitor.connected
    app = make_app(view, ack=ack, monitor=monitor, security=security or HttpSecurity.default(host), store=store)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host or None, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise UsageError(f"cannot serve HTTP on {host}:{port}: {exc.strerror or exc}") from exc
    actual = port
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            actual = int(address[1])
            break
    return HttpServer(runner, app, host, actual)

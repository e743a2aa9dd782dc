"""Session history and post-run reports on the dashboard's port, read from the monitor's session store.

Routes (added by :func:`add_routes`; described in :mod:`monitor.http.openapi`):

* ``GET /history[?squad=S][&athlete=A]`` — the history page; ``GET /session/{id}`` — a past session in the
  athlete view (same charts, alerts marked);
* ``GET /api/sessions[?squad=S][&athlete=A][&limit=N]`` — sessions, newest first (``crampwatch sessions``);
* ``GET /api/sessions/{id}`` — one session as the live history's column arrays plus its alerts and its peak;
* ``GET /report/session/{id}`` — the post-run report of a stored session (``crampwatch report``'s HTML);
* ``GET /report/live/{squad}/{athlete}`` — the same report of the runner's current (or last) live session.

Without a store the history answers 503 (``monitor --store none``); reports of live sessions still work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from monitor.coach.live import LiveView, valid_id
from monitor.coach.session import HISTORY_FIELDS
from monitor.coach.words import LEVELS, hr_max_of, session_state, target_pace

if TYPE_CHECKING:
    from monitor.coach.report import RunReport
    from monitor.store.base import SessionStore, SessionSummary

STORE: Final = web.AppKey("store", object)
#: Most sessions ``/api/sessions`` returns.
SESSIONS_LIMIT: Final = 500
#: The report page has its own inline style and inline SVG: nothing else may load.
REPORT_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _fail(status: int, message: str) -> Exception:
    """The app's JSON error (``{"error", "status"}``)."""
    from monitor.http.app import ApiError

    return ApiError(status, message)


def _store(request: web.Request) -> SessionStore:
    store = request.app[STORE]
    if store is None:
        raise _fail(503, "no session store: start the monitor with --store PATH")
    return store  # type: ignore[return-value]


def _sid(request: web.Request) -> str:
    from monitor.store import parse_session_id

    sid = request.match_info["sid"]
    try:
        parse_session_id(sid)
    except ValueError:
        raise _fail(400, "bad session id: SQUAD.ATHLETE.START_MS") from None
    return sid


def _query_id(request: web.Request, name: str) -> str | None:
    value = request.query.get(name) or None
    if value is not None and not valid_id(value):
        raise _fail(400, f"bad {name} id: 1-64 characters from [A-Za-z0-9_-]")
    return value


def _json(data: Any) -> web.Response:
    from monitor.http.app import _json as as_json

    return as_json(data)


#: What ``/api/sessions/{id}`` gives of the last status beside the columns (``gait_state``: the card says "stopped"
#: for a runner who ended standing still, whose pace is null; it said "— /km").
LAST_FIELDS: Final = ("trimp", "hr_zone_s", "factors", "hr_pct_max", "hr_zone", "elapsed_s", "gait_state")


def columns(statuses: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Statuses as the live view's history (column arrays), one point per distinct instant."""
    rows: list[Mapping[str, Any]] = []
    for s in sorted(statuses, key=lambda s: s.get("t") or 0.0):
        if isinstance(s.get("t"), int | float) and (not rows or s["t"] > rows[-1]["t"]):
            rows.append(s)
    out: dict[str, Any] = {"points": len(rows), "t": [s["t"] for s in rows]}
    for name in HISTORY_FIELDS:
        out[name] = [s.get(name) if isinstance(s.get(name), int | float) else None for s in rows]
    out["level"] = [s.get("level") if s.get("level") in LEVELS else None for s in rows]
    last = rows[-1] if rows else {}
    out.update(hr_max=hr_max_of(last), target_pace=target_pace(last), name=last.get("name"))
    out["last"] = {k: last.get(k) for k in LAST_FIELDS}
    out["peak"] = peak_of(rows)
    return out


#: What ``/api/sessions/{id}`` gives of the status at the peak: when, how high, and why (the factors, with the
#: readings the reasons quote: "9 % faster than training pace", "Heat (30 °C)").
PEAK_FIELDS: Final = ("t", "elapsed_s", "risk", "level", "factors", "pace_over_training", "temp")


def peak_of(statuses: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The first status with the highest risk (the report's peak), as :data:`PEAK_FIELDS`; None without a risk."""
    peak: Mapping[str, Any] | None = None
    for s in statuses:
        risk = s.get("risk")
        if isinstance(risk, int | float) and (peak is None or risk > peak["risk"]):
            peak = s
    return None if peak is None else {k: peak.get(k) for k in PEAK_FIELDS}


# ---- pages -------------------------------------------------------------------------------------------------
async def history_page(request: web.Request) -> web.StreamResponse:
    from monitor.http.app import _page

    return _page("history.html")


async def session_page(request: web.Request) -> web.StreamResponse:
    from monitor.http.app import _page

    _sid(request)
    return _page("athlete.html")


# ---- API ---------------------------------------------------------------------------------------------------
async def api_sessions(request: web.Request) -> web.Response:
    raw = request.query.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= SESSIONS_LIMIT:
        raise _fail(400, f"limit must be 1-{SESSIONS_LIMIT}")
    store = _store(request)
    rows = await store.sessions(squad=_query_id(request, "squad"), athlete=_query_id(request, "athlete"),
                                limit=int(raw))  # fmt: skip
    return _json([{**row.to_dict(), "report": f"/report/session/{row.id}"} for row in rows])


async def _stored(request: web.Request) -> tuple[str, SessionSummary, list[dict[str, Any]], list[dict[str, Any]]]:
    """The requested stored session: its id, summary, statuses and alerts (404 when unknown)."""
    sid = _sid(request)
    store = _store(request)
    summary = await store.session(sid)
    if summary is None:
        raise _fail(404, f"no session {sid}")
    return sid, summary, await store.statuses(sid), await store.alerts(sid)


async def api_session(request: web.Request) -> web.Response:
    from monitor.coach.report import response

    sid, summary, statuses, alerts = await _stored(request)
    out = columns(statuses)
    # what the runner did in the 5 min after each alert (against the 5 min before), as the report's table says it
    alerts = [{**a, "response": response(statuses, a)} for a in alerts]
    out.update(id=sid, squad=summary.squad, athlete=summary.athlete, session_start=summary.start,
               session_state="live" if summary.open else "finished", alerts=alerts,
               name=summary.name or out["name"], report=f"/report/session/{sid}")  # fmt: skip
    return _json(out)


# ---- reports -----------------------------------------------------------------------------------------------
async def _report_response(rep: RunReport) -> web.Response:
    from monitor.coach.report_html import render_html
    from monitor.commands.report import need_matplotlib
    from monitor.errors import UsageError

    try:
        need_matplotlib()
    except UsageError as exc:
        raise _fail(503, str(exc)) from None

    page = await asyncio.get_running_loop().run_in_executor(None, render_html, rep)
    headers = {"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store"}
    return web.Response(text=page, content_type="text/html", charset="utf-8", headers=headers)


async def report_session(request: web.Request) -> web.Response:
    from monitor.coach.report import from_statuses

    sid, summary, statuses, alerts = await _stored(request)
    samples = await _store(request).samples(sid)  # the max HR is the session's own, not its 5-s statuses'
    rep = from_statuses(statuses, alerts, squad=summary.squad, athlete=summary.athlete,
                        source=f"Stored session {sid}", samples=samples)  # fmt: skip
    return await _report_response(rep)


def live_statuses(view: LiveView, squad: str, athlete: str) -> list[dict[str, Any]] | None:
    """The live view's current session as statuses (its history columns; the latest status in full)."""
    hist, last = view.history(squad, athlete), view.status(squad, athlete)
    if hist is None or not hist["t"]:
        return None
    rows = [
        {"t": t, "level": hist["level"][i], **{name: hist[name][i] for name in HISTORY_FIELDS}}
        for i, t in enumerate(hist["t"])
    ]
    for row in rows:
        row.update(session_start=hist["session_start"], name=hist.get("name"))
        if hist["session_start"] is not None:
            row["elapsed_s"] = row["t"] - hist["session_start"]
    if last is not None and last.get("t") == rows[-1]["t"]:
        rows[-1] = {**last, "session_state": session_state(last)}
    return rows


async def report_live(request: web.Request) -> web.Response:
    from monitor.coach.report import from_statuses
    from monitor.http.app import VIEW

    squad, athlete = request.match_info["squad"], request.match_info["athlete"]
    if not valid_id(squad) or not valid_id(athlete):
        raise _fail(400, "bad squad or athlete id: 1-64 characters from [A-Za-z0-9_-]")
    view = request.app[VIEW]
    statuses = live_statuses(view, squad, athlete)
    if statuses is None:
        raise _fail(404, f"no session of {athlete} in squad {squad}")
    alerts = view.alerts(squad, athlete) or []
    samples = await _live_samples(request, squad, athlete, statuses[-1].get("session_start"))
    rep = from_statuses(statuses, alerts, squad=squad, athlete=athlete, source="Live session (so far)",
                        samples=samples)  # fmt: skip
    return await _report_response(rep)


async def _live_samples(
    request: web.Request, squad: str, athlete: str, start: Any
) -> list[tuple[str, float, float]] | None:
    """The live session's samples so far from the monitor's session store, for the report's max HR (the 5-s
    history can miss a short peak); None without a store or a session start: the report then says its max HR is
    the highest of the statuses."""
    store = request.app[STORE]
    if store is None or isinstance(start, bool) or not isinstance(start, int | float):
        return None
    from monitor.store import session_id

    samples = await _store(request).samples(session_id(squad, athlete, float(start)))
    return samples or None


def add_routes(app: web.Application, store: SessionStore | None) -> None:
    """The history pages, API and reports; ``store`` None: the history answers 503."""
    app[STORE] = store
    r = app.router
    r.add_get("/history", history_page)
    r.add_get("/session/{sid}", session_page)
    r.add_get("/api/sessions", api_sessions)
    r.add_get("/api/sessions/{sid}", api_session)
    r.add_get("/report/session/{sid}", report_session)
    r.add_get("/report/live/{squad}/{athlete}", report_live)

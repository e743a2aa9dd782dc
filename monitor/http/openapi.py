"""The OpenAPI 3.1 description of the dashboard's HTTP API (served at ``/openapi.json``).

Paths hand-written, schemas generated from the pydantic models in :mod:`monitor.http.models`; tested
against the routes the application registers: every route is described, and every
described path exists.

>>> doc = openapi()
>>> doc["openapi"], "/api/ack" in doc["paths"]
('3.1.0', True)
"""

from __future__ import annotations

from typing import Any

#: The contract's status keys (equal to ``monitor.core.pipeline.STATUS_KEYS``, tested; not imported so that the
#: HTTP layer does not pull in the processors).
STATUS_KEYS = (
    "t", "squad", "athlete", "elapsed_s", "distance_m", "hr", "pace", "cadence", "temp", "stride_m",
    "fatigue", "pace_over_training", "decoupling_pct", "trimp", "sweat_loss_pct", "monotony", "risk", "level",
    "factors", "signal",
)  # fmt: skip

ID_SCHEMA: dict[str, Any] = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json_body(_ref("Error"), description)


def _page_error(description: str) -> dict[str, Any]:
    """A page route's error: JSON, or a small page for a client that accepts text/html (a browser)."""
    return {
        "description": description + " (a page for a client that accepts text/html)",
        "content": {"application/json": {"schema": _ref("Error")}, "text/html": {"schema": {"type": "string"}}},
    }


def _path_ids() -> list[dict[str, Any]]:
    return [
        {"name": "squad", "in": "path", "required": True, "schema": ID_SCHEMA},
        {"name": "athlete", "in": "path", "required": True, "schema": ID_SCHEMA},
    ]


#: A query filter: an id, or empty (``?squad=``, as a form sends "all") for no filter; anything else is a 400.
SQUAD_QUERY: dict[str, Any] = {
    "name": "squad",
    "in": "query",
    "required": False,
    "description": "only this squad (empty or absent: every squad)",
    "schema": {"type": "string", "pattern": "^([A-Za-z0-9_-]{1,64})?$"},
}


SID: dict[str, Any] = {
    "name": "sid",
    "in": "path",
    "required": True,
    "description": "session id SQUAD.ATHLETE.START_MS (crampwatch sessions)",
    "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}\.\d{1,16}$"},
}


def _limit(maximum: int, default: int) -> dict[str, Any]:
    """The optional ``limit`` query parameter."""
    schema = {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}
    return {"name": "limit", "in": "query", "required": False, "schema": schema}


def _athlete_get(summary: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": _path_ids(),
            "responses": {
                "200": _json_body(schema, description),
                "400": _error("malformed squad or athlete id"),
                "404": _error("athlete not seen by this monitor"),
            },
        }
    }


def _schemas() -> dict[str, Any]:
    from monitor.http.models import schemas

    return schemas()


def _post(summary: str, body: str, errors: dict[str, str]) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(body)}}},
            "responses": {
                "202": _json_body(_ref("AckResult"), "acknowledgement sent"),
                **{code: _error(text) for code, text in errors.items()},
            },
        }
    }


ACK_ERRORS = {
    "400": "malformed body or id",
    "403": "request from another origin",
    "404": "unknown athlete or alert",
    "415": "body is not application/json",
    "503": "the ack could not be sent",
}


HTML: dict[str, Any] = {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}


def _page_paths() -> dict[str, Any]:
    """Paths: the HTML pages and the live event stream."""
    return {
        "/": {"get": {"summary": "the squad dashboard page", "responses": {"200": HTML}}},
        "/athlete/{squad}/{athlete}": {
            "get": {
                "summary": "one athlete's page: charts of the session with alerts marked",
                "parameters": _path_ids(),
                "responses": {"200": HTML, "400": _error("malformed squad or athlete id")},
            }
        },
        "/events": {
            "get": {
                "summary": "server-sent events: snapshot, then status, alert and ack events",
                "description": "Event `snapshot` carries `{squads, athletes, alerts, health}` (again with "
                "`resync: true` after a slow client lost events); `status` a Tile; `alert` an Alert; "
                "`ack` `{squad, athlete, alert_id}`; `health` a Health when the monitor's broker "
                "connection or data freshness changes. A comment line is sent every 10 s as keep-alive.",
                "parameters": [SQUAD_QUERY],
                "responses": {
                    "200": {
                        "description": "event stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "400": _error("malformed squad id"),
                },
            }
        },
    }


def _ops_paths() -> dict[str, Any]:
    """Paths: health, metrics and this document."""
    return {
        "/healthz": {
            "get": {
                "summary": "health: 200 while the broker is connected and data fresh, 503 with a reason otherwise",
                "responses": {
                    code: _json_body(
                        {
                            "type": "object",
                            "required": ["ok"],
                            "properties": {
                                "ok": {"type": "boolean"},
                                "reason": {"type": ["string", "null"]},
                                "broker": {"type": "string", "enum": ["connected", "disconnected"]},
                                "athletes": {"type": "integer"},
                                "sessions": {"type": "integer"},
                                "last_input_age_s": {"type": ["number", "null"]},
                                "queues": {"type": "object", "additionalProperties": {"type": "integer"}},
                                "subscribers": {"type": "integer"},
                                "events": {"type": "integer"},
                            },
                        },
                        text,
                    )
                    for code, text in (("200", "healthy"), ("503", "unhealthy; `reason` says why"))
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics (text exposition format; see docs/operations.md)",
                "responses": {
                    "200": {
                        "description": "metrics",
                        "content": {"text/plain; version=0.0.4": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "this document",
                "responses": {"200": _json_body({"type": "object"}, "OpenAPI 3.1 document")},
            }
        },
    }


def _live_paths() -> dict[str, Any]:
    """Paths: the live squad view's JSON."""
    return {
        "/api/squads": {
            "get": {
                "summary": "squads with athlete count, worst level and open alerts",
                "responses": {"200": _json_body({"type": "array", "items": _ref("Squad")}, "squads")},
            }
        },
        "/api/athletes": {
            "get": {
                "summary": "one tile per athlete, riskiest first",
                "parameters": [SQUAD_QUERY],
                "responses": {
                    "200": _json_body({"type": "array", "items": _ref("Tile")}, "tiles"),
                    "400": _error("malformed squad id"),
                },
            }
        },
        "/api/alerts": {
            "get": {
                "summary": "alerts of all athletes, newest first: every unacknowledged one, then the "
                "latest acknowledged ones up to `limit`",
                "parameters": [
                    SQUAD_QUERY,
                    {
                        "name": "open",
                        "in": "query",
                        "required": False,
                        "description": "1 or true: only unacknowledged alerts (0, false or empty: all)",
                        "schema": {"type": "string", "enum": ["", "0", "1", "true", "false"]},
                    },
                    _limit(200, 50),
                ],
                "responses": {
                    "200": _json_body({"type": "array", "items": _ref("Alert")}, "alerts"),
                    "400": _error("malformed squad id, limit or open"),
                },
            }
        },
        "/api/athletes/{squad}/{athlete}/status": _athlete_get(
            "the athlete's latest full status", _ref("Status"), "status"
        ),
        "/api/athletes/{squad}/{athlete}/history": _athlete_get(
            "the athlete's current (or last) session as column arrays", _ref("History"), "history"
        ),
        "/api/athletes/{squad}/{athlete}/alerts": _athlete_get(
            "alerts of the current (or last) session, oldest first",
            {"type": "array", "items": _ref("Alert")},
            "alerts",
        ),
    }


def _history_paths() -> dict[str, Any]:
    """Paths: stored sessions and reports."""
    return {
        "/history": {
            "get": {
                "summary": "the session history page (per squad and athlete)",
                "parameters": [
                    {
                        **SQUAD_QUERY,
                        "description": "the squad to show (read by the page's script, which shows the API's error "
                        "for a malformed id; the page itself is the same for any value)",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {"200": HTML},
            }
        },
        "/session/{sid}": {
            "get": {
                "summary": "a stored session in the athlete view: charts with alerts marked",
                "parameters": [SID],
                "responses": {"200": HTML, "400": _error("malformed session id")},
            }
        },
        "/api/sessions": {
            "get": {
                "summary": "stored sessions, newest first",
                "parameters": [
                    SQUAD_QUERY,
                    {**SQUAD_QUERY, "name": "athlete", "description": "only this athlete (empty or absent: all)"},
                    _limit(500, 100),
                ],
                "responses": {
                    "200": _json_body({"type": "array", "items": _ref("SessionRow")}, "sessions"),
                    "400": _error("malformed id or limit"),
                    "503": _error("no session store"),
                },
            }
        },
        "/api/sessions/{sid}": {
            "get": {
                "summary": "one stored session as column arrays, with its alerts",
                "parameters": [SID],
                "responses": {
                    "200": _json_body(_ref("StoredSession"), "session"),
                    "400": _error("malformed session id"),
                    "404": _error("no such session"),
                    "503": _error("no session store"),
                },
            }
        },
        "/report/session/{sid}": {
            "get": {
                "summary": "the post-run report of a stored session (self-contained HTML)",
                "parameters": [SID],
                "responses": {
                    "200": HTML,
                    "400": _page_error("malformed session id"),
                    "404": _page_error("no such session"),
                    "503": _page_error("no session store"),
                },
            }
        },
        "/report/live/{squad}/{athlete}": {
            "get": {
                "summary": "the report of a runner's current (or last) live session so far",
                "parameters": _path_ids(),
                "responses": {"200": HTML, "400": _page_error("malformed id"), "404": _page_error("no session")},
            }
        },
    }


def _control_paths() -> dict[str, Any]:
    """Paths: the monitor's health and acknowledgements."""
    return {
        "/api/monitor": {
            "get": {
                "summary": "the monitor's health as the badge shows it: broker connection, data freshness",
                "responses": {"200": _json_body(_ref("Health"), "health")},
            }
        },
        "/api/ack": _post(
            "acknowledge an alert (publishes the contract's ack); the runner's earlier open alerts of the "
            "same kind close with it",
            "AckRequest",
            ACK_ERRORS,
        ),
        "/api/ack-all": _post(
            "acknowledge every open alert of a runner's current session (the newest of each kind is sent "
            "as the contract's ack; the earlier ones close with it)",
            "AckAllRequest",
            ACK_ERRORS,
        ),
    }


def openapi() -> dict[str, Any]:
    """The API description as a JSON-ready dict."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "crampwatch coach dashboard API",
            "version": "1",
            "description": "Live squad view of the crampwatch monitor: latest statuses, session history, "
            "alerts and acknowledgements. Ids are 1-64 characters from [A-Za-z0-9_-].",
        },
        "paths": {**_page_paths(), **_ops_paths(), **_live_paths(), **_history_paths(), **_control_paths()},
        "components": {"schemas": _schemas()},
    }

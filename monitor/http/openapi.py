"""The OpenAPI 3.1 description of the dashboard's HTTP API (served at ``/openapi.json``).

Hand-written, and tested against the routes the application registers: every route is described, and every
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
NUM_OR_NULL: dict[str, Any] = {"type": ["number", "null"]}
LEVEL: dict[str, Any] = {"type": "string", "enum": ["low", "elevated", "high", "critical"]}
SIGNAL: dict[str, Any] = {"type": "string", "enum": ["ok", "stale", "lost"]}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json_body(_ref("Error"), description)


def _path_ids() -> list[dict[str, Any]]:
    return [
        {"name": "squad", "in": "path", "required": True, "schema": ID_SCHEMA},
        {"name": "athlete", "in": "path", "required": True, "schema": ID_SCHEMA},
    ]


SQUAD_QUERY: dict[str, Any] = {
    "name": "squad",
    "in": "query",
    "required": False,
    "description": "only this squad",
    "schema": ID_SCHEMA,
}


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
    status_props: dict[str, Any] = {key: NUM_OR_NULL for key in STATUS_KEYS}
    status_props.update(
        squad=ID_SCHEMA,
        athlete=ID_SCHEMA,
        t={"type": "number", "description": "event time, Unix seconds"},
        level=LEVEL,
        signal=SIGNAL,
        factors={"type": "object", "additionalProperties": {"type": "number"}},
        name={"type": ["string", "null"]},
        session_start={"type": ["number", "null"]},
    )
    alert_props: dict[str, Any] = {
        "id": ID_SCHEMA,
        "t": {"type": "number"},
        "squad": ID_SCHEMA,
        "athlete": ID_SCHEMA,
        "level": {"type": "string", "enum": ["advice", "warning", "critical"]},
        "kind": {"type": "string"},
        "risk": {"type": "number"},
        "message": {"type": "string", "maxLength": 80},
        "detail": {"type": "string"},
        "factors": {"type": "object", "additionalProperties": {"type": "number"}},
        "acked": {"type": "boolean", "description": "acknowledged from this dashboard"},
        "name": {"type": ["string", "null"]},
    }
    series = {"type": "array", "items": NUM_OR_NULL}
    return {
        "Error": {
            "type": "object",
            "required": ["error", "status"],
            "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
        },
        "Status": {
            "type": "object",
            "description": "the contract's status snapshot (monitor → all), with any extras the monitor adds",
            "required": list(STATUS_KEYS),
            "properties": status_props,
        },
        "Tile": {
            "type": "object",
            "description": "what a dashboard tile shows: status essentials, top reason, last alert",
            "required": ["squad", "athlete", "risk", "level", "signal"],
            "properties": {
                **{k: status_props[k] for k in ("t", "squad", "athlete", "name", "session_start", "level")},
                **{
                    k: NUM_OR_NULL
                    for k in (
                        "elapsed_s",
                        "distance_m",
                        "hr",
                        "pace",
                        "cadence",
                        "temp",
                        "stride_m",
                        "fatigue",
                        "pace_over_training",
                        "risk",
                        "wall_idle_s",
                        "age_s",
                    )
                },
                "signal": SIGNAL,
                "factors": status_props["factors"],
                "top_reason": {
                    "type": ["string", "null"],
                    "description": "factor with the largest contribution",
                },
                "last_alert": {"oneOf": [{"type": "null"}, {"type": "object"}]},
            },
        },
        "Alert": {
            "type": "object",
            "required": ["id", "t", "squad", "athlete", "level", "kind", "message"],
            "properties": alert_props,
        },
        "Squad": {
            "type": "object",
            "required": ["squad", "athletes"],
            "properties": {
                "squad": ID_SCHEMA,
                "athletes": {"type": "integer"},
                "worst_level": {"oneOf": [LEVEL, {"type": "null"}]},
                "open_alerts": {"type": "integer"},
            },
        },
        "History": {
            "type": "object",
            "description": "the current (or last) session, one point per status, as column arrays",
            "required": [
                "session_start",
                "t",
                "hr",
                "pace",
                "cadence",
                "stride_m",
                "risk",
                "level",
                "alerts",
            ],
            "properties": {
                "squad": ID_SCHEMA,
                "athlete": ID_SCHEMA,
                "name": {"type": ["string", "null"]},
                "session_start": {"type": ["number", "null"]},
                "points": {"type": "integer"},
                "t": {"type": "array", "items": {"type": "number"}},
                **{
                    k: series
                    for k in ("hr", "pace", "cadence", "stride_m", "temp", "risk", "fatigue", "distance_m")
                },
                "level": {"type": "array", "items": {"oneOf": [LEVEL, {"type": "null"}]}},
                "alerts": {"type": "array", "items": _ref("Alert")},
            },
        },
        "AckRequest": {
            "type": "object",
            "required": ["squad", "athlete", "alert_id"],
            "properties": {"squad": ID_SCHEMA, "athlete": ID_SCHEMA, "alert_id": ID_SCHEMA},
            "additionalProperties": False,
        },
    }


def openapi() -> dict[str, Any]:
    """The API description as a JSON-ready dict."""
    html = {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "crampwatch coach dashboard API",
            "version": "1",
            "description": "Live squad view of the crampwatch monitor: latest statuses, session history, "
            "alerts and acknowledgements. Ids are 1-64 characters from [A-Za-z0-9_-].",
        },
        "paths": {
            "/": {"get": {"summary": "the squad dashboard page", "responses": {"200": html}}},
            "/athlete/{squad}/{athlete}": {
                "get": {
                    "summary": "one athlete's page: charts of the session with alerts marked",
                    "parameters": _path_ids(),
                    "responses": {"200": html, "400": _error("malformed squad or athlete id")},
                }
            },
            "/events": {
                "get": {
                    "summary": "server-sent events: snapshot, then status, alert and ack events",
                    "description": "Event `snapshot` carries `{squads, athletes, alerts}` (again with "
                    "`resync: true` after a slow client lost events); `status` a Tile; `alert` an Alert; "
                    "`ack` `{squad, athlete, alert_id}`. A comment line is sent every 10 s as keep-alive.",
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
                    "summary": "the latest alerts of all athletes, newest first",
                    "parameters": [
                        SQUAD_QUERY,
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                        },
                    ],
                    "responses": {
                        "200": _json_body({"type": "array", "items": _ref("Alert")}, "alerts"),
                        "400": _error("malformed squad id or limit"),
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
            "/api/ack": {
                "post": {
                    "summary": "acknowledge an alert (publishes the contract's ack to the monitor)",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("AckRequest")}},
                    },
                    "responses": {
                        "202": _json_body(
                            {"type": "object", "properties": {"ok": {"type": "boolean"}}}, "ack sent"
                        ),
                        "400": _error("malformed body or id"),
                        "403": _error("request from another origin"),
                        "404": _error("unknown athlete or alert"),
                        "415": _error("body is not application/json"),
                        "503": _error("the ack could not be sent"),
                    },
                }
            },
        },
        "components": {"schemas": _schemas()},
    }

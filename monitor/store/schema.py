"""The SQLite schema of the session store and the SQL that reads and writes it (plain ``sqlite3``; called from the
store's writer thread or a reader thread, never from the event loop).

Tables: ``sessions`` (one row per athlete session, with running aggregates for ``crampwatch sessions``),
``inputs`` (every message applied to a pipeline, per athlete in order: the replay log), ``statuses``,
``alerts`` (also the sent-ids table: an alert is stored when it is sent), ``acks``, ``snapshots`` (the newest
``AthletePipeline.state_dict()`` per athlete with the input sequence number it includes), ``meta``.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from monitor.core import wire
from monitor.errors import RejectedMessage
from monitor.store.base import Recovery, SessionSummary, Step, session_id

VERSION = 1
_LEVELS = {"low": 1, "elevated": 2, "high": 3, "critical": 4}
_LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, squad TEXT NOT NULL, athlete TEXT NOT NULL, start REAL NOT NULL,
    open INTEGER NOT NULL DEFAULT 1, name TEXT, last_t REAL, elapsed_s REAL, distance_m REAL,
    peak_risk REAL, peak_rank INTEGER);
CREATE INDEX IF NOT EXISTS sessions_by_squad ON sessions(squad, start);
CREATE INDEX IF NOT EXISTS sessions_open ON sessions(open);
CREATE TABLE IF NOT EXISTS inputs (
    squad TEXT NOT NULL, athlete TEXT NOT NULL, seq INTEGER NOT NULL, session_id TEXT,
    leaf TEXT NOT NULL, payload BLOB NOT NULL, wall REAL, PRIMARY KEY (squad, athlete, seq));
CREATE INDEX IF NOT EXISTS inputs_by_session ON inputs(session_id);
CREATE TABLE IF NOT EXISTS statuses (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, t REAL NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS statuses_by_session ON statuses(session_id, t);
CREATE TABLE IF NOT EXISTS alerts (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, t REAL NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_by_session ON alerts(session_id, t);
CREATE TABLE IF NOT EXISTS acks (session_id TEXT NOT NULL, alert_id TEXT NOT NULL,
    PRIMARY KEY (session_id, alert_id));
CREATE TABLE IF NOT EXISTS snapshots (squad TEXT NOT NULL, athlete TEXT NOT NULL, seq INTEGER NOT NULL,
    session_id TEXT NOT NULL, state TEXT NOT NULL, wall REAL NOT NULL, PRIMARY KEY (squad, athlete));
"""


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(_DDL)
    row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    if row is None:
        conn.execute("INSERT INTO meta(key, value) VALUES ('version', ?)", (str(VERSION),))
    elif int(row[0]) != VERSION:
        raise sqlite3.DatabaseError(f"schema version {row[0]}, this crampwatch reads {VERSION}")


def check(conn: sqlite3.Connection) -> None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    if row is None or int(row[0]) != VERSION:
        raise sqlite3.DatabaseError("unknown schema version")


def _dumps(data: Any) -> str:
    return json.dumps(data, allow_nan=False, separators=(",", ":"))


def write_step(
    conn: sqlite3.Connection, step: Step, seq: int | None, closed: str | None, opened: float | None, leaf: str | None
) -> None:
    squad, athlete = step.squad, step.athlete
    if opened is not None:
        _ensure_session(conn, squad, athlete, opened)
    sid = session_id(squad, athlete, step.session_start) if step.session_start is not None else closed
    if leaf is not None and seq is not None and step.payload is not None:
        conn.execute(
            "INSERT OR REPLACE INTO inputs(squad, athlete, seq, session_id, leaf, payload, wall) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (squad, athlete, seq, sid, leaf, step.payload, step.wall),
        )
        if leaf == "ack" and sid is not None:
            alert_id = _ack_id(step.payload)
            if alert_id is not None:
                conn.execute("INSERT OR IGNORE INTO acks(session_id, alert_id) VALUES (?, ?)", (sid, alert_id))
    by_t: dict[float, str] = {}
    for status in step.statuses:
        start = status.get("session_start")
        ssid = session_id(squad, athlete, float(start)) if start is not None else sid
        if ssid is None:
            continue
        by_t[status["t"]] = ssid
        _ensure_session(conn, squad, athlete, float(start) if start is not None else None, ssid)
        conn.execute(  # OR IGNORE: a database shared with shard workers has a unique key on statuses
            "INSERT OR IGNORE INTO statuses(session_id, t, data) VALUES (?, ?, ?)", (ssid, status["t"], _dumps(status))
        )
        conn.execute(
            "UPDATE sessions SET last_t = ?, elapsed_s = ?, distance_m = ?, name = ?, "
            "peak_risk = MAX(COALESCE(peak_risk, 0), COALESCE(?, 0)), "
            "peak_rank = MAX(COALESCE(peak_rank, 0), ?) WHERE id = ?",
            (status["t"], status.get("elapsed_s"), status.get("distance_m"), status.get("name"),
             status.get("risk"), _LEVELS.get(str(status.get("level")), 0), ssid),
        )  # fmt: skip
    for alert in step.alerts:
        asid = by_t.get(alert["t"]) or sid or closed
        if asid is not None:
            conn.execute(
                "INSERT OR IGNORE INTO alerts(id, session_id, t, data) VALUES (?, ?, ?, ?)",
                (alert["id"], asid, alert["t"], _dumps(alert)),
            )
    if closed is not None:
        conn.execute("UPDATE sessions SET open = 0 WHERE id = ?", (closed,))


def _ensure_session(
    conn: sqlite3.Connection, squad: str, athlete: str, start: float | None, sid: str | None = None
) -> None:
    if start is None:
        return
    conn.execute(
        "INSERT OR IGNORE INTO sessions(id, squad, athlete, start, open) VALUES (?, ?, ?, ?, 1)",
        (sid or session_id(squad, athlete, start), squad, athlete, start),
    )


def _ack_id(payload: bytes) -> str | None:
    try:
        return wire.parse_ack(payload).alert_id
    except RejectedMessage:
        return None


# ---- recovery ------------------------------------------------------------------------------------------------
def recover(conn: sqlite3.Connection) -> list[Recovery]:
    out = []
    for sid, squad, athlete, start in conn.execute(
        "SELECT id, squad, athlete, start FROM sessions WHERE open = 1 ORDER BY squad, athlete"
    ).fetchall():
        snap = conn.execute(
            "SELECT seq, state FROM snapshots WHERE squad = ? AND athlete = ? AND session_id = ?", (squad, athlete, sid)
        ).fetchone()
        if snap is not None:
            after, state = int(snap[0]), json.loads(snap[1])
        else:  # no snapshot yet: replay the whole session from its first input
            first = conn.execute("SELECT MIN(seq) FROM inputs WHERE session_id = ?", (sid,)).fetchone()[0]
            after, state = (int(first) - 1 if first is not None else 0), None
        inputs = [
            (str(leaf), bytes(payload), None if wall is None else float(wall))
            for leaf, payload, wall in conn.execute(
                "SELECT leaf, payload, wall FROM inputs WHERE squad = ? AND athlete = ? AND seq > ? ORDER BY seq",
                (squad, athlete, after),
            )
        ]
        sent = {row[0] for row in conn.execute("SELECT id FROM alerts WHERE session_id = ?", (sid,))}
        last = conn.execute(
            "SELECT t, data FROM statuses WHERE session_id = ? ORDER BY t DESC, id DESC LIMIT 1", (sid,)
        ).fetchone()
        out.append(
            Recovery(squad, athlete, float(start), state, inputs, sent,
                     None if last is None else float(last[0]), None if last is None else json.loads(last[1]))
        )  # fmt: skip
    return out


# ---- read API ------------------------------------------------------------------------------------------------
def sessions(
    conn: sqlite3.Connection,
    *,
    squad: str | None = None,
    athlete: str | None = None,
    limit: int | None = None,
    sid: str | None = None,
) -> list[SessionSummary]:
    where, args = [], []
    for column, value in (("s.squad", squad), ("s.athlete", athlete), ("s.id", sid)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    sql = (
        "SELECT s.id, s.squad, s.athlete, s.name, s.start, s.last_t, s.elapsed_s, s.distance_m, s.peak_risk, "
        "s.peak_rank, s.open, (SELECT COUNT(*) FROM alerts a WHERE a.session_id = s.id) FROM sessions s"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY s.start DESC, s.squad, s.athlete"
        + (f" LIMIT {int(limit)}" if limit is not None else "")
    )
    return [
        SessionSummary(
            id=r[0],
            squad=r[1],
            athlete=r[2],
            name=r[3],
            start=r[4],
            last_t=r[5],
            duration_s=r[6],
            distance_m=r[7],
            peak_risk=r[8],
            peak_level=_LEVEL_NAMES.get(r[9] or 0),
            open=bool(r[10]),
            alerts=int(r[11]),
        )
        for r in conn.execute(sql, args)
    ]


def alerts(conn: sqlite3.Connection, sid: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT a.data, EXISTS(SELECT 1 FROM acks k WHERE k.session_id = a.session_id AND k.alert_id = a.id) "
        "FROM alerts a WHERE a.session_id = ? ORDER BY a.t, a.rowid",
        (sid,),
    )
    return [{**json.loads(data), "acked": bool(acked)} for data, acked in rows]


def samples(conn: sqlite3.Connection, sid: str) -> list[tuple[str, float, float]]:
    out: list[tuple[str, float, float]] = []
    rows = conn.execute(
        "SELECT leaf, payload FROM inputs WHERE session_id = ? AND leaf IN ('hr', 'pace', 'cadence', 'temp', 'frame') "
        "ORDER BY squad, athlete, seq",
        (sid,),
    )
    for leaf, payload in rows:
        try:
            parsed = wire.parse_frames(payload) if leaf == "frame" else wire.parse_stream(leaf, payload)
        except RejectedMessage:
            continue
        out.extend(parsed.samples)
    return out

"""The coach's session history written by every shard worker (``--amqp ... --store postgresql://...``).

Each worker records the statuses and alerts it computes into the tables the single-process monitor's
:class:`~monitor.store.postgres.PostgresStore` writes (``sessions``, ``statuses``, ``alerts``), so
``crampwatch sessions --store postgresql://...`` lists the whole field and ``crampwatch report`` reads a runner's
session whichever worker(s) computed it. How it differs from the single-process store:

* **Several writers.** Every worker holds the store's advisory lock *shared*
  (``pg_try_advisory_lock_shared``); a single-process monitor holds it *exclusive*, so a single-process monitor
  and shard workers never write one database at once, while any number of workers do.
* **No replay log.** A worker's failover state is its shard checkpoint (:mod:`monitor.amqp.state`): inputs and
  snapshots are not written here (``inputs`` stays empty; ``report`` reads statuses and alerts only).
* **Idempotent writes.** A batch redelivered after a take-over is computed again and yields the same statuses
  (same event time) and alerts (deterministic ids). A unique index on ``statuses (session_id, t, state)`` and the
  alerts' primary key drop the repeats (``ON CONFLICT DO NOTHING``); a session's running aggregates move only
  forward in event time (a late write of the previous owner cannot set ``last_t`` back).
* **Sessions from statuses.** Session ids are deterministic (``squad.athlete.start_ms``, from the status's
  ``session_start``), so the worker that takes a runner over continues the same row. A session closes on its
  ``finished`` status or when a newer session of the same runner appears.

Writes go through the SQLite backend's queue and writer thread: :meth:`record_step` queues and returns, a
failing database is retried with back-off, never holding up the tick path.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg

from monitor.errors import UsageError
from monitor.store import schema
from monitor.store.base import Recovery, Step, session_id
from monitor.store.postgres import PG_DDL, STORE_LOCK, PostgresStore, redact

#: Serialises the DDL of workers starting at once (the shard store uses the same key for its own tables).
DDL_LOCK = 7401923
HISTORY_DDL = (
    "CREATE UNIQUE INDEX IF NOT EXISTS statuses_once ON statuses (session_id, t, ((data::jsonb) ->> 'session_state'))",
)
log = logging.getLogger("crampwatch.store")
_LEVELS = {"low": 1, "elevated": 2, "high": 3, "critical": 4}


class SharedHistory(PostgresStore):
    """The session history of one shard worker in a database shared with the other workers."""

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self.description = f"{redact(url)} (shared history)"

    def _open_sync(self) -> None:
        where = f"--store {redact(self.url)}"
        try:
            self._conn = self._connect(read_only=False)
            raw = self._raw()
            if not self._take_lock(self._conn):
                self._conn.close()
                raise UsageError(f"{where}: in use by a single-process monitor")
            with raw.transaction():
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
                for statement in (*PG_DDL, *HISTORY_DDL):
                    raw.execute(statement)
                raw.execute(
                    "INSERT INTO meta(key, value) VALUES ('version', %s) ON CONFLICT DO NOTHING", (str(schema.VERSION),)
                )
        except psycopg.Error as exc:
            raise UsageError(f"{where}: cannot use as a session store ({str(exc).strip().splitlines()[0]})") from exc

    def _take_lock(self, conn: Any) -> bool:
        """The store's advisory lock *shared*: any number of workers, never beside a single-process monitor."""
        row = conn.execute("SELECT pg_try_advisory_lock_shared(%s)", (STORE_LOCK,)).fetchone()
        return bool(row and row[0])

    # ---- write side: the Step's statuses and alerts only (queued; the writer thread writes) --------------
    def record_step(self, step: Step) -> None:
        self._put("history", step)
        self.counters["steps"] += 1

    def record_snapshot(self, squad: str, athlete: str, session_start: float, state: str) -> None:
        return None  # a worker's failover state is its shard checkpoint

    async def recover(self) -> list[Recovery]:
        return []  # workers restore from their shard checkpoints (monitor.amqp.state)

    def _raw(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] = self._conn._conn  # type: ignore[attr-defined]
        return conn

    def _write_batch(self, batch: list[tuple[str, Any]]) -> None:
        raw = self._raw()
        with raw.transaction():
            for _, step in batch:
                try:
                    with raw.transaction():  # a savepoint: a record is all or nothing
                        write_history(raw, step)
                except (ValueError, TypeError) as exc:  # cannot be encoded: skipped, never retried
                    self.counters["bad_records"] += 1
                    log.error("shared history %s: skipped a record that cannot be stored: %s", self.description, exc)


def _dumps(data: Any) -> str:
    return json.dumps(data, allow_nan=False, separators=(",", ":"))


def _ensure_session(conn: psycopg.Connection[Any], squad: str, athlete: str, start: float, sid: str) -> None:
    cur = conn.execute(
        "INSERT INTO sessions(id, squad, athlete, start, open) VALUES (%s, %s, %s, %s, 1) ON CONFLICT DO NOTHING",
        (sid, squad, athlete, start),
    )
    if cur.rowcount != 1:
        return  # known already (this worker or the runner's previous one created it)
    # a new session ends the runner's older open ones; one created late (a previous owner's queued write) is closed
    conn.execute(
        "UPDATE sessions SET open = 0 WHERE squad = %s AND athlete = %s AND open = 1 AND start < %s",
        (squad, athlete, start),
    )
    conn.execute(
        "UPDATE sessions s SET open = 0 WHERE s.id = %s AND EXISTS (SELECT 1 FROM sessions n "
        "WHERE n.squad = s.squad AND n.athlete = s.athlete AND n.start > s.start)",
        (sid,),
    )


def write_history(conn: psycopg.Connection[Any], step: Step) -> None:
    """One step's statuses and alerts, idempotently (see the module docstring)."""
    squad, athlete = step.squad, step.athlete
    by_t: dict[float, str] = {}
    for status in step.statuses:
        start = status.get("session_start")
        if start is None:
            continue
        sid = session_id(squad, athlete, float(start))
        by_t[status["t"]] = sid
        _ensure_session(conn, squad, athlete, float(start), sid)
        t = status["t"]
        cur = conn.execute(
            "INSERT INTO statuses(session_id, t, data) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (sid, t, _dumps(status)),
        )
        if cur.rowcount == 1:
            conn.execute(
                "UPDATE sessions SET elapsed_s = CASE WHEN last_t IS NULL OR last_t <= %(t)s THEN %(e)s "
                "ELSE elapsed_s END, distance_m = CASE WHEN last_t IS NULL OR last_t <= %(t)s THEN %(d)s "
                "ELSE distance_m END, name = CASE WHEN last_t IS NULL OR last_t <= %(t)s THEN %(n)s ELSE name END, "
                "last_t = GREATEST(COALESCE(last_t, %(t)s), %(t)s), "
                "peak_risk = GREATEST(COALESCE(peak_risk, 0), COALESCE(%(r)s, 0)), "
                "peak_rank = GREATEST(COALESCE(peak_rank, 0), %(k)s) WHERE id = %(id)s",
                {"t": t, "e": status.get("elapsed_s"), "d": status.get("distance_m"), "n": status.get("name"),
                 "r": status.get("risk"), "k": _LEVELS.get(str(status.get("level")), 0), "id": sid},
            )  # fmt: skip
        if status.get("session_state") == "finished":
            conn.execute("UPDATE sessions SET open = 0 WHERE id = %s", (sid,))
    fallback = session_id(squad, athlete, step.session_start) if step.session_start is not None else None
    for alert in step.alerts:
        asid = by_t.get(alert["t"]) or fallback
        if asid is not None:
            conn.execute(
                "INSERT INTO alerts(id, session_id, t, data) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (alert["id"], asid, alert["t"], _dumps(alert)),
            )

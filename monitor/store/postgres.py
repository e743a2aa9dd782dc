"""``--store postgresql://...``: the session store and the shared state of sharded workers in PostgreSQL
(psycopg 3).

* :class:`PostgresStore` — the session store of the MQTT service (the SQLite backend's behaviour and SQL, on
  PostgreSQL; see the end of this module).
* :class:`PostgresShardStore` — the failover state of ``--amqp`` shard workers. Two tables, created if missing
  (idempotent, safe for several workers at once):


  - ``crampwatch_athlete_state`` — one row per athlete: its shard, whether a worker taking the shard over restores
  it (``open``: its session is open, or it has a profile that came by message, :func:`monitor.amqp.state.restores`),
  the event time of its newest status and its whole state (:meth:`AthletePipeline.state_dict`, compressed JSON). A
  worker that becomes the active consumer of a shard loads the ``open`` rows of that shard and continues from them.
  - ``crampwatch_sent_alert`` — the id of every alert sent (ids are deterministic, so a worker that recomputes a
  tick after a failover recognises an alert its predecessor already sent and does not send it again).

The URL is never logged with its password (:func:`redact`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import psycopg

from monitor.amqp.state import Key, State, decode_state, encode_state, restores
from monitor.errors import CrampwatchError, UsageError
from monitor.redact import redact_url
from monitor.store import schema
from monitor.store.base import store_label
from monitor.store.sqlite import SqliteStore

log = logging.getLogger("crampwatch.store")
#: The session store's advisory lock: a single-process monitor takes it exclusive, shard workers shared
#: (monitor.amqp.history), so the two never write one database's history together.
STORE_LOCK = 7401924
Conn = psycopg.AsyncConnection[tuple[object, ...]]
T = TypeVar("T")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS crampwatch_athlete_state (
        squad text NOT NULL, athlete text NOT NULL, shard integer NOT NULL, open boolean NOT NULL,
        t double precision, state bytea NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (squad, athlete))""",
    "CREATE INDEX IF NOT EXISTS crampwatch_athlete_state_shard ON crampwatch_athlete_state (shard) WHERE open",
    """CREATE TABLE IF NOT EXISTS crampwatch_sent_alert (
        id text PRIMARY KEY, shard integer NOT NULL, squad text NOT NULL, athlete text NOT NULL,
        t double precision NOT NULL, sent_at timestamptz NOT NULL DEFAULT now())""",
    "CREATE INDEX IF NOT EXISTS crampwatch_sent_alert_shard ON crampwatch_sent_alert (shard)",
)


class StoreError(CrampwatchError):
    """The shared store cannot be reached or refused a write."""


def redact(url: str) -> str:
    """The URL as given, without its password (:func:`monitor.redact.redact_url`; a query, which may hold one as
    ``?password=``, is left out).

    >>> redact("postgresql://app:secret@db:5432/crampwatch")
    'postgresql://app:***@db:5432/crampwatch'
    >>> redact("postgresql://db/crampwatch"), redact("postgresql://db/crampwatch?password=secret")
    ('postgresql://db/crampwatch', 'postgresql://db/crampwatch')
    """
    return redact_url(url, keep_path=True)


def check_url(url: str) -> str:
    """Validate a ``--store`` PostgreSQL URL (one clear line on error).

    >>> check_url("postgresql://127.0.0.1/cw")
    'postgresql://127.0.0.1/cw'
    >>> check_url("postgresql:///")
    Traceback (most recent call last):
    ...
    monitor.errors.UsageError: --store postgresql:///: no database name
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise UsageError(f"--store {redact(url)}: expected postgresql://")
    if not parts.path.strip("/"):
        raise UsageError(f"--store {redact(url)}: no database name")
    return url


class PostgresShardStore:
    """:class:`monitor.amqp.state.ShardStore` on PostgreSQL (one connection; the worker calls it sequentially)."""

    def __init__(self, url: str) -> None:
        self.url = check_url(url)
        self._conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self.reconnects = 0

    def __repr__(self) -> str:
        return f"PostgresShardStore({redact(self.url)})"

    async def start(self) -> None:
        try:
            self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True, connect_timeout=10)
            async with self._conn.transaction():
                # several workers may start at once: serialise the CREATE IF NOT EXISTS statements
                await self._conn.execute("SELECT pg_advisory_xact_lock(7401923)")
                for statement in SCHEMA:
                    await self._conn.execute(statement)
        except psycopg.Error as exc:
            raise StoreError(f"--store {redact(self.url)}: {str(exc).strip().splitlines()[0]}") from exc

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        if self._conn is None:
            raise StoreError("store not started")
        return self._conn

    async def _alive(self) -> Conn:
        """The connection, opened again if the server dropped it (restart, failover, ``pg_terminate_backend``).
        A call that fails on a connection lost meanwhile raises; the worker's next checkpoint tries again."""
        conn = self.conn
        if conn.closed or conn.broken:
            with contextlib.suppress(psycopg.Error):
                await conn.close()
            try:
                self._conn = conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True, connect_timeout=10)
            except psycopg.Error as exc:
                raise StoreError(f"--store {redact(self.url)}: {str(exc).strip().splitlines()[0]}") from exc
            self.reconnects += 1
            log.warning("shard store %s: reconnected", redact(self.url))
        return conn

    async def _twice(self, op: Callable[[Conn], Awaitable[T]]) -> T:
        """``op`` once more on a new connection if the first attempt found the old one dropped (every write here is
        idempotent: an upsert, or an insert of a known id)."""
        try:
            return await op(await self._alive())
        except psycopg.OperationalError:
            if not self.conn.broken and not self.conn.closed:
                raise
            return await op(await self._alive())

    async def _retrying(self, sql: str, args: tuple[object, ...]) -> psycopg.AsyncCursor[tuple[object, ...]]:
        return await self._twice(lambda conn: conn.execute(sql, args))

    async def load(self, shard: int) -> dict[Key, State]:
        cur = await self._retrying(
            "SELECT squad, athlete, state FROM crampwatch_athlete_state WHERE shard = %s AND open", (shard,)
        )
        return {(str(s), str(a)): decode_state(bytes(b)) for s, a, b in await cur.fetchall()}  # type: ignore[call-overload]

    async def save(self, shard: int, states: dict[Key, State]) -> None:
        if not states:
            return
        rows = [
            (squad, athlete, shard, restores(state), state.get("max_t"), encode_state(state))
            for (squad, athlete), state in states.items()
        ]
        await self._twice(lambda conn: self._save(conn, rows))

    async def _save(self, conn: Conn, rows: Sequence[tuple[object, ...]]) -> None:
        async with conn.transaction(), conn.cursor() as cur:
            await cur.executemany(
                """INSERT INTO crampwatch_athlete_state (squad, athlete, shard, open, t, state)
                   VALUES (%s, %s, %s, %s, %s, %s)
                   ON CONFLICT (squad, athlete) DO UPDATE SET shard = EXCLUDED.shard, open = EXCLUDED.open,
                       t = EXCLUDED.t, state = EXCLUDED.state, updated_at = now()""",
                rows,
            )

    async def sent(self, shard: int) -> set[str]:
        cur = await self._retrying("SELECT id FROM crampwatch_sent_alert WHERE shard = %s", (shard,))
        return {str(row[0]) for row in await cur.fetchall()}

    async def mark_sent(self, shard: int, key: Key, alert_id: str, t: float) -> None:
        await self._retrying(
            "INSERT INTO crampwatch_sent_alert (id, shard, squad, athlete, t) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (alert_id, shard, key[0], key[1], t),
        )


# ---- the session store (``SessionStore``) on PostgreSQL --------------------------------------------------------
# The SQLite backend's SQL (monitor.store.schema) runs here through a thin connection that speaks PostgreSQL: the
# same statements, translated once each (placeholders, INSERT OR REPLACE/IGNORE, two-argument MAX), against the
# DDL below. So the two backends cannot drift apart in what they store or how recovery reads it.

PG_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE IF NOT EXISTS sessions (
        id text PRIMARY KEY, squad text NOT NULL, athlete text NOT NULL, start double precision NOT NULL,
        open integer NOT NULL DEFAULT 1, name text, last_t double precision, elapsed_s double precision,
        distance_m double precision, peak_risk double precision, peak_rank integer)""",
    "CREATE INDEX IF NOT EXISTS sessions_by_squad ON sessions(squad, start)",
    "CREATE INDEX IF NOT EXISTS sessions_open ON sessions(open)",
    """CREATE TABLE IF NOT EXISTS inputs (
        squad text NOT NULL, athlete text NOT NULL, seq bigint NOT NULL, session_id text, leaf text NOT NULL,
        payload bytea NOT NULL, wall double precision, PRIMARY KEY (squad, athlete, seq))""",
    "CREATE INDEX IF NOT EXISTS inputs_by_session ON inputs(session_id)",
    """CREATE TABLE IF NOT EXISTS statuses (id bigserial PRIMARY KEY, session_id text NOT NULL,
        t double precision NOT NULL, data text NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS statuses_by_session ON statuses(session_id, t)",
    """CREATE TABLE IF NOT EXISTS alerts (id text PRIMARY KEY, session_id text NOT NULL,
        t double precision NOT NULL, data text NOT NULL, rowid bigserial)""",
    "CREATE INDEX IF NOT EXISTS alerts_by_session ON alerts(session_id, t)",
    """CREATE TABLE IF NOT EXISTS acks (session_id text NOT NULL, alert_id text NOT NULL,
        PRIMARY KEY (session_id, alert_id))""",
    """CREATE TABLE IF NOT EXISTS snapshots (squad text NOT NULL, athlete text NOT NULL, seq bigint NOT NULL,
        session_id text NOT NULL, state text NOT NULL, wall double precision NOT NULL, PRIMARY KEY (squad, athlete))""",
)
_KEYS = {"inputs": ("squad", "athlete", "seq"), "snapshots": ("squad", "athlete"), "meta": ("key",)}
_REPLACE = re.compile(r"INSERT OR REPLACE INTO (\w+)\s*\(([^)]*)\)(.*)$", re.S)


@functools.lru_cache(maxsize=256)
def translate(sql: str) -> str:
    """The SQLite dialect of :mod:`monitor.store.schema` → PostgreSQL.

    >>> translate("INSERT OR IGNORE INTO acks(session_id, alert_id) VALUES (?, ?)")
    'INSERT INTO acks(session_id, alert_id) VALUES (%s, %s) ON CONFLICT DO NOTHING'
    >>> translate("INSERT OR REPLACE INTO snapshots(squad, athlete, seq) VALUES (?, ?, ?)").split(" ON ")[1]
    'CONFLICT (squad, athlete) DO UPDATE SET seq = EXCLUDED.seq'
    >>> translate("UPDATE s SET p = MAX(COALESCE(p, 0), ?)")
    'UPDATE s SET p = GREATEST(COALESCE(p, 0), %s)'
    """
    out = sql.replace("?", "%s").replace("BEGIN IMMEDIATE", "BEGIN").replace("= MAX(", "= GREATEST(")
    if out.startswith("INSERT OR IGNORE INTO"):
        return out.replace("INSERT OR IGNORE INTO", "INSERT INTO", 1) + " ON CONFLICT DO NOTHING"
    match = _REPLACE.match(out)
    if match:
        table, columns, rest = match.group(1), [c.strip() for c in match.group(2).split(",")], match.group(3)
        keys = _KEYS[table]
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in keys)
        return f"INSERT INTO {table}({', '.join(columns)}){rest} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    return out


class _Connection:
    """Just what :mod:`monitor.store.schema` and the SQLite backend call on a connection, on psycopg."""

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self._conn = conn

    def execute(self, sql: str, args: Sequence[Any] = ()) -> psycopg.Cursor[tuple[Any, ...]]:
        return self._conn.execute(translate(sql), tuple(args) or None)

    def close(self) -> None:
        """Release this session's advisory locks, then close. The server frees them at backend exit too, but
        only after the close is seen: another monitor opening the store just after this returns could still
        find the lock held (a test saw "in use" under load)."""
        if not self.broken:
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("SELECT pg_advisory_unlock_all()")
        self._conn.close()

    @property
    def broken(self) -> bool:
        """Whether the server side is gone (closed, terminated, lost): a new connection is needed."""
        return bool(self._conn.closed or self._conn.broken)


class PostgresStore(SqliteStore):
    """``--store postgresql://...``: the session store (sessions, inputs, statuses, alerts, acks, snapshots) in a
    PostgreSQL database. Same behaviour as the SQLite backend (a writer thread, batches, retries, recovery); one
    monitor writes a database at a time (a PostgreSQL advisory lock, held by the writer's connection)."""

    def __init__(self, url: str, *, read_only: bool = False, **options: Any) -> None:
        super().__init__(check_url(url), read_only=read_only, **options)
        self.url = url
        self.description = redact(url)

    def _connect(self, *, read_only: bool) -> Any:
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise UsageError(
                f"{store_label(self.origin, redact(self.url))}: {str(exc).strip().splitlines()[0]}"
            ) from exc
        if read_only:
            conn.read_only = True
        return _Connection(conn)

    def _open_sync(self) -> None:
        where = store_label(self.origin, redact(self.url))
        try:
            if self.read_only:
                with contextlib.closing(self._connect(read_only=True)) as conn:
                    row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
                if row is None or int(row[0]) != schema.VERSION:
                    raise UsageError(f"{where}: not a crampwatch session store")
                return
            self._conn = self._connect(read_only=False)
            if not self._take_lock(self._conn):
                self._conn.close()
                raise UsageError(f"{where}: in use by another running monitor")
            for statement in PG_DDL:
                self._conn.execute(statement)
            self._conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('version', ?)", (str(schema.VERSION),))
            self._load_bookkeeping()
        except psycopg.Error as exc:
            raise UsageError(f"{where}: cannot use as a session store ({str(exc).strip().splitlines()[0]})") from exc

    def _lock(self) -> None:  # the advisory lock in _open_sync replaces the SQLite backend's lock file
        return None

    # ---- a lost server connection (restart, failover, pg_terminate_backend): the writer thread reconnects ------
    def _take_lock(self, conn: Any) -> bool:
        """Take this store's advisory lock on ``conn`` (exclusive: one single-process monitor per database)."""
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (STORE_LOCK,)).fetchone()
        return bool(row and row[0])

    def _broken(self) -> bool:
        conn: Any = self._conn  # a _Connection (typed as the SQLite backend's connection)
        return bool(conn.broken)

    def _after_failure(self) -> None:
        if not self._broken():
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("ROLLBACK")

    def _reconnect(self) -> None:
        """Called by the writer thread before each write: if the server dropped the connection, open a new one and
        take the advisory lock again. Raises while that fails (the writer backs off and retries; the queued
        records stay queued, up to ``queue_limit``, beyond which drops are counted)."""
        if not self._broken():
            return
        with contextlib.suppress(psycopg.Error):
            self._conn.close()
        conn = self._connect(read_only=False)
        try:
            if not self._take_lock(conn):
                raise StoreError(f"--store {redact(self.url)}: reconnected, but the lock is held by another monitor")
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self.counters["reconnects"] += 1
        log.warning("session store %s: reconnected (%d records waiting)", self.description, self.pending())

    def _unlock(self) -> None:
        return None

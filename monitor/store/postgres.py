"""``--store postgresql://...``: shared state of sharded workers in PostgreSQL (psycopg 3, async).

Two tables, created if missing (idempotent, safe for several workers at once):

- ``crampwatch_athlete_state`` — one row per athlete: its shard, whether its session is open, the event time of
  its newest status and its whole state (:meth:`AthletePipeline.state_dict`, compressed JSON). A worker that
  becomes the active consumer of a shard loads the open rows of that shard and continues from them.
- ``crampwatch_sent_alert`` — the id of every alert sent (ids are deterministic, so a worker that recomputes a
  tick after a failover recognises an alert its predecessor already sent and does not send it again).

The URL is never logged with its password (:func:`redact`).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import psycopg

from monitor.amqp.state import Key, State, decode_state, encode_state
from monitor.errors import CrampwatchError, UsageError

log = logging.getLogger("crampwatch.store")

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
    """The URL without its password.

    >>> redact("postgresql://app:secret@db:5432/crampwatch")
    'postgresql://app:***@db:5432/crampwatch'
    >>> redact("postgresql://db/crampwatch")
    'postgresql://db/crampwatch'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


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

    async def load(self, shard: int) -> dict[Key, State]:
        cur = await self.conn.execute(
            "SELECT squad, athlete, state FROM crampwatch_athlete_state WHERE shard = %s AND open", (shard,)
        )
        return {(str(s), str(a)): decode_state(bytes(b)) for s, a, b in await cur.fetchall()}  # type: ignore[call-overload]

    async def save(self, shard: int, states: dict[Key, State]) -> None:
        if not states:
            return
        rows = [
            (squad, athlete, shard, state.get("session_start") is not None, state.get("max_t"), encode_state(state))
            for (squad, athlete), state in states.items()
        ]
        async with self.conn.transaction(), self.conn.cursor() as cur:
            await cur.executemany(
                """INSERT INTO crampwatch_athlete_state (squad, athlete, shard, open, t, state)
                   VALUES (%s, %s, %s, %s, %s, %s)
                   ON CONFLICT (squad, athlete) DO UPDATE SET shard = EXCLUDED.shard, open = EXCLUDED.open,
                       t = EXCLUDED.t, state = EXCLUDED.state, updated_at = now()""",
                rows,
            )

    async def sent(self, shard: int) -> set[str]:
        cur = await self.conn.execute("SELECT id FROM crampwatch_sent_alert WHERE shard = %s", (shard,))
        return {str(row[0]) for row in await cur.fetchall()}

    async def mark_sent(self, shard: int, key: Key, alert_id: str, t: float) -> None:
        await self.conn.execute(
            "INSERT INTO crampwatch_sent_alert (id, shard, squad, athlete, t) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (alert_id, shard, key[0], key[1], t),
        )

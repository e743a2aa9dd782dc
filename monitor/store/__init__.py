"""Session store: what the monitor saw and did, for recovery after a crash and for review afterwards.

* :mod:`monitor.store.base` — the backend interface (:class:`SessionStore`), :class:`Step`, :class:`Recovery`,
  :class:`SessionSummary`, session ids.
* :mod:`monitor.store.sqlite` — the embedded default (one SQLite file, WAL).
* :mod:`monitor.store.recorder` — what a service calls: record steps, snapshots, restore on start.
* :mod:`monitor.store.jsonl` — the older JSON-lines recording (``--store FILE.jsonl``), kept as an export format.

:func:`make_store` turns a ``--store`` value into a backend: ``postgresql://...`` → the PostgreSQL backend
(``monitor.store.postgres``), anything else is a SQLite file path.
"""

from __future__ import annotations

from pathlib import Path

from monitor.errors import UsageError
from monitor.store.base import Recovery, SessionStore, SessionSummary, Step, parse_session_id, session_id

__all__ = [
    "Recovery",
    "SessionStore",
    "SessionSummary",
    "Step",
    "make_store",
    "parse_session_id",
    "session_id",
]

#: ``--store`` values that turn the store off.
DISABLED = ("none", "off", "")


def make_store(spec: str | Path, *, read_only: bool = False) -> SessionStore:
    """A backend for a ``--store`` value (not opened yet).

    >>> make_store("/tmp/x.db").description
    'sqlite:/tmp/x.db'
    """
    text = str(spec)
    if text.startswith(("postgresql://", "postgres://")):
        try:
            from monitor.store.postgres import PostgresStore  # type: ignore[attr-defined,unused-ignore]
        except ImportError as exc:
            raise UsageError(f"--store {text.split('@')[-1]}: PostgreSQL store not available ({exc})") from exc
        store: SessionStore = PostgresStore(text, read_only=read_only)
        return store
    from monitor.store.sqlite import SqliteStore

    return SqliteStore(text, read_only=read_only)

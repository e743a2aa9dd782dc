"""Session store: what the monitor saw and did, for recovery after a crash and for review afterwards.

* :mod:`monitor.store.base` — the backend interface (:class:`SessionStore`), :class:`Step`, :class:`Recovery`,
  :class:`SessionSummary`, session ids.
* :mod:`monitor.store.sqlite` — the embedded default (one SQLite file, WAL).
* :mod:`monitor.store.recorder` — what a service calls: record steps, snapshots, restore on start.
* :mod:`monitor.store.jsonl` — the older JSON-lines recording (``--store FILE.jsonl``), kept as an export format.

:func:`make_store` turns a ``--store`` value into a backend: ``postgresql://...`` → the PostgreSQL backend
(``monitor.store.postgres``), anything else is a SQLite file path. :func:`store_to_read` is the store that
``crampwatch sessions`` and ``crampwatch report`` read when they get no ``--store``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from monitor.errors import UsageError
from monitor.redact import redact_url
from monitor.store.base import (
    DEFAULT,
    ENV,
    FLAG,
    Recovery,
    SessionStore,
    SessionSummary,
    Step,
    parse_session_id,
    session_id,
    store_label,
)

__all__ = [
    "Recovery",
    "SessionStore",
    "SessionSummary",
    "Step",
    "make_store",
    "parse_session_id",
    "session_id",
    "store_to_read",
]

#: ``--store`` values that turn the store off.
DISABLED = ("none", "off", "")

#: A URL's scheme (``mysql://``, ``sqlite:///``): the only URL a store can be is PostgreSQL's.
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def store_to_read(flag: str | None) -> tuple[str, str]:
    """The store a reading command uses and where it came from (for :func:`make_store`'s ``origin``): ``--store``,
    else ``$CRAMPWATCH_STORE`` (the monitor's own setting), else the monitor's default SQLite file."""
    if flag:
        return flag, FLAG
    env = os.environ.get(ENV)
    if env:
        return env, ENV
    from monitor.store.sqlite import default_store_path

    return str(default_store_path()), DEFAULT


def make_store(spec: str | Path, *, read_only: bool = False, origin: str = FLAG) -> SessionStore:
    """A backend for a ``--store`` value (not opened yet); ``origin`` (``FLAG``, ``ENV`` or ``DEFAULT``) is where
    the value came from, so that messages name what the user gave.

    >>> make_store("/tmp/x.db").description
    'sqlite:/tmp/x.db'
    >>> make_store("mysql://db/cw")
    Traceback (most recent call last):
    monitor.errors.UsageError: --store mysql://db/cw: not a session store: postgresql://... or a SQLite file path
    """
    text = str(spec)
    url = _URL.match(text)
    if url and url.group(1).lower() not in ("postgresql", "postgres"):
        # was a SQLite file at the relative path 'mysql:/db/cw' (directories made on the way)
        raise UsageError(
            f"{store_label(origin, redact_url(text, keep_path=True))}: not a session store: "
            "postgresql://... or a SQLite file path"
        )
    if text.startswith(("postgresql://", "postgres://")):
        try:
            from monitor.store.postgres import PostgresStore  # type: ignore[attr-defined,unused-ignore]
        except ImportError as exc:
            raise UsageError(
                f"{store_label(origin, redact_url(text, keep_path=True))}: PostgreSQL store not available ({exc}): "
                "pip install 'crampwatch[scale]'"
            ) from exc
        store: SessionStore = PostgresStore(text, read_only=read_only, origin=origin)
        return store
    from monitor.store.sqlite import SqliteStore

    return SqliteStore(text, read_only=read_only, origin=origin)

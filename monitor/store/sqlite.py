"""The embedded session store: one SQLite file (WAL), written by one background thread.

``--store PATH`` (default: ``sessions.db`` in the user's data directory, see :func:`default_store_path`).
The monitor's event loop only queues records (:class:`~monitor.store.base.SessionStore` contract); a writer
thread commits them in batches, one transaction per batch, so a step (an input with the statuses and alerts it
produced) is all or nothing. A failing write (full disk, I/O error, locked file) is logged, counted
(``counters["errors"]``) and retried with back-off; while it fails, records wait in memory up to ``queue_limit``,
beyond which the oldest snapshots, then outputs without an input, then steps are dropped and counted
(``counters["dropped"]``; :mod:`monitor.store.queue`, O(1) a record, so a failing store never slows the loop).

One monitor writes a store at a time: a second one on the same file is refused (an advisory lock beside it).
Readers (``crampwatch sessions``, the dashboard's history, ``crampwatch report``) may read while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from monitor.errors import UsageError
from monitor.store import schema
from monitor.store.base import DEFAULT, FLAG, Recovery, SessionStore, SessionSummary, Step, session_id, store_label
from monitor.store.queue import KEEP, OUTPUT_ONLY, SNAPSHOT, RecordQueue

log = logging.getLogger("crampwatch.store")

_LEVEL_RANK = {"low": 1, "elevated": 2, "high": 3, "critical": 4}


def default_store_path() -> Path:
    """``$XDG_DATA_HOME/crampwatch/sessions.db`` (``~/.local/share/...`` on Linux; the platform's user data
    directory elsewhere, via platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("crampwatch", appauthor=False)) / "sessions.db"


class SqliteStore(SessionStore):
    """SQLite backend. ``read_only=True`` opens an existing file for the read API only (no lock, no writer)."""

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        queue_limit: int = 200_000,
        batch_max: int = 2_000,
        retry_min_s: float = 0.2,
        retry_max_s: float = 10.0,
        origin: str = FLAG,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.origin = origin  # where the path came from (base.FLAG, ENV or DEFAULT), for the messages
        self.description = f"sqlite:{self.path}"
        self.read_only = read_only
        self.queue_limit = queue_limit
        self.batch_max = batch_max
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self._queue = RecordQueue(queue_limit)
        self._inflight = 0  # records the writer has taken and not yet committed
        self._cond = threading.Condition()
        self._written = 0  # items committed (monotonic), for flush()
        self._queued = 0  # items ever queued
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock_fd: int | None = None
        self._seq: dict[tuple[str, str], int] = {}
        self._open: dict[tuple[str, str], float] = {}  # athletes' open session starts

    # ---- lifecycle ---------------------------------------------------------------------------------------
    def _connect(self, *, read_only: bool) -> sqlite3.Connection:
        if read_only:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)
        else:
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    async def open(self) -> None:
        await asyncio.to_thread(self._open_sync)
        if not self.read_only:
            self._thread = threading.Thread(target=self._writer, name="crampwatch-store", daemon=True)
            self._thread.start()

    def _open_sync(self) -> None:
        where = store_label(self.origin, str(self.path))
        if self.read_only:
            if not self.path.is_file() and self.origin == DEFAULT:
                raise UsageError(f"no session store at {self.path} (give --store PATH or set CRAMPWATCH_STORE)")
            if not self.path.is_file():
                raise UsageError(f"{where}: no such session store")
            try:
                with contextlib.closing(self._connect(read_only=True)) as conn:
                    schema.check(conn)
            except sqlite3.Error as exc:
                raise UsageError(f"{where}: not a crampwatch session store ({exc})") from exc
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock()
            self._conn = self._connect(read_only=False)
            schema.create(self._conn)
            self._load_bookkeeping()
        except sqlite3.Error as exc:
            self._unlock()
            raise UsageError(f"{where}: cannot use as a session store ({exc})") from exc
        except OSError as exc:
            self._unlock()
            raise UsageError(f"{where}: cannot open ({exc.strerror or exc})") from exc

    def _lock(self) -> None:
        import fcntl

        fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise UsageError(f"{store_label(self.origin, str(self.path))}: in use by another running monitor") from None
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _load_bookkeeping(self) -> None:
        for squad, athlete, seq in self._conn.execute("SELECT squad, athlete, MAX(seq) FROM inputs GROUP BY 1, 2"):
            self._seq[(squad, athlete)] = int(seq)
        for squad, athlete, start in self._conn.execute("SELECT squad, athlete, start FROM sessions WHERE open = 1"):
            self._open[(squad, athlete)] = float(start)

    async def flush(self, timeout: float = 5.0) -> bool:
        target = self._queued
        deadline = time.monotonic() + timeout
        while self._written < target and self._thread is not None and self._thread.is_alive():
            if time.monotonic() >= deadline:
                return False
            await asyncio.to_thread(self._wait_written, target, min(0.5, deadline - time.monotonic()))
        return self._written >= target

    def _wait_written(self, target: int, timeout: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._written >= target or self._stop, timeout=max(0.0, timeout))

    async def close(self) -> None:
        if self._thread is not None:
            await self.flush(timeout=5.0)
            with self._cond:
                self._stop = True
                self._cond.notify_all()
            await asyncio.to_thread(self._thread.join, 10.0)
            self._thread = None
            if self.pending():
                log.warning("session store %s: %d records could not be written", self.path, self.pending())
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._unlock()

    def pending(self) -> int:
        return len(self._queue) + self._inflight

    # ---- write side (event loop): queue and return -------------------------------------------------------
    def _put(self, kind: str, item: Any, rank: int = KEEP) -> None:
        with self._cond:
            self._queued += 1
            if self._queue.put(kind, item, rank):
                self._written += 1  # (the dropped record counts as done for flush())
                self.counters["dropped"] += 1
            self._cond.notify()

    def record_step(self, step: Step) -> None:
        key = (step.squad, step.athlete)
        seq = None
        if step.leaf is not None:
            seq = self._seq.get(key, 0) + 1
            self._seq[key] = seq
        prev = self._open.get(key)
        closed = session_id(step.squad, step.athlete, prev) if prev is not None and prev != step.session_start else None
        opened = None
        if step.session_start is not None and step.session_start != prev:
            opened = step.session_start
            self._open[key] = step.session_start
        elif step.session_start is None:
            self._open.pop(key, None)
        self._put("step", (step, seq, closed, opened, step.leaf), KEEP if step.leaf is not None else OUTPUT_ONLY)
        self.counters["steps"] += 1

    def record_snapshot(self, squad: str, athlete: str, session_start: float, state: str) -> None:
        sid = session_id(squad, athlete, session_start)
        self._put("snapshot", (squad, athlete, self._seq.get((squad, athlete), 0), sid, state), SNAPSHOT)
        self.counters["snapshots"] += 1

    # ---- writer thread -----------------------------------------------------------------------------------
    def _writer(self) -> None:
        delay = self.retry_min_s
        while True:
            with self._cond:
                self._cond.wait_for(lambda: len(self._queue) > 0 or self._stop)
                if not len(self._queue) and self._stop:
                    return
                taken = self._queue.take(self.batch_max)
                self._inflight = len(taken)
            try:
                self._reconnect()
                self._write_batch([(e.kind, e.item) for e in taken])
            except Exception as exc:  # full disk, I/O error, locked file, lost server, or a bug: retried, never fatal
                self._after_failure()
                self.counters["errors"] += 1
                with self._cond:
                    self._queue.put_back(taken)  # in front again, in order
                    self._inflight = 0
                log.warning("session store %s: write failed (%s); %d records waiting, retrying in %.1f s",
                            self.path, exc, self.pending(), delay)  # fmt: skip
                with self._cond:
                    if self._cond.wait_for(lambda: self._stop, timeout=delay):
                        return  # stopping while the store fails: close() reports what is left
                delay = min(self.retry_max_s, delay * 2)
                continue
            if delay > self.retry_min_s:
                log.info("session store %s: writing again", self.path)
            delay = self.retry_min_s
            with self._cond:
                self._inflight = 0
                self._written += len(taken)
                self.counters["written"] += len(taken)
                self._cond.notify_all()

    def _reconnect(self) -> None:
        """Before a write: a backend whose connection can break (a database server) opens a new one here."""
        return None

    def _after_failure(self) -> None:
        """After a failed write: undo its transaction (the records stay queued and are written again)."""
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("ROLLBACK")

    def _write_batch(self, batch: list[tuple[str, Any]]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        for kind, item in batch:
            conn.execute("SAVEPOINT record")  # a record is all or nothing, even when it is skipped
            try:
                if kind == "step":
                    schema.write_step(conn, *item)
                else:
                    squad, athlete, seq, sid, state = item
                    conn.execute(
                        "INSERT OR REPLACE INTO snapshots(squad, athlete, seq, session_id, state, wall) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (squad, athlete, seq, sid, state, time.time()),
                    )
            except (ValueError, TypeError) as exc:  # a record that cannot be encoded: skipped, never retried
                conn.execute("ROLLBACK TO record")
                self.counters["bad_records"] += 1
                log.error("session store %s: skipped a %s record that cannot be stored: %s", self.path, kind, exc)
            conn.execute("RELEASE record")
        conn.execute("COMMIT")

    # ---- recovery and read API (worker threads, own connections) -----------------------------------------
    def _read(self) -> sqlite3.Connection:
        return self._connect(read_only=True)

    async def recover(self) -> list[Recovery]:
        def run() -> list[Recovery]:
            with contextlib.closing(self._read()) as conn:
                return schema.recover(conn)

        return await asyncio.to_thread(run)

    async def sessions(
        self, *, squad: str | None = None, athlete: str | None = None, limit: int | None = None
    ) -> list[SessionSummary]:
        def run() -> list[SessionSummary]:
            with contextlib.closing(self._read()) as conn:
                return schema.sessions(conn, squad=squad, athlete=athlete, limit=limit)

        return await asyncio.to_thread(run)

    async def session(self, sid: str) -> SessionSummary | None:
        def run() -> SessionSummary | None:
            with contextlib.closing(self._read()) as conn:
                found = schema.sessions(conn, sid=sid)
                return found[0] if found else None

        return await asyncio.to_thread(run)

    async def statuses(self, sid: str) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self._rows, "SELECT data FROM statuses WHERE session_id = ? ORDER BY t, id", sid)

    async def alerts(self, sid: str) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            with contextlib.closing(self._read()) as conn:
                return schema.alerts(conn, sid)

        return await asyncio.to_thread(run)

    async def samples(self, sid: str) -> list[tuple[str, float, float]]:
        def run() -> list[tuple[str, float, float]]:
            with contextlib.closing(self._read()) as conn:
                return schema.samples(conn, sid)

        return await asyncio.to_thread(run)

    def _rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        with contextlib.closing(self._read()) as conn:
            return [json.loads(data) for (data,) in conn.execute(sql, args)]

"""``--store FILE``: record every status, alert and acknowledgement as JSON lines (append-only).

One object per line: ``{"type": "status"|"alert"|"ack", "data": {...}}``. Lines are flushed as written, so a
crash loses at most the line being written; :func:`read_store` skips a torn last line. This is the recording
that session review and crash recovery build on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from alerts.alert import Alert
from alerts.sinks.base import Sink
from monitor.errors import InputFileError
from monitor.store.base import FLAG, store_label


class JsonlStore(Sink):
    name = "store"

    def __init__(self, path: str | Path, *, origin: str = FLAG) -> None:
        self.path = Path(path)
        self.origin = origin  # where the path came from, for messages (monitor.store.base.store_label)
        self._file: IO[str] | None = None
        self.lines = 0

    async def start(self) -> None:
        try:
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            label = store_label(self.origin, str(self.path))
            raise InputFileError(f"{label}: cannot open for appending: {exc.strerror}") from exc

    def _write(self, kind: str, data: dict[str, Any]) -> None:
        if self._file is not None:
            self._file.write(json.dumps({"type": kind, "data": data}, allow_nan=False) + "\n")
            self._file.flush()
            self.lines += 1

    async def on_status(self, status: dict[str, Any]) -> None:
        self._write("status", status)

    async def on_alert(self, alert: Alert) -> None:
        self._write("alert", alert.to_dict())

    async def on_ack(self, squad: str, athlete: str, alert_id: str) -> None:
        self._write("ack", {"squad": squad, "athlete": athlete, "alert_id": alert_id})

    async def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_store(path: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(type, data)`` records; a torn (unterminated) last line from a crash is skipped."""
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                return
            record = json.loads(line)
            yield record["type"], record["data"]

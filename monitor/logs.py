"""Logging for the long-running commands: readable text by default, one JSON object per line with
``--log-format json``.

- Context: a record's ``squad`` and ``athlete`` (``extra={"squad": ..., "athlete": ...}``) are shown as
  ``squad=... athlete=...`` in text and as keys in JSON.
- No secrets, no payloads: URLs are logged through :func:`monitor.redact.redact_url` / ``BrokerURL.__str__``
  (no password), and rejected input is described by topic and reason only (:class:`RejectLog`).
- Bad input is rate-limited (one line per topic and reason per minute, with the running count) and never a
  traceback; tracebacks are for bugs, and in JSON they are folded into one ``exc`` string.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from monitor.core.router import Routed

Format = Literal["text", "json"]
CONTEXT_KEYS = ("squad", "athlete")
#: Third-party loggers that are only noise at info level.
QUIET = ("amqtt", "transitions", "aiohttp.access", "asyncio")


class TextFormatter(logging.Formatter):
    """``2026-11-30 14:02:11 WARNING crampwatch.monitor message squad=club athlete=ann``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = " ".join(f"{k}={getattr(record, k)}" for k in CONTEXT_KEYS if getattr(record, k, None))
        if not context:
            return text
        first, sep, rest = text.partition("\n")  # a traceback stays below the line
        return f"{first} {context}{sep}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``msg``, context keys, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in CONTEXT_KEYS:
            value = getattr(record, key, None)
            if value:
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def setup(level: str = "info", fmt: Format = "text") -> None:
    """Configure the root logger (stderr) for a command. Like :func:`logging.basicConfig`, a root logger that
    already has someone else's handlers (an embedding application, pytest) keeps them; ours is replaced."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "crampwatch", False)]:
        root.removeHandler(old)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
        handler.crampwatch = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper()))
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.ERROR, root.level))


def ids_of(topic: str) -> dict[str, str]:
    """``{"squad", "athlete"}`` of a contract topic (empty when it has none).

    >>> ids_of("crampwatch/v1/club/ann/frame"), ids_of("nonsense")
    ({'squad': 'club', 'athlete': 'ann'}, {})
    """
    parts = topic.split("/")
    return {"squad": parts[-3][:64], "athlete": parts[-2][:64]} if len(parts) >= 5 else {}


class RejectLog:
    """Observer of the monitor's handled messages that logs rejected input: at most one line per (topic,
    reason) per ``interval_s`` seconds, with the count so far; never the payload, never a traceback."""

    def __init__(
        self,
        logger: logging.Logger | None = None,
        *,
        interval_s: float = 60.0,
        max_keys: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = logger or logging.getLogger("crampwatch.input")
        self.interval_s = interval_s
        self.max_keys = max_keys
        self.clock = clock
        self.counts: Counter[tuple[str, str]] = Counter()
        self._last: dict[tuple[str, str], float] = {}

    def __call__(self, routed: Routed, seconds: float) -> None:
        for topic, reason in routed.rejected:
            self.rejected(topic, reason)

    def rejected(self, topic: str, reason: str) -> None:
        key = (topic[:200], reason[:120])
        if key not in self.counts and len(self.counts) >= self.max_keys:
            key = ("*", "other")
        self.counts[key] += 1
        now = self.clock()
        if now - self._last.get(key, -1e18) >= self.interval_s:
            self._last[key] = now
            self.log.warning(
                "rejected input on %s: %s (%d so far)", key[0], key[1], self.counts[key], extra=ids_of(key[0])
            )

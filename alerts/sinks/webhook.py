"""POST each alert as JSON to a URL, without ever blocking the pipeline.

:meth:`WebhookSink.on_alert` only appends the alert to a bounded in-memory queue and returns; one worker task
delivers the queue in order. Each request has a timeout; connection errors, timeouts, 408, 429 and 5xx answers
are retried with exponential backoff (``backoff_s`` · 2ⁿ, at most ``backoff_max_s``); other 4xx answers are
final. When the queue is full the *oldest* queued alert is dropped, so the newest news gets through. On
:meth:`close` the worker gets ``close_deadline_s`` to drain the queue; what is still undelivered then is
dropped.

Counters (:class:`WebhookStats`): ``sent`` delivered (2xx), ``failed`` given up after the last try or on a
final 4xx, ``retried`` extra attempts, ``dropped`` never tried to the end (queue overflow or shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from alerts.alert import Alert
from alerts.sinks.base import Sink

log = logging.getLogger(__name__)

#: Answers worth another try (besides connection errors and timeouts).
RETRY_STATUS = frozenset({408, 425, 429})


@dataclass(slots=True)
class WebhookStats:
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    retried: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def redact_url(url: str) -> str:
    """The URL as logs show it: scheme, host and port only (a webhook's credentials, path or query are often its
    secret).

    >>> redact_url("https://user:pw@hooks.example:8443/services/T0/B0/XXXX?token=1")
    'https://hooks.example:8443/***'
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "***"
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}{f':{port}' if port else ''}/***"


class WebhookSink(Sink):
    """HTTP POST of ``alert.to_dict()`` (and, with ``statuses=True``, of each status) to ``url``."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 5.0,
        retries: int = 3,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
        queue_size: int = 1000,
        close_deadline_s: float = 5.0,
        headers: dict[str, str] | None = None,
        statuses: bool = False,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook URL must start with http:// or https://: {redact_url(url)!r}")
        if timeout_s <= 0 or retries < 0 or backoff_s < 0 or queue_size < 1 or close_deadline_s < 0:
            raise ValueError("webhook: timeout_s > 0, retries >= 0, backoff_s >= 0, queue_size >= 1 required")
        self.url = url
        self.shown = redact_url(url)  # for logs: the path or query of a webhook URL is often its secret
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.close_deadline_s = close_deadline_s
        self.headers = dict(headers or {})
        self.send_statuses = statuses
        self.stats = WebhookStats()
        self._queue: deque[dict[str, Any]] = deque()
        self._queue_size = queue_size
        self._in_flight = 0
        self._wake: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closing = False

    # -------------------------------------------------------------------------------------------- interface

    async def start(self) -> None:
        self._ensure_worker()

    async def on_alert(self, alert: Alert) -> None:
        self.enqueue(alert.to_dict())

    async def on_status(self, status: dict[str, Any]) -> None:
        if self.send_statuses:
            self.enqueue(status)

    def enqueue(self, payload: dict[str, Any]) -> None:
        """Queue one JSON payload; never waits. A full queue loses its oldest entry (counted: ``dropped``)."""
        if self._closing:
            self.stats.dropped += 1
            return
        if len(self._queue) >= self._queue_size:
            self._queue.popleft()
            self.stats.dropped += 1
        self._queue.append(payload)
        self._ensure_worker()
        if self._wake is not None:
            self._wake.set()
        if self._idle is not None:
            self._idle.clear()

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def flush(self, timeout: float) -> None:
        """Wait until the queue is empty and nothing is in flight; :class:`TimeoutError` after ``timeout``."""
        self._ensure_worker()
        assert self._idle is not None
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def close(self) -> None:
        """Stop taking alerts, give the worker ``close_deadline_s`` to drain, then drop what is left."""
        self._ensure_worker()  # alerts queued before any loop ran still get their chance
        self._closing = True
        in_flight = 0
        if self._worker is not None and self._idle is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self.close_deadline_s)
            in_flight = self._in_flight  # cancelled below before it could finish
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        self.stats.dropped += len(self._queue) + in_flight
        self._queue.clear()
        self._in_flight = 0
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ---------------------------------------------------------------------------------------------- worker

    def _ensure_worker(self) -> None:
        if self._worker is not None or self._closing:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not in a loop yet: start() or the first on_alert inside one will start it
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        if not self._queue:
            self._idle.set()
        else:
            self._wake.set()
        self._worker = loop.create_task(self._run(), name=f"webhook {self.shown}")

    async def _run(self) -> None:
        assert self._wake is not None and self._idle is not None
        while True:
            if not self._queue:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            payload = self._queue.popleft()
            self._in_flight = 1
            try:
                await self._deliver(payload)
            except Exception:  # never let one payload kill the worker
                log.exception("webhook %s: unexpected error", self.shown)
                self.stats.failed += 1
            finally:
                self._in_flight = 0

    async def _deliver(self, payload: dict[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers=self.headers)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats.retried += 1
                await asyncio.sleep(min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1)))
            try:
                async with self._session.post(self.url, json=payload, timeout=timeout) as resp:
                    await resp.read()
                    if 200 <= resp.status < 300:
                        self.stats.sent += 1
                        return
                    if resp.status < 500 and resp.status not in RETRY_STATUS:
                        log.warning("webhook %s: HTTP %d, not retried", self.shown, resp.status)
                        self.stats.failed += 1
                        return
                    reason = f"HTTP {resp.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                reason = type(exc).__name__
            log.info("webhook %s: attempt %d failed (%s)", self.shown, attempt + 1, reason)
        # given up: said at warning, as a final 4xx is (at --log-level warning a dead webhook left no line)
        log.warning(
            "webhook %s: %s not delivered after %d attempts (%s)",
            self.shown,
            f"alert {payload['id']}" if "id" in payload else "status",
            self.retries + 1,
            reason,
        )
        self.stats.failed += 1
